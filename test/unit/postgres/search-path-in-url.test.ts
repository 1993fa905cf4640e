import { describe, expect, it } from 'vitest';
import { searchPathInUrl } from '../../../src/adapters/postgres/pg-database.js';

// The search_path a storage URL asks for: what the migrator checks arrived (a pooler may drop it).
describe('searchPathInUrl', () => {
  it.each([
    ['postgres://u@h:5432/db', undefined],
    ['postgres://u@h:5432/db?sslmode=require', undefined],
    ['postgres://u@h:5432/db?options=-c%20search_path%3Dleadsync', 'leadsync'],
    ['postgres://u@h:5432/db?options=-csearch_path%3Dleadsync', 'leadsync'],
    ['postgres://u@h:5432/db?options=--search_path%3Dleadsync,public', 'leadsync,public'],
    ['postgres://u@h:5432/db?sslmode=require&options=-c%20statement_timeout%3D5s%20-c%20search_path%3Da', 'a'],
    ['postgres://u@h:5432/db?options=-c%20statement_timeout%3D5s', undefined],
    ['host=h dbname=db', undefined],
  ])('%s → %s', (url, expected) => {
    expect(searchPathInUrl(url)).toBe(expected);
  });
});
