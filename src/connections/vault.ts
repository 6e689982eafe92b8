import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EncryptionKey } from '../config';

/**
 * The token vault: AES-256-GCM with a random 12-byte IV per encryption. The
 * additional authenticated data binds a ciphertext to its brand, owner and
 * purpose, so a ciphertext copied to another connection, or from the refresh
 * token field to the access token field, fails authentication. Each sealed
 * value carries its key id, so older keys keep decrypting after a rotation.
 *
 * Sealed format: `v1.<kid>.<iv>.<tag>.<ciphertext>` (base64url parts).
 */

/** What a secret is bound to; all three must match to open it. */
export interface SecretBinding {
  readonly brand: string;
  /** The connection id, or the authorization state, that owns the secret. */
  readonly owner: string;
  readonly purpose: 'access_token' | 'refresh_token' | 'api_key' | 'pkce_verifier';
}

/** A sealed value could not be opened: tampered, moved, or under a key the keyring lacks. */
export class VaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VaultError';
  }
}

const VERSION = 'v1';
const IV_BYTES = 12;

export class TokenVault {
  private readonly keys: ReadonlyMap<string, Buffer>;
  private readonly active: EncryptionKey;

  constructor(keyring: readonly EncryptionKey[]) {
    const [active] = keyring;
    if (!active) throw new VaultError('the vault needs at least one key (TOKEN_ENCRYPTION_KEYS)');
    this.active = active;
    this.keys = new Map(keyring.map((k) => [k.kid, k.key]));
  }

  get activeKeyId(): string {
    return this.active.kid;
  }

  seal(plaintext: string, binding: SecretBinding): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.active.key, iv);
    cipher.setAAD(aad(binding, this.active.kid));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, this.active.kid, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
  }

  open(sealed: string, binding: SecretBinding): string {
    const parts = sealed.split('.');
    const [version, kid, iv, tag, data] = parts;
    if (parts.length !== 5 || version !== VERSION || !kid || !iv || !tag || data === undefined) throw new VaultError('not a sealed secret');
    const key = this.keys.get(kid);
    if (!key) throw new VaultError(`sealed under key "${kid}", which TOKEN_ENCRYPTION_KEYS no longer holds`);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(aad(binding, kid));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new VaultError('a stored secret failed authentication: it was altered or belongs to another connection');
    }
  }

  /** True when `sealed` is under an older key and `rotate-keys` should re-seal it. */
  isStale(sealed: string): boolean {
    return sealed.split('.')[1] !== this.active.kid;
  }

  reseal(sealed: string, binding: SecretBinding): string {
    return this.seal(this.open(sealed, binding), binding);
  }
}

function aad({ brand, owner, purpose }: SecretBinding, kid: string): Buffer {
  return Buffer.from(JSON.stringify(['signals-gateway', VERSION, kid, brand, owner, purpose]), 'utf8');
}
