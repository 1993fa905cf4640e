import { describe, expect, it } from 'vitest';
import { redactPgUrl } from '../../../src/adapters/postgres/pg-connection-errors.js';

describe('redactPgUrl', () => {
  it('masks the password and keeps the rest of the URL', () => {
    expect(redactPgUrl('postgres://leadsync:s3cret@db.internal:6432/crm?options=-c%20search_path%3Dleadsync')).toBe(
      'postgres://leadsync:***@db.internal:6432/crm?options=-c%20search_path%3Dleadsync',
    );
  });

  it('masks all of a password that holds an unencoded "@"', () => {
    const shown = redactPgUrl('postgresql://leadsync:p@ss@db.internal/crm');
    expect(shown).toBe('postgresql://leadsync:***@db.internal/crm');
    expect(shown).not.toContain('ss@');
  });

  it('masks password and sslpassword query parameters, whatever their case', () => {
    const shown = redactPgUrl('postgres://db.internal/crm?user=leadsync&Password=s3cret&sslpassword=k3y&sslmode=require');
    expect(shown).not.toContain('s3cret');
    expect(shown).not.toContain('k3y');
    expect(shown).toContain('user=leadsync');
    expect(shown).toContain('sslmode=require');
  });

  it('leaves a URL without secrets as it is', () => {
    expect(redactPgUrl('postgres://postgres@127.0.0.1:5432/test')).toBe('postgres://postgres@127.0.0.1:5432/test');
  });

  it('does not echo a string it cannot parse', () => {
    expect(redactPgUrl('host=db.internal password=s3cret')).toBe('the storage URL');
  });
});
