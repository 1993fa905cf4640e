import { describe, expect, it } from 'vitest';
import { hashApiToken } from '../../src/core/auth/api-roles.js';
import type { ApiTokenStore, NewApiToken } from '../../src/ports/api-token-store.js';

/** Opens a fresh, empty store for one test (cleanup is the factory's business). */
export type ApiTokenStoreFactory = () => Promise<ApiTokenStore>;

const T0 = new Date('2026-11-27T09:00:00.000Z');

function newToken(name: string, secret: string, role: NewApiToken['role'] = 'operator', createdAt = T0): NewApiToken {
  return { name, role, tokenHash: hashApiToken(secret), createdAt };
}

/** The one contract every ApiTokenStore adapter passes. */
export function apiTokenStoreContract(label: string, open: ApiTokenStoreFactory): void {
  describe(`ApiTokenStore contract: ${label}`, () => {
    it('creates a token and finds it by hash only while active', async () => {
      const store = await open();
      const created = await store.create(newToken('maria', 'secret-1', 'admin'));
      expect(created).toMatchObject({ status: 'created', token: { name: 'maria', role: 'admin', createdAt: T0, lastUsedAt: null, revokedAt: null } });
      const found = await store.findActive(hashApiToken('secret-1'));
      expect(found).toEqual(created.status === 'created' ? created.token : undefined);
      expect(await store.findActive(hashApiToken('secret-2'))).toBeNull();
    });

    it('refuses a second active token of one name, and allows the name again once revoked', async () => {
      const store = await open();
      await store.create(newToken('sam', 'a'));
      const again = await store.create(newToken('sam', 'b', 'viewer'));
      expect(again).toMatchObject({ status: 'name_taken', existing: { name: 'sam', role: 'operator' } });
      expect(await store.findActive(hashApiToken('b'))).toBeNull();

      const revokedAt = new Date('2026-11-27T10:00:00.000Z');
      expect(await store.revoke('sam', revokedAt)).toMatchObject({ status: 'revoked', token: { name: 'sam', revokedAt } });
      expect(await store.findActive(hashApiToken('a'))).toBeNull();
      expect(await store.create(newToken('sam', 'b', 'viewer'))).toMatchObject({ status: 'created', token: { role: 'viewer' } });
      expect((await store.list()).map((token) => [token.name, token.role, token.revokedAt === null])).toEqual([
        ['sam', 'operator', false],
        ['sam', 'viewer', true],
      ]);
    });

    it('revokes by id or name, says when already revoked, and when there is no such token', async () => {
      const store = await open();
      const created = await store.create(newToken('ops', 'x'));
      if (created.status !== 'created') throw new Error('not created');
      const at = new Date('2026-11-27T11:00:00.000Z');
      expect(await store.revoke(created.token.id, at)).toMatchObject({ status: 'revoked', token: { id: created.token.id, revokedAt: at } });
      expect(await store.revoke(created.token.id, new Date('2026-11-28T00:00:00.000Z'))).toMatchObject({ status: 'already_revoked', token: { revokedAt: at } });
      expect(await store.revoke('ops', at)).toEqual({ status: 'not_found' });
      expect(await store.revoke('999999', at)).toEqual({ status: 'not_found' });
      expect(await store.revoke('nobody', at)).toEqual({ status: 'not_found' });
    });

    it('records uses at most once a minute', async () => {
      const store = await open();
      const created = await store.create(newToken('dash', 'd'));
      if (created.status !== 'created') throw new Error('not created');
      const first = new Date('2026-11-27T12:00:00.000Z');
      await store.touch(created.token.id, first);
      await store.touch(created.token.id, new Date('2026-11-27T12:00:30.000Z'));
      expect((await store.findActive(hashApiToken('d')))?.lastUsedAt).toEqual(first);
      const later = new Date('2026-11-27T12:01:30.000Z');
      await store.touch(created.token.id, later);
      expect((await store.findActive(hashApiToken('d')))?.lastUsedAt).toEqual(later);
    });

    it('creates the first token only on a store that never held one, even when all were revoked', async () => {
      const store = await open();
      const first = await store.createFirst(newToken('admin', 'first', 'admin'));
      expect(first).toMatchObject({ name: 'admin', role: 'admin' });
      expect(await store.createFirst(newToken('admin2', 'second', 'admin'))).toBeNull();
      await store.revoke('admin', T0);
      expect(await store.createFirst(newToken('admin3', 'third', 'admin'))).toBeNull();
      expect((await store.list()).map((token) => token.name)).toEqual(['admin']);
    });

    it('keeps two tokens with the same secret from existing (the hash is unique)', async () => {
      const store = await open();
      await store.create(newToken('one', 'same'));
      await expect(store.create(newToken('two', 'same'))).rejects.toThrow();
    });
  });
}
