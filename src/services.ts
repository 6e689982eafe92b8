import type { Logger } from 'pino';
import type { Config } from './config';
import { ConnectionService, TokenVault } from './connections';
import { KlaviyoOAuth } from './datasources/klaviyo';
import { DeliveryReports } from './delivery';
import { EventBus } from './pubsub';
import { MetricDefinitionService, SignalIntake } from './signals';
import type { Store } from './store';

/** The capability services resolvers and routes call, wired once from config and store. */
export interface Services {
  readonly connections: ConnectionService;
  readonly metrics: MetricDefinitionService;
  readonly intake: SignalIntake;
  readonly deliveries: DeliveryReports;
  /** Status changes, for subscriptions and monitors. */
  readonly bus: EventBus;
}

export function createServices({ config, store, logger }: { config: Config; store: Store; logger: Logger }): Services {
  const vault = new TokenVault(config.tokenEncryptionKeys);
  const { klaviyo } = config;
  const oauth =
    klaviyo.clientId && klaviyo.clientSecret
      ? new KlaviyoOAuth({ apiUrl: klaviyo.apiUrl, authorizeUrl: klaviyo.authorizeUrl, clientId: klaviyo.clientId, clientSecret: klaviyo.clientSecret, redirectUri: klaviyo.redirectUri, scopes: klaviyo.scopes })
      : undefined;
  const metrics = new MetricDefinitionService(store.metrics);
  const connections = new ConnectionService({ store, vault, oauth, klaviyo, logger });
  return {
    connections,
    metrics,
    intake: new SignalIntake({ store, connections, metrics, defaultPhoneRegion: config.defaultPhoneRegion, logger }),
    deliveries: new DeliveryReports(store),
    bus: new EventBus(logger),
  };
}
