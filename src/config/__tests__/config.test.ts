import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '..';
import { DEV_SECRET_FILES } from '../dev-secrets';

const tempDir = () => mkdtempSync(join(tmpdir(), 'sg-config-'));
const KEY = Buffer.alloc(32, 7).toString('base64');
const SECRET = 'x'.repeat(40);

function problemsOf(env: NodeJS.ProcessEnv): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected loadConfig to fail');
}

describe('loadConfig', () => {
  it('applies the documented defaults outside production', () => {
    const dataDir = tempDir();
    const { config } = loadConfig({ DATA_DIR: dataDir });
    expect(config.port).toBe(4000);
    expect(config.store).toEqual({ kind: 'embedded', dataDir });
    expect(config.jwt).toMatchObject({ algorithms: ['HS256'], issuer: 'signals-gateway', audience: 'signals-gateway' });
    expect(config.klaviyo).toMatchObject({
      redirectUri: 'http://localhost:4000/oauth/klaviyo/callback',
      scopes: ['accounts:read', 'events:write', 'profiles:write', 'metrics:read'],
      authorizeUrl: 'https://www.klaviyo.com/oauth/authorize',
      apiUrl: 'https://a.klaviyo.com',
      revision: '2026-07-15',
    });
    expect(config.logLevel).toBe('info');
    expect(config.defaultPhoneRegion).toBe('US');
  });

  it('chooses the mongo store when MONGODB_URI is set', () => {
    const { config } = loadConfig({ DATA_DIR: tempDir(), MONGODB_URI: 'mongodb://localhost:27017/sg' });
    expect(config.store).toEqual({ kind: 'mongo', uri: 'mongodb://localhost:27017/sg' });
  });

  it('refuses production without secrets, naming every missing variable in one error', () => {
    const problems = problemsOf({ NODE_ENV: 'production', DATA_DIR: tempDir() });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^JWT_SECRET \(or JWT_PUBLIC_KEY/);
    expect(problems[1]).toMatch(/^TOKEN_ENCRYPTION_KEYS/);
  });

  it('reports missing production secrets beside unrelated parse errors', () => {
    const problems = problemsOf({ NODE_ENV: 'production', PORT: 'eighty', DATA_DIR: tempDir() });
    expect(problems.map((p) => p.split(/[: ]/)[0])).toEqual(['PORT', 'JWT_SECRET', 'TOKEN_ENCRYPTION_KEYS']);
  });

  it('does not generate secrets in production', () => {
    const dataDir = tempDir();
    problemsOf({ NODE_ENV: 'production', DATA_DIR: dataDir });
    expect(() => statSync(join(dataDir, DEV_SECRET_FILES.jwtSecret))).toThrow();
  });

  it('starts production with its secrets given', () => {
    const { config, warnings } = loadConfig({ NODE_ENV: 'production', JWT_SECRET: SECRET, TOKEN_ENCRYPTION_KEYS: `k1:${KEY}` });
    expect(config.production).toBe(true);
    expect(config.tokenEncryptionKeys.map((k) => k.kid)).toEqual(['k1']);
    expect(warnings).toEqual([]);
  });

  it('generates development secrets once, mode 0600, and reuses them on the next start', () => {
    const dataDir = tempDir();
    const first = loadConfig({ DATA_DIR: dataDir });
    expect(first.warnings.join('\n')).toMatch(/generated into/);
    for (const file of Object.values(DEV_SECRET_FILES)) {
      expect(statSync(join(dataDir, file)).mode & 0o777).toBe(0o600);
    }
    const second = loadConfig({ DATA_DIR: dataDir });
    expect(second.warnings.join('\n')).toMatch(/read from/);
    expect(second.config.jwt.verifyKey).toBe(first.config.jwt.verifyKey);
    expect(second.config.tokenEncryptionKeys[0]?.key.equals(first.config.tokenEncryptionKeys[0]!.key)).toBe(true);
    expect(readFileSync(join(dataDir, DEV_SECRET_FILES.jwtSecret), 'utf8').trim()).toBe(first.config.jwt.verifyKey);
  });

  it('checks every keyring entry', () => {
    const problems = problemsOf({ DATA_DIR: tempDir(), JWT_SECRET: SECRET, TOKEN_ENCRYPTION_KEYS: `a:${KEY},nocolon,a:${KEY},b:c2hvcnQ=` });
    expect(problems).toEqual([
      'TOKEN_ENCRYPTION_KEYS entry 2: must be kid:base64key',
      'TOKEN_ENCRYPTION_KEYS entry 3: key id "a" appears twice',
      'TOKEN_ENCRYPTION_KEYS entry 4 ("b"): key must be 32 bytes in base64, got 5',
    ]);
  });

  it('pins public-key algorithms to JWT_PUBLIC_KEY and refuses mixed families', () => {
    expect(problemsOf({ DATA_DIR: tempDir(), JWT_ALGORITHMS: 'RS256' })).toEqual(['JWT_PUBLIC_KEY: required for JWT_ALGORITHMS=RS256']);
    expect(problemsOf({ DATA_DIR: tempDir(), JWT_SECRET: SECRET, JWT_ALGORITHMS: 'HS256,RS256', JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----' }))
      .toContain('JWT_ALGORITHMS: do not mix HS* with RS*/PS*/ES* algorithms');
    expect(problemsOf({ DATA_DIR: tempDir(), JWT_ALGORITHMS: 'none' })[0]).toMatch(/^JWT_ALGORITHMS/);
  });

  it('rejects a short JWT_SECRET, a bad URL and a bad revision', () => {
    const problems = problemsOf({ DATA_DIR: tempDir(), JWT_SECRET: 'short', KLAVIYO_API_URL: 'ftp://x', KLAVIYO_REVISION: 'latest', DEFAULT_PHONE_REGION: 'XX' });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['DEFAULT_PHONE_REGION', 'JWT_SECRET', 'KLAVIYO_API_URL', 'KLAVIYO_REVISION']);
  });

  it('freezes the result', () => {
    const { config } = loadConfig({ DATA_DIR: tempDir() });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.jwt)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
  });
});
