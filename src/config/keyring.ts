/** One AES-256 key of the token vault's keyring, named by its key id. */
export interface EncryptionKey {
  readonly kid: string;
  readonly key: Buffer;
}

const KID = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Parses `TOKEN_ENCRYPTION_KEYS` (`kid:base64-32-bytes`, comma separated, the
 * first active). Returns every problem rather than stopping at the first.
 */
export function parseKeyring(value: string): { keys: EncryptionKey[]; problems: string[] } {
  const keys: EncryptionKey[] = [];
  const problems: string[] = [];
  const entries = value.split(',').map((entry) => entry.trim()).filter(Boolean);
  if (entries.length === 0) problems.push('TOKEN_ENCRYPTION_KEYS: lists no key');
  entries.forEach((entry, index) => {
    const at = `TOKEN_ENCRYPTION_KEYS entry ${index + 1}`;
    const colon = entry.indexOf(':');
    if (colon < 0) {
      problems.push(`${at}: must be kid:base64key`);
      return;
    }
    const kid = entry.slice(0, colon);
    const key = Buffer.from(entry.slice(colon + 1), 'base64');
    if (!KID.test(kid)) problems.push(`${at}: key id must be 1-32 letters, digits, '-' or '_'`);
    else if (keys.some((k) => k.kid === kid)) problems.push(`${at}: key id "${kid}" appears twice`);
    if (key.length !== 32) problems.push(`${at} ("${kid}"): key must be 32 bytes in base64, got ${key.length}`);
    if (KID.test(kid) && key.length === 32) keys.push({ kid, key });
  });
  return { keys, problems };
}

/** A freshly generated one-key keyring, in `TOKEN_ENCRYPTION_KEYS` syntax. */
export function formatKeyring(keys: readonly EncryptionKey[]): string {
  return keys.map(({ kid, key }) => `${kid}:${key.toString('base64')}`).join(',');
}
