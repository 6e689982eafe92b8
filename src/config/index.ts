import { resolve } from 'node:path';
import type { CountryCode } from 'libphonenumber-js';
import { envSchema, type JwtAlgorithm, type RawEnv } from './env.schema';
import { loadOrCreateDevSecret } from './dev-secrets';
import { parseKeyring, type EncryptionKey } from './keyring';

export type { EncryptionKey } from './keyring';
export { parseKeyring, formatKeyring } from './keyring';
export type { JwtAlgorithm } from './env.schema';

export type StoreConfig =
  | { readonly kind: 'embedded'; readonly dataDir: string }
  | { readonly kind: 'mongo'; readonly uri: string };

export interface JwtConfig {
  readonly algorithms: readonly JwtAlgorithm[];
  readonly issuer: string;
  readonly audience: string;
  /** HS* secret or PEM public key used to verify caller tokens. */
  readonly verifyKey: string;
  /** What the CLI signs development tokens with: the HS* secret or JWT_PRIVATE_KEY. */
  readonly signingKey: string | undefined;
}

export interface KlaviyoConfig {
  readonly clientId: string | undefined;
  readonly clientSecret: string | undefined;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  readonly authorizeUrl: string;
  readonly apiUrl: string;
  readonly revision: string;
}

/** The gateway's whole configuration: parsed once, validated, frozen. */
export interface Config {
  readonly nodeEnv: RawEnv['NODE_ENV'];
  readonly production: boolean;
  readonly port: number;
  readonly dataDir: string;
  readonly store: StoreConfig;
  readonly jwt: JwtConfig;
  /** The vault keyring; the first key is the active one. */
  readonly tokenEncryptionKeys: readonly EncryptionKey[];
  readonly klaviyo: KlaviyoConfig;
  readonly logLevel: RawEnv['LOG_LEVEL'];
  /** `api` serves GraphQL, `worker` delivers to Klaviyo, `all` (default) does both in one process. */
  readonly role: RawEnv['ROLE'];
  readonly delivery: {
    /** A sender's lease; a crashed sender's in-flight deliveries are taken back after it. */
    readonly leaseTtlMs: number;
    /** How long after the first attempt retryable failures keep retrying. */
    readonly retryWindowMs: number;
  };
  /** Where national-format phone numbers are read (libphonenumber country code). */
  readonly defaultPhoneRegion: CountryCode;
}

export interface LoadedConfig {
  readonly config: Config;
  /** Things an operator should know, logged once the logger exists (e.g. generated dev secrets). */
  readonly warnings: readonly string[];
}

/** Thrown by `loadConfig` with every problem found, so one start-up attempt shows them all. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const isSymmetric = (alg: JwtAlgorithm) => alg.startsWith('HS');

/**
 * Parses and checks the environment. The only reader of `process.env` is the
 * caller that passes it in. Outside production, missing secrets are generated
 * once into DATA_DIR and reused on later starts.
 */
