import { Arg, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Scope } from '../auth';
import type { GatewayContext } from '../context';
import type { Loaders } from '../loaders';
import { requireViewer } from '../schema/auth-checker';
import { ConnectionType } from '../schema/connection.type';
import { ErrorCode, GatewayError } from '../schema/errors';
import { MetricDefinitionType } from '../schema/metric-definition.type';
import { IdentityInputType, ProfileType } from '../schema/profile.type';
import { DeliveryType, RecordSignalPayloadType, RecordSignalsPayloadType, SignalInputType, SignalType } from '../schema/signal.type';
import { JSONObjectScalar } from '../schema/scalars';
import type { ConnectionRecord, DeliveryRecord, MetricDefinitionRecord, ProfileRecord, SignalRecord } from '../store';
import type { BatchOutcome, RecordedSignal } from '../signals';

function loadersOf(context: GatewayContext): Loaders {
  requireViewer(context);
  return context.loaders!;
}

function required<T>(value: T | null, what: string): T {
  // The store's foreign keys make this unreachable; if it is reached, say what broke.
  if (value === null) throw new GatewayError(ErrorCode.INTERNAL_SERVER_ERROR, `${what} is missing`);
  return value;
}

@Resolver(() => SignalType)
export class SignalResolver {
  @Authorized(Scope.SignalsWrite)
  @Mutation(() => RecordSignalPayloadType, { description: 'An answer means the signal is stored durably.' })
  recordSignal(@Arg('input', () => SignalInputType) input: SignalInputType, @Ctx() context: GatewayContext): Promise<RecordedSignal> {
    return context.services.intake.recordSignal(requireViewer(context).brand, input);
  }

  @Authorized(Scope.SignalsWrite)
  @Mutation(() => RecordSignalsPayloadType, { description: 'At most 500 inputs; bad items come back in errors, the others are recorded.' })
  recordSignals(@Arg('inputs', () => [SignalInputType]) inputs: SignalInputType[], @Ctx() context: GatewayContext): Promise<BatchOutcome> {
    return context.services.intake.recordSignals(requireViewer(context).brand, inputs);
  }

  @Authorized(Scope.OpsRead)
  @Query(() => SignalType, { nullable: true })
  signal(@Arg('id', () => ID) id: string, @Ctx() context: GatewayContext): Promise<SignalRecord | null> {
    return loadersOf(context).signal.load(id);
  }

  @FieldResolver(() => MetricDefinitionType)
  async metric(@Root() signal: SignalRecord, @Ctx() context: GatewayContext): Promise<MetricDefinitionRecord> {
    return required(await loadersOf(context).metric.load(signal.metricId), `metric ${signal.metricId}`);
  }

  @FieldResolver(() => ProfileType, { nullable: true, description: 'Null only after forgetProfile.' })
  profile(@Root() signal: SignalRecord, @Ctx() context: GatewayContext): Promise<ProfileRecord | null> | null {
    return signal.profileId ? loadersOf(context).profile.load(signal.profileId) : null;
  }

  @FieldResolver(() => [DeliveryType])
  deliveries(@Root() signal: SignalRecord, @Ctx() context: GatewayContext): Promise<DeliveryRecord[]> {
    return loadersOf(context).deliveriesOfSignal.load(signal.id);
  }
}

@Resolver(() => DeliveryType)
export class DeliveryResolver {
  @FieldResolver(() => SignalType)
  async signal(@Root() delivery: DeliveryRecord, @Ctx() context: GatewayContext): Promise<SignalRecord> {
    return required(await loadersOf(context).signal.load(delivery.signalId), `signal ${delivery.signalId}`);
  }

  @FieldResolver(() => ConnectionType)
  async connection(@Root() delivery: DeliveryRecord, @Ctx() context: GatewayContext): Promise<ConnectionRecord> {
    return required(await loadersOf(context).connection.load(delivery.connectionId), `connection ${delivery.connectionId}`);
  }
}

@Resolver(() => ProfileType)
export class ProfileResolver {
  @Authorized(Scope.SignalsWrite)
  @Mutation(() => ProfileType, { description: 'Links identifiers into one profile and stores its attributes (first_name, last_name, locale, ...).' })
  identify(
    @Arg('identity', () => IdentityInputType) identity: IdentityInputType,
    @Arg('attributes', () => JSONObjectScalar, { nullable: true }) attributes: Record<string, unknown> | null,
    @Ctx() context: GatewayContext,
  ): Promise<ProfileRecord> {
    return context.services.intake.identify(requireViewer(context).brand, identity, attributes ?? null);
  }

  @Authorized(Scope.OpsRead)
  @Query(() => ProfileType, { nullable: true })
  profile(@Arg('id', () => ID) id: string, @Ctx() context: GatewayContext): Promise<ProfileRecord | null> {
    return loadersOf(context).profile.load(id);
  }

  @Authorized(Scope.OpsRead)
  @Query(() => ProfileType, { nullable: true, description: 'Read-only: never creates or merges.' })
  lookupProfile(@Arg('identity', () => IdentityInputType) identity: IdentityInputType, @Ctx() context: GatewayContext): Promise<ProfileRecord | null> {
    return context.services.intake.lookupProfile(requireViewer(context).brand, identity);
  }

  @FieldResolver(() => String, { nullable: true })
  email(@Root() profile: ProfileRecord): string | null {
    return profile.identifiers.find((i) => i.kind === 'EMAIL')?.value ?? null;
  }

  @FieldResolver(() => String, { nullable: true })
  phone(@Root() profile: ProfileRecord): string | null {
    return profile.identifiers.find((i) => i.kind === 'PHONE')?.value ?? null;
  }

  @FieldResolver(() => String, { nullable: true })
  externalId(@Root() profile: ProfileRecord): string | null {
    return profile.identifiers.find((i) => i.kind === 'EXTERNAL_ID')?.value ?? null;
  }
}
