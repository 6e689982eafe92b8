import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-for-hs256!';
export const TEST_KEYRING = `test1:${Buffer.alloc(32, 1).toString('base64')}`;

export function tempDataDir(prefix = 'sg-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A complete environment for a gateway under test: its own DATA_DIR, fixed secrets. */
export function testEnv(overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    NODE_ENV: 'test',
    PORT: '0',
    DATA_DIR: tempDataDir(),
    JWT_SECRET: TEST_JWT_SECRET,
    TOKEN_ENCRYPTION_KEYS: TEST_KEYRING,
    LOG_LEVEL: 'info',
    ...overrides,
  };
}
