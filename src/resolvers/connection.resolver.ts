import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Scope } from '../auth';
import { connectionHealth } from '../connections';
import type { GatewayContext } from '../context';
import type { ConnectionRecord } from '../store';
import { requireViewer } from '../schema/auth-checker';
import { AuthorizationRequestType, ConnectionHealthType, ConnectionType } from '../schema/connection.type';
import { Environment } from '../schema/enums';

/** Health looks at the last hour of deliveries. */
const HEALTH_WINDOW_MS = 3600_000;

@Resolver(() => ConnectionType)
export class ConnectionResolver {
  @Authorized(Scope.OpsRead)
  @Query(() => [ConnectionType])
  connections(@Ctx() context: GatewayContext): Promise<ConnectionRecord[]> {
    return context.services.connections.list(requireViewer(context).brand);
  }

  @Authorized(Scope.OpsRead)
  @Query(() => ConnectionType, { nullable: true })
  connection(@Arg('id', () => ID) id: string, @Ctx() context: GatewayContext): Promise<ConnectionRecord | null> {
    return context.services.connections.get(requireViewer(context).brand, id);
  }

  @Authorized(Scope.ConnectionsWrite)
  @Mutation(() => AuthorizationRequestType)
  beginKlaviyoAuthorization(@Arg('environment', () => Environment) environment: keyof typeof Environment, @Ctx() context: GatewayContext) {
    return context.services.connections.beginAuthorization(requireViewer(context).brand, environment);
  }

  @Authorized(Scope.ConnectionsWrite)
  @Mutation(() => ConnectionType, { description: 'A used, expired or unknown state: BAD_USER_INPUT, nothing changes.' })
  completeKlaviyoAuthorization(@Arg('code', () => String) code: string, @Arg('state', () => String) state: string, @Ctx() context: GatewayContext): Promise<ConnectionRecord> {
    return context.services.connections.completeAuthorization({ code, state, brand: requireViewer(context).brand });
  }

  @Authorized(Scope.ConnectionsWrite)
  @Mutation(() => ConnectionType, { description: 'Legacy private-key connections.' })
  connectKlaviyoApiKey(@Arg('environment', () => Environment) environment: keyof typeof Environment, @Arg('apiKey', () => String) apiKey: string, @Ctx() context: GatewayContext): Promise<ConnectionRecord> {
    return context.services.connections.connectApiKey(requireViewer(context).brand, environment, apiKey);
  }

  @Authorized(Scope.ConnectionsWrite)
  @Mutation(() => ConnectionType)
  disconnect(@Arg('connectionId', () => ID) connectionId: string, @Ctx() context: GatewayContext): Promise<ConnectionRecord> {
    return context.services.connections.disconnect(requireViewer(context).brand, connectionId);
  }

  @Authorized(Scope.ConnectionsWrite)
  @Mutation(() => ConnectionType, { description: 'Asks Klaviyo (GET /api/accounts) whether the connection works, refreshing its token if needed; a refusal turns it NEEDS_REAUTH.' })
  verifyConnection(@Arg('id', () => ID) id: string, @Ctx() context: GatewayContext): Promise<ConnectionRecord> {
    return context.services.connections.verify(requireViewer(context).brand, id);
  }

  @FieldResolver(() => ConnectionHealthType)
  async health(@Root() connection: ConnectionRecord, @Ctx() context: GatewayContext): Promise<ConnectionHealthType> {
    const activity = await context.store.deliveryQueue.activity(connection.id, new Date(Date.now() - HEALTH_WINDOW_MS));
    const names = new Map<string, string>();
    for (const failure of activity.failures) names.set(failure.metricId, (await context.loaders?.metric.load(failure.metricId))?.name ?? 'unknown metric');
    return connectionHealth(connection, { activity, metricName: (id) => names.get(id) ?? 'unknown metric' });
  }
}

