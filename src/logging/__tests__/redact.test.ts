import { Writable } from 'node:stream';
import { createLogger, REDACTED, redactDeep, redactText } from '..';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJicmFuZCI6ImFjbWUifQ.c2lnbmF0dXJl';

function captureLogger(level = 'debug') {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger({ level, destination }), lines };
}

describe('redaction', () => {
  it.each([
    ['Authorization header value', 'Bearer abc.def-ghi', `Bearer ${REDACTED}`],
    ['Klaviyo private key header', 'Klaviyo-API-Key pk_0123456789abcdef', `Klaviyo-API-Key ${REDACTED}`],
    ['Basic client credentials', 'Basic Y2xpZW50OnNlY3JldA==', `Basic ${REDACTED}`],
    ['JWT in prose', `token was ${JWT} ok`, `token was ${REDACTED} ok`],
    ['bare private key', 'key pk_abcdefghijklmnop used', `key ${REDACTED} used`],
    ['OAuth code in a URL', '/cb?code=s3cr3t&state=abc&x=1', `/cb?code=${REDACTED}&state=${REDACTED}&x=1`],
  ])('scrubs a %s inside text', (_name, input, expected) => {
    expect(redactText(input)).toBe(expected);
  });

  it('replaces secret-named keys at any depth and keeps the rest', () => {
    const input = {
      req: { headers: { authorization: 'Bearer x', 'content-type': 'application/json' } },
      connection: { vault: { tokens: [{ accessToken: 'a1', refresh_token: 'r1', accessTokenExpiresAt: '2026-12-04' }] } },
      deep: { a: { b: { c: { d: { apiKey: 'k', client_secret: 's', code_verifier: 'v' } } } } },
    };
    expect(redactDeep(input)).toEqual({
      req: { headers: { authorization: REDACTED, 'content-type': 'application/json' } },
      connection: { vault: { tokens: [{ accessToken: REDACTED, refresh_token: REDACTED, accessTokenExpiresAt: '2026-12-04' }] } },
      deep: { a: { b: { c: { d: { apiKey: REDACTED, client_secret: REDACTED, code_verifier: REDACTED } } } } },
    });
    expect(input.req.headers.authorization).toBe('Bearer x');
  });

  it('scrubs error messages and stacks, and survives cycles', () => {
    const error = new Error(`refresh failed for Bearer ${JWT}`);
    const cyclic: Record<string, unknown> = { error };
    cyclic.self = cyclic;
    const out = redactDeep(cyclic) as { error: { message: string; stack: string }; self: unknown };
    expect(out.error.message).toBe(`refresh failed for Bearer ${REDACTED}`);
    expect(out.error.stack).not.toContain(JWT);
    expect(out.self).toBe('[Circular]');
  });

  it('keeps secrets out of every part of a log line: bindings, object and message', () => {
    const { logger, lines } = captureLogger();
    logger.child({ token: 'child-secret' }).info({ nested: { list: [{ password: 'pw' }] }, err: new Error(`bad ${JWT}`) }, `sent Bearer ${JWT}`);
    logger.flush();
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    for (const secret of ['child-secret', 'pw', JWT]) expect(line).not.toContain(secret);
    expect(JSON.parse(line)).toMatchObject({ token: REDACTED, msg: `sent Bearer ${REDACTED}`, level: 'info' });
  });
});