export function loadConfig(env: NodeJS.ProcessEnv): LoadedConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError([
      ...parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`),
      ...missingProductionSecrets(env),
    ]);
  }
  const raw = parsed.data;
  const production = raw.NODE_ENV === 'production';
  const dataDir = resolve(raw.DATA_DIR);
  const problems: string[] = missingProductionSecrets(env);
  const warnings: string[] = [];

  const storeKind = raw.STORE ?? (raw.MONGODB_URI ? 'mongo' : 'embedded');
  if (storeKind === 'mongo' && !raw.MONGODB_URI) problems.push('MONGODB_URI: required when STORE=mongo');

  const algorithms = [...new Set(raw.JWT_ALGORITHMS)];
  const symmetric = algorithms.filter(isSymmetric);
  if (symmetric.length > 0 && symmetric.length < algorithms.length) {
    // Mixing families invites key confusion (a public key used as an HMAC secret).
    problems.push('JWT_ALGORITHMS: do not mix HS* with RS*/PS*/ES* algorithms');
  }
  const wantsSecret = symmetric.length > 0;
  let verifyKey: string | undefined;
  let signingKey: string | undefined;
  if (wantsSecret) {
    if (raw.JWT_PUBLIC_KEY) problems.push('JWT_PUBLIC_KEY: set, but JWT_ALGORITHMS pins HMAC algorithms; set JWT_ALGORITHMS=RS256 (or ES256) to use it');
    let secret = raw.JWT_SECRET;
    if (!secret && !production) {
      const dev = loadOrCreateDevSecret(dataDir, 'jwtSecret');
      secret = dev.value;
      warnings.push(`JWT_SECRET is not set: using the development secret ${dev.created ? 'generated into' : 'read from'} ${dev.path}; never do this in production`);
    }
    verifyKey = secret;
    signingKey = secret;
  } else {
    if (!raw.JWT_PUBLIC_KEY) problems.push(`JWT_PUBLIC_KEY: required for JWT_ALGORITHMS=${algorithms.join(',')}`);
    if (raw.JWT_SECRET) problems.push('JWT_SECRET: set, but JWT_ALGORITHMS pins public-key algorithms; it would be ignored');
    verifyKey = raw.JWT_PUBLIC_KEY;
    signingKey = raw.JWT_PRIVATE_KEY;
  }

  let keyringSource = raw.TOKEN_ENCRYPTION_KEYS;
  if (!keyringSource && !production) {
    const dev = loadOrCreateDevSecret(dataDir, 'tokenEncryptionKeys');
    keyringSource = dev.value;
    warnings.push(`TOKEN_ENCRYPTION_KEYS is not set: using the development keyring ${dev.created ? 'generated into' : 'read from'} ${dev.path}; never do this in production`);
  }
  const keyring = keyringSource ? parseKeyring(keyringSource) : { keys: [], problems: [] };
  problems.push(...keyring.problems);

  if ((raw.KLAVIYO_CLIENT_ID === undefined) !== (raw.KLAVIYO_CLIENT_SECRET === undefined)) {
    problems.push('KLAVIYO_CLIENT_ID and KLAVIYO_CLIENT_SECRET: set both or neither');
  }

  if (problems.length > 0) throw new ConfigError(problems);

  const config: Config = {
    nodeEnv: raw.NODE_ENV,
    production,
    port: raw.PORT,
    dataDir,
    store: storeKind === 'mongo' ? { kind: 'mongo', uri: raw.MONGODB_URI as string } : { kind: 'embedded', dataDir },
    jwt: {
      algorithms,
      issuer: raw.JWT_ISSUER,
      audience: raw.JWT_AUDIENCE,
      verifyKey: verifyKey as string,
      signingKey,
    },
    tokenEncryptionKeys: keyring.keys,
    klaviyo: {
      clientId: raw.KLAVIYO_CLIENT_ID,
      clientSecret: raw.KLAVIYO_CLIENT_SECRET,
      redirectUri: raw.KLAVIYO_REDIRECT_URI,
      scopes: raw.KLAVIYO_SCOPES.split(/\s+/).filter(Boolean),
      authorizeUrl: raw.KLAVIYO_AUTHORIZE_URL,
      apiUrl: raw.KLAVIYO_API_URL.replace(/\/+$/, ''),
      revision: raw.KLAVIYO_REVISION,
    },
    logLevel: raw.LOG_LEVEL,
    defaultPhoneRegion: raw.DEFAULT_PHONE_REGION as CountryCode,
    role: raw.ROLE,
    delivery: { leaseTtlMs: raw.DELIVERY_LEASE_SECONDS * 1000, retryWindowMs: raw.RETRY_WINDOW * 1000 },
  };
  return { config: deepFreeze(config), warnings };
}

/** The secrets production never generates; checked on the raw environment so they are reported even beside parse errors. */
function missingProductionSecrets(env: NodeJS.ProcessEnv): string[] {
  if (env.NODE_ENV !== 'production') return [];
  const missing: string[] = [];
  const blank = (name: string) => !env[name]?.trim();
  if (blank('JWT_SECRET') && blank('JWT_PUBLIC_KEY')) {
    missing.push('JWT_SECRET (or JWT_PUBLIC_KEY with JWT_ALGORITHMS=RS256/ES256): required when NODE_ENV=production');
  }
  if (blank('TOKEN_ENCRYPTION_KEYS')) {
    missing.push('TOKEN_ENCRYPTION_KEYS: required when NODE_ENV=production (kid:base64-32-bytes, comma separated)');
  }
  return missing;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Buffer.isBuffer(value) && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
