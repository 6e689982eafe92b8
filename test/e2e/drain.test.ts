import { connect, type Socket } from 'node:net';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { graphqlRequest } from '../support/graphql-client';
import { buildProbeSchema, probeCalls } from '../support/probe.resolver';
import { wsClient } from '../support/ws-client';

/** Opens a raw connection and sends part of a request, so the server holds it as in flight. */
function startPartialRequest(port: number, head: string): Promise<{ socket: Socket; response: Promise<string> }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(head);
      const response = new Promise<string>((done) => {
        let text = '';
        socket.on('data', (chunk) => (text += chunk.toString()));
        socket.on('close', () => done(text));
      });
      resolve({ socket, response });
    });
  });
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('graceful stop', () => {
  let gateway: TestGateway;
  beforeEach(async () => {
    gateway = await startTestGateway({ schema: buildProbeSchema() });
  });
  afterEach(() => gateway.stop());

  it('lets in-flight requests finish, refuses new connections, and closes subscribers with 1001', async () => {
    const subscriber = wsClient(gateway.wsUrl, { authorization: `Bearer ${gateway.token()}` });
    await subscriber.connected;
    const startedBefore = probeCalls.started;
    const inFlight = Array.from({ length: 10 }, () => graphqlRequest(gateway.url, '{ slow(ms: 400) }', { token: gateway.token() }));
    await until(() => probeCalls.started - startedBefore === 10);

    const stopped = gateway.server.stop();
    const responses = await Promise.all(inFlight);
    expect(responses.map((r) => r.data)).toEqual(Array(10).fill({ slow: 'slept 400' }));
    expect((await subscriber.closed).code).toBe(1001);
    await stopped;
    expect(gateway.server.phase().phase).toBe('stopped');
    await expect(fetch(gateway.url.replace('/graphql', '/healthz'))).rejects.toThrow();
    await subscriber.client.dispose();
  });

  it('answers /readyz with 503 while draining', async () => {
    const port = gateway.server.port;
    // Headers half sent: the server counts this request as in flight and waits for it.
    const probe = await startPartialRequest(port, 'GET /readyz HTTP/1.1\r\nHost: localhost\r\n');
    const readyBefore = await fetch(`http://localhost:${port}/readyz`);
    expect(readyBefore.status).toBe(200);

    const stopped = gateway.server.stop();
    await until(() => gateway.server.phase().phase === 'draining');
    probe.socket.write('\r\n');
    const raw = await probe.response;
    expect(raw).toMatch(/^HTTP\/1\.1 503/);
    expect(raw).toMatch(/connection: close/i);
    expect(raw).toContain('{"status":"draining"}');
    await stopped;
  });
});
