import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import jwt from 'jsonwebtoken';
import { runCli } from '..';
import { printGatewaySchema } from '../../schema/build-schema';
import { TEST_JWT_SECRET, testEnv, tempDataDir } from '../../../test/support/env';

async function cli(args: string[], env: NodeJS.ProcessEnv = testEnv()) {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (t) => (out += t), err: (t) => (err += t) }, env);
  return { code, out, err };
}

describe('signals-gateway CLI', () => {
  it('token: prints a token with the brand, scopes and lifetime asked for, signed with JWT_SECRET', async () => {
    const { code, out } = await cli(['token', '--brand', 'acme', '--scope', 'signals:write ops:read', '--ttl', '2h']);
    expect(code).toBe(0);
    const claims = jwt.verify(out.trim(), TEST_JWT_SECRET, { audience: 'signals-gateway', issuer: 'signals-gateway' }) as jwt.JwtPayload;
    expect(claims).toMatchObject({ brand: 'acme', scope: 'signals:write ops:read', sub: 'cli' });
    expect(claims.exp! - claims.iat!).toBe(7200);
  });

  it('token: "all" grants every scope', async () => {
    const { out } = await cli(['token', '--brand', 'acme', '--scope', 'all']);
    expect((jwt.decode(out.trim()) as { scope: string }).scope).toBe('signals:write ops:read ops:write connections:write profiles:erase');
  });

  it.each([
    [['token', '--scope', 'ops:read'], /--brand is required/],
    [['token', '--brand', 'acme'], /--scope is required/],
    [['token', '--brand', 'acme', '--scope', 'ops:read root'], /unknown scope "root"/],
    [['token', '--brand', 'acme', '--scope', 'ops:read', '--ttl', 'forever'], /not a duration/],
    [['token', '--brand', 'acme', '--scope', 'ops:read', '--colour'], /Unknown option '--colour'/],
    [['token', '--brand', 'not ok', '--scope', 'ops:read'], /not a valid brand id/],
    [['frobnicate'], /unknown command "frobnicate"/],
  ])('refuses %j with a message saying what is wrong', async (args, message) => {
    const { code, err, out } = await cli(args);
    expect(code).not.toBe(0);
    expect(err).toMatch(message);
    expect(out).toBe('');
  });

  it('token: reports a bad configuration instead of signing', async () => {
    const { code, err } = await cli(['token', '--brand', 'acme', '--scope', 'ops:read'], { NODE_ENV: 'production', DATA_DIR: tempDataDir() });
    expect(code).toBe(1);
    expect(err).toMatch(/invalid configuration/);
  });

  it('emit-schema: writes the schema the code builds', async () => {
    const file = join(tempDataDir(), 'schema.graphql');
    expect((await cli(['emit-schema', file])).code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(printGatewaySchema());
  });
});
