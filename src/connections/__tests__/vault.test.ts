import { randomBytes } from 'node:crypto';
import { TokenVault, VaultError, type SecretBinding } from '../vault';

const key = (kid: string) => ({ kid, key: randomBytes(32) });
const binding: SecretBinding = { brand: 'acme', owner: 'conn-1', purpose: 'refresh_token' };

describe('TokenVault', () => {
  const k1 = key('k1');
  const vault = new TokenVault([k1]);

  it('round-trips a secret and never stores it in the clear', () => {
    const sealed = vault.seal('refresh-canary-123', binding);
    expect(sealed).not.toContain('refresh-canary');
    expect(Buffer.from(sealed.split('.')[4]!, 'base64url').toString('utf8')).not.toContain('refresh-canary');
    expect(vault.open(sealed, binding)).toBe('refresh-canary-123');
  });

  it('uses a fresh IV every time', () => {
    expect(vault.seal('same', binding)).not.toBe(vault.seal('same', binding));
  });

  it('detects a flipped byte anywhere in the ciphertext, IV or tag', () => {
    const sealed = vault.seal('secret', binding);
    const parts = sealed.split('.');
    for (const index of [2, 3, 4]) {
      const bytes = Buffer.from(parts[index]!, 'base64url');
      bytes[0] = bytes[0]! ^ 0x01;
      const tampered = [...parts];
      tampered[index] = bytes.toString('base64url');
      expect(() => vault.open(tampered.join('.'), binding)).toThrow(VaultError);
    }
  });

  it.each([
    ['another connection', { ...binding, owner: 'conn-2' }],
    ['another brand', { ...binding, brand: 'globex' }],
    ['another field', { ...binding, purpose: 'access_token' as const }],
  ])('refuses a ciphertext moved to %s', (_case, other) => {
    expect(() => vault.open(vault.seal('secret', binding), other)).toThrow(/altered or belongs to another connection/);
  });

  it('keeps opening old ciphertexts after a new key becomes active, and reseals them under it', () => {
    const old = vault.seal('secret', binding);
    const rotated = new TokenVault([key('k2'), k1]);
    expect(rotated.isStale(old)).toBe(true);
    const resealed = rotated.reseal(old, binding);
    expect(resealed.split('.')[1]).toBe('k2');
    expect(rotated.isStale(resealed)).toBe(false);
    expect(rotated.open(resealed, binding)).toBe('secret');
    expect(() => new TokenVault([key('k3')]).open(old, binding)).toThrow(/key "k1", which TOKEN_ENCRYPTION_KEYS no longer holds/);
  });
});
