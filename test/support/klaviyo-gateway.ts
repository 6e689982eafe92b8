import { createServer } from 'node:net';
import { FakeKlaviyo } from '../fakes/klaviyo';
import { startTestGateway, type TestGateway } from './gateway';

/** A free TCP port, so the gateway's OAuth redirect URI can be known before it starts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface KlaviyoEnvironment {
  readonly fake: FakeKlaviyo;
  readonly gateway: TestGateway;
  readonly callbackUrl: string;
  stop(): Promise<void>;
}

/** The fake Klaviyo and a gateway configured against it, with its callback registered as the app's redirect URI. */
export async function startGatewayWithKlaviyo(options: { env?: NodeJS.ProcessEnv; fake?: Parameters<typeof FakeKlaviyo.start>[0] } = {}): Promise<KlaviyoEnvironment> {
  const port = await freePort();
  const callbackUrl = `http://localhost:${port}/oauth/klaviyo/callback`;
  const fake = await FakeKlaviyo.start({ redirectUris: [callbackUrl], ...options.fake });
  const gateway = await startTestGateway({
    env: {
      PORT: String(port),
      KLAVIYO_CLIENT_ID: fake.clientId,
      KLAVIYO_CLIENT_SECRET: fake.clientSecret,
      KLAVIYO_REDIRECT_URI: callbackUrl,
      KLAVIYO_AUTHORIZE_URL: fake.authorizeUrl,
      KLAVIYO_API_URL: fake.url,
      ...options.env,
    },
  });
  return {
    fake,
    gateway,
    callbackUrl,
    async stop() {
      await gateway.stop();
      await fake.stop();
    },
  };
}
