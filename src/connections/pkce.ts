import { createHash, randomBytes } from 'node:crypto';

/** A PKCE pair (RFC 7636, S256): the verifier stays with us, the challenge goes in the authorize URL. */
export interface PkcePair {
  readonly verifier: string;
  readonly challenge: string;
}

export function createPkcePair(): PkcePair {
  // 48 random bytes are 64 base64url characters: inside Klaviyo's ^[A-Za-z0-9\-._~]{43,128}$.
  const verifier = randomBytes(48).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** The OAuth `state`: unguessable, single use. */
export function createState(): string {
  return randomBytes(32).toString('base64url');
}
