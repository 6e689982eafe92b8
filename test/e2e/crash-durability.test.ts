import { Scope } from '../../src/auth';
import { mintCallerToken } from '../../src/auth';
import { loadConfig } from '../../src/config';
import { InstallStandardMetricsDocument, RecordSignalDocument, SignalDocument } from '../generated/graphql';
import { tempDataDir } from '../support/env';
import { graphqlRequest } from '../support/graphql-client';
import { spawnGateway } from '../support/process';

const SIGNALS = 1000;
const CONCURRENCY = 25;

describe('durability across kill -9', () => {
  it(`keeps all ${SIGNALS} answered recordSignal calls after the process is killed right after the last answer`, async () => {
    const dataDir = tempDataDir();
    const env = { NODE_ENV: 'development', PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'info' };
    const first = await spawnGateway({ env });
    const { config } = loadConfig(env);
    const token = mintCallerToken(config.jwt, { brand: 'acme', scopes: [Scope.SignalsWrite, Scope.OpsRead, Scope.OpsWrite] });
    await graphqlRequest(first.url, InstallStandardMetricsDocument, { token });

    const answered: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < SIGNALS) {
          const i = next++;
          const response = await graphqlRequest(first.url, RecordSignalDocument, {
            token,
            variables: { input: { metric: 'browse_abandonment', identity: { anonymousId: `anon-${i % 97}` }, properties: { ProductID: `p_${i}`, ProductName: 'Trail Runner 2', URL: 'https://shop.example.com/p/1' }, idempotencyKey: `crash-${i}` } },
          });
          if (response.data?.recordSignal) answered.push(response.data.recordSignal.signal.id);
        }
      }),
    );
    first.kill('SIGKILL');
    expect(await first.exited).toMatchObject({ signal: 'SIGKILL' });
    expect(answered).toHaveLength(SIGNALS);

    const second = await spawnGateway({ env });
    try {
      let found = 0;
      for (let i = 0; i < answered.length; i += 50) {
        const batch = await Promise.all(answered.slice(i, i + 50).map((id) => graphqlRequest(second.url, SignalDocument, { token, variables: { id } })));
        found += batch.filter((r) => r.data?.signal?.id).length;
      }
      expect(found).toBe(SIGNALS);
    } finally {
      second.kill('SIGTERM');
      await second.exited;
    }
  });
});
