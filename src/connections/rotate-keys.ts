import type { SealedCredentials, Store } from '../store';
import { bindingOf } from './access-tokens';
import { VaultError, type TokenVault } from './vault';

export interface RotationReport {
  /** Secrets re-encrypted under the active key. */
  readonly resealed: number;
  /** Secrets already under the active key. */
  readonly current: number;
  /** Secrets that could not be opened (altered, or under a key no longer configured): left as they are. */
  readonly unreadable: ReadonlyArray<{ readonly brand: string; readonly connectionId: string; readonly reason: string }>;
}

const FIELDS = [
  ['accessToken', 'access_token'],
  ['refreshToken', 'refresh_token'],
  ['apiKey', 'api_key'],
] as const;

/**
 * Re-encrypts every stored secret under the vault's active key. A refresh
 * that lands meanwhile wins (compare-and-set on the token version), and the
 * connection is read again and retried.
 */
export async function rotateVaultKeys(store: Pick<Store, 'connections' | 'authorizationStates'>, vault: TokenVault, now: () => Date = () => new Date()): Promise<RotationReport> {
  let resealed = 0;
  let current = 0;
  const unreadable: Array<{ brand: string; connectionId: string; reason: string }> = [];

  for (const listed of await store.connections.listAllBrands()) {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const connection = attempt === 0 ? listed : await store.connections.get(listed.brand, listed.id);
      if (!connection) break;
      const next: { -readonly [K in keyof SealedCredentials]: SealedCredentials[K] } = { ...connection.credentials };
      let changed = 0;
      let unchanged = 0;
      try {
        for (const [field, purpose] of FIELDS) {
          const sealed = connection.credentials[field];
          if (!sealed) continue;
          if (!vault.isStale(sealed)) {
            unchanged += 1;
            continue;
          }
          next[field] = vault.reseal(sealed, bindingOf(connection, purpose));
          changed += 1;
        }
      } catch (error) {
        if (!(error instanceof VaultError)) throw error;
        unreadable.push({ brand: connection.brand, connectionId: connection.id, reason: error.message });
        break;
      }
      if (changed === 0 || (await store.connections.resealCredentials(connection.brand, connection.id, connection.tokenVersion, next, now()))) {
        resealed += changed;
        current += unchanged;
        break;
      }
    }
  }

  for (const state of await store.authorizationStates.listAll()) {
    if (!vault.isStale(state.sealedVerifier)) continue;
    try {
      await store.authorizationStates.reseal(state.state, vault.reseal(state.sealedVerifier, { brand: state.brand, owner: state.state, purpose: 'pkce_verifier' }));
      resealed += 1;
    } catch (error) {
      if (!(error instanceof VaultError)) throw error;
      unreadable.push({ brand: state.brand, connectionId: state.connectionId, reason: `authorization state: ${error.message}` });
    }
  }
  return { resealed, current, unreadable };
}
