import { describe, expect, it } from 'vitest';
import { operatorWorkspaceForThisTest } from '../support/operator-workspace.js';
import { runCliAsync } from './run-cli.js';

// `leadsync tokens create|list|revoke`, the built bin on a temp SQLite file.

describe('leadsync tokens', () => {
  it('creates a token once, lists it without the secret, refuses a taken name, and revokes by name', async () => {
    const workspace = operatorWorkspaceForThisTest();
    const config = workspace.originalConfig;

    const dry = await runCliAsync(['tokens', 'create', '--config', config, '--name', 'maria', '--role', 'operator', '--dry-run', '--json']);
    expect(dry.status).toBe(0);
    expect(JSON.parse(dry.stdout)).toEqual({ status: 'dry_run', name: 'maria', role: 'operator' });

    const created = await runCliAsync(['tokens', 'create', '--config', config, '--name', 'maria', '--role', 'operator', '--json']);
    expect(created.status).toBe(0);
    const answer = JSON.parse(created.stdout) as { status: string; secret: string; token: { name: string; role: string } };
    expect(answer).toMatchObject({ status: 'created', token: { name: 'maria', role: 'operator' } });
    expect(answer.secret).toMatch(/^lsk_[A-Za-z0-9_-]{43}$/);

    const again = await runCliAsync(['tokens', 'create', '--config', config, '--name', 'maria', '--role', 'viewer']);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('AUTH_TOKEN_NAME_TAKEN');

    const badRole = await runCliAsync(['tokens', 'create', '--config', config, '--name', 'x', '--role', 'root']);
    expect(badRole.status).toBe(2);
    expect(badRole.stderr).toContain('--role must be one of viewer, operator, admin');

    const listed = await runCliAsync(['tokens', 'list', '--config', config]);
    expect(listed.stdout).toMatch(/maria\s+operator/);
    expect(listed.stdout).not.toContain(answer.secret);

    expect((await runCliAsync(['tokens', 'revoke', 'maria', '--config', config, '--dry-run'])).stdout).toContain('would be revoked');
    const revoked = await runCliAsync(['tokens', 'revoke', 'maria', '--config', config, '--json']);
    const revokedAnswer = JSON.parse(revoked.stdout) as { status: string; token: { name: string; revokedAt: string | null } };
    expect(revokedAnswer).toMatchObject({ status: 'revoked', token: { name: 'maria' } });
    expect(revokedAnswer.token.revokedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    const missing = await runCliAsync(['tokens', 'revoke', 'nobody', '--config', config]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('AUTH_TOKEN_NOT_FOUND');
  }, 180_000);

  it('says what a dry run would create in a sentence', async () => {
    const config = operatorWorkspaceForThisTest().originalConfig;
    const operator = await runCliAsync(['tokens', 'create', '--config', config, '--name', 'maria', '--role', 'operator', '--dry-run']);
    expect(operator.status).toBe(0);
    expect(operator.stdout).toContain('An operator token named "maria" can be created.');
    const viewer = await runCliAsync(['tokens', 'create', '--config', config, '--name', 'maria', '--role', 'viewer', '--dry-run']);
    expect(viewer.stdout).toContain('A viewer token named "maria" can be created.');
  }, 180_000);
});
