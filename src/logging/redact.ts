/**
 * Scrubs secrets from anything about to be logged: values under secret-looking
 * keys at any depth, and bearer tokens, API keys and JWTs inside strings.
 * pino's own `redact` needs exact paths; secrets can sit anywhere.
 */

export const REDACTED = '[REDACTED]';

/** Keys whose values are secrets wherever they appear. `accessTokenExpiresAt` is not one. */
const SECRET_KEY =
  /^(authorization|proxy-authorization|cookie|set-cookie|password|passphrase|secret|client_?secret|api_?key|apikey|x-api-key|private_?key|code_?verifier|(access|refresh|id|bearer|auth)?_?token|token_?encryption_?keys|encryption_?key|jwt_?secret|ciphertext)$/i;

/** Secrets recognizable by their shape inside free text (messages, URLs, stacks). */
const SECRET_IN_TEXT: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b(Bearer|Basic|Klaviyo-API-Key)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`],
  [/\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, REDACTED], // a JWT
  [/\bpk_[A-Za-z0-9]{10,}/g, REDACTED], // a Klaviyo private API key
  [/([?&](?:code|state|token|refresh_token|access_token|code_verifier|client_secret)=)[^&\s"']+/gi, `$1${REDACTED}`],
];

/**
 * The same keys as exact names, for pino's path-based `redact`, which is what
 * reaches child-logger bindings (pino serializes those once, at `child()`).
 */
export const SECRET_KEY_NAMES: readonly string[] = [
  'authorization', 'cookie', 'password', 'secret', 'token', 'accessToken', 'access_token', 'refreshToken', 'refresh_token',
  'apiKey', 'api_key', 'clientSecret', 'client_secret', 'codeVerifier', 'code_verifier', 'privateKey', 'jwtSecret', 'ciphertext',
];

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

export function redactText(text: string): string {
  return SECRET_IN_TEXT.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}

const MAX_DEPTH = 12;

/** A copy of `value` with secrets replaced; never mutates its input. */
export function redactDeep(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[Truncated]';
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (Buffer.isBuffer(value)) return `[Buffer ${value.length} bytes]`;
  if (value instanceof Date) return value;
  if (Array.isArray(value)) return value.map((item) => redactDeep(item, depth + 1, seen));
  const source: Record<string, unknown> =
    value instanceof Error ? { ...value, type: value.name, message: value.message, stack: value.stack } : (value as Record<string, unknown>);
  if (value instanceof Error && value.cause !== undefined) source.cause = value.cause;
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(source)) {
    out[key] = isSecretKey(key) && child !== undefined && child !== null ? REDACTED : redactDeep(child, depth + 1, seen);
  }
  return out;
}
