import { isSupportedCountry } from 'libphonenumber-js';
import { z } from 'zod';

/** Signing algorithms the gateway accepts for caller tokens; `none` is never among them. */
export const SUPPORTED_JWT_ALGORITHMS = [
  'HS256', 'HS384', 'HS512',
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
] as const;
export type JwtAlgorithm = (typeof SUPPORTED_JWT_ALGORITHMS)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const url = (fallback: string) => z.url({ protocol: /^https?$/ }).default(fallback);

/**
 * The environment variables the gateway reads, by their contract names
 * (architecture.md, "Configuration"). Cross-field rules live in `loadConfig`.
 */
export const envSchema = z.object({
  NODE_ENV: z.enum(['production', 'development', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  STORE: z.enum(['embedded', 'mongo']).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  MONGODB_URI: optionalString.pipe(
    z.string().regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://').optional(),
  ),
  JWT_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  JWT_PUBLIC_KEY: optionalString.pipe(z.string().includes('-----BEGIN', { message: 'must be a PEM key' }).optional()),
  JWT_PRIVATE_KEY: optionalString.pipe(z.string().includes('-----BEGIN', { message: 'must be a PEM key' }).optional()),
  JWT_ALGORITHMS: z
    .string()
    .default('HS256')
    .transform((value) => value.split(/[\s,]+/).filter(Boolean))
    .pipe(z.array(z.enum(SUPPORTED_JWT_ALGORITHMS, { message: `each must be one of ${SUPPORTED_JWT_ALGORITHMS.join(', ')}` })).min(1)),
  JWT_ISSUER: z.string().min(1).default('signals-gateway'),
  JWT_AUDIENCE: z.string().min(1).default('signals-gateway'),
  TOKEN_ENCRYPTION_KEYS: optionalString,
  KLAVIYO_CLIENT_ID: optionalString,
  KLAVIYO_CLIENT_SECRET: optionalString,
  KLAVIYO_REDIRECT_URI: url('http://localhost:4000/oauth/klaviyo/callback'),
  KLAVIYO_SCOPES: z.string().min(1).default('accounts:read events:write profiles:write metrics:read'),
  KLAVIYO_AUTHORIZE_URL: url('https://www.klaviyo.com/oauth/authorize'),
  KLAVIYO_API_URL: url('https://a.klaviyo.com'),
  KLAVIYO_REVISION: z.string().regex(/^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/, 'must look like 2026-07-15').default('2026-07-15'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  ROLE: z.enum(['api', 'worker', 'all']).default('all'),
  DELIVERY_LEASE_SECONDS: z.coerce.number().min(1).max(600).default(30),
  RETRY_WINDOW: z.coerce.number().min(60).default(86_400),
  DEFAULT_PHONE_REGION: z
    .string()
    .default('US')
    .refine((value) => isSupportedCountry(value), { message: 'must be an ISO 3166 country code libphonenumber supports, e.g. US, GB, DE' }),
});

export type RawEnv = z.infer<typeof envSchema>;
