import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatKeyring } from './keyring';

/** File names, inside DATA_DIR, of the secrets generated for development. */
export const DEV_SECRET_FILES = {
  jwtSecret: 'dev-jwt-secret',
  tokenEncryptionKeys: 'dev-token-encryption-keys',
} as const;

export interface DevSecret {
  readonly value: string;
  readonly path: string;
  /** True when this start created the file; false when an earlier start did. */
  readonly created: boolean;
}

/**
 * Reads a development secret from DATA_DIR, or generates it there once (mode
 * 0600), so restarts keep accepting the tokens and ciphertexts of earlier runs.
 */
export function loadOrCreateDevSecret(dataDir: string, name: keyof typeof DEV_SECRET_FILES): DevSecret {
  const path = join(dataDir, DEV_SECRET_FILES[name]);
  if (existsSync(path)) return { value: readFileSync(path, 'utf8').trim(), path, created: false };
  mkdirSync(dataDir, { recursive: true });
  const value =
    name === 'jwtSecret'
      ? randomBytes(48).toString('base64url')
      : formatKeyring([{ kid: 'dev1', key: randomBytes(32) }]);
  // 'wx' fails if another process created the file in between; then use theirs.
  try {
    writeFileSync(path, `${value}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { value: readFileSync(path, 'utf8').trim(), path, created: false };
    throw error;
  }
  chmodSync(path, 0o600);
  return { value, path, created: true };
}
