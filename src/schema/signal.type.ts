import { Field, Float, ID, InputType, Int, ObjectType } from 'type-graphql';
import { DeliveryStatus, Environment, FailureCategory } from './enums';
import { DateTimeScalar, JSONObjectScalar } from './scalars';
import { IdentityInputType } from './profile.type';

@ObjectType('DeliveryFailure')
export class DeliveryFailureType {
  @Field(() => FailureCategory)
  category!: keyof typeof FailureCategory;

  @Field(() => Int, { nullable: true })
  httpStatus!: number | null;

  @Field(() => String, { nullable: true, description: 'Klaviyo error code, e.g. "invalid", "throttled", "invalid_grant".' })
  code!: string | null;

  @Field(() => String)
  detail!: string;

  @Field(() => String, { nullable: true, description: 'Klaviyo source.pointer, when given.' })
  pointer!: string | null;
}

@ObjectType('Delivery', { description: 'One signal on its way to one Klaviyo connection.' })
export class DeliveryType {
  @Field(() => ID)
  id!: string;

  @Field(() => Environment)
  environment!: keyof typeof Environment;

  @Field(() => DeliveryStatus)
  status!: keyof typeof DeliveryStatus;

  @Field(() => Int)
  attempts!: number;

  @Field(() => DateTimeScalar, { nullable: true })
  nextAttemptAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  lastAttemptAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  deliveredAt!: Date | null;

  @Field(() => DeliveryFailureType, { nullable: true })
  failure!: DeliveryFailureType | null;

  @Field(() => JSONObjectScalar, { nullable: true, description: 'The JSON:API event as POST /api/events takes it, built once and stored; for SHADOWED, what would be sent.' })
  payload!: Record<string, unknown> | null;

  @Field(() => DateTimeScalar)
  updatedAt!: Date;
}

@ObjectType('Signal', { description: 'One recorded shopper behavior.' })
export class SignalType {
  @Field(() => ID)
  id!: string;

  @Field(() => Int)
  metricVersion!: number;

  @Field(() => DateTimeScalar)
  occurredAt!: Date;

  @Field(() => DateTimeScalar)
  receivedAt!: Date;

  @Field(() => JSONObjectScalar)
  properties!: Record<string, unknown>;

  @Field(() => Float, { nullable: true })
  value!: number | null;

  @Field(() => String, { nullable: true })
  valueCurrency!: string | null;

  @Field(() => String, { description: "The client's, or one the gateway assigned; sent to Klaviyo as unique_id." })
  idempotencyKey!: string;
}

@ObjectType('RecordSignalPayload')
export class RecordSignalPayloadType {
  @Field(() => SignalType)
  signal!: SignalType;

  @Field(() => Boolean)
  duplicate!: boolean;
}

@ObjectType('SignalInputError')
export class SignalInputErrorType {
  @Field(() => Int, { description: 'Position in `inputs`.' })
  index!: number;

  @Field(() => String, { description: 'An error code, as in extensions.code.' })
  code!: string;

  @Field(() => String, { nullable: true, description: 'Path inside that input, e.g. "identity.email" or "properties.items.0.price".' })
  field!: string | null;

  @Field(() => String)
  message!: string;
}

@ObjectType('RecordSignalsPayload')
export class RecordSignalsPayloadType {
  @Field(() => Int)
  accepted!: number;

  @Field(() => Int)
  duplicates!: number;

  @Field(() => [SignalType], { description: 'Accepted and duplicate signals, in input order.' })
  signals!: SignalType[];

  @Field(() => [SignalInputErrorType], { description: 'Items rejected; the others are still recorded.' })
  errors!: SignalInputErrorType[];
}

@InputType('SignalInput')
export class SignalInputType {
  @Field(() => String, { description: 'MetricDefinition.key' })
  metric!: string;

  @Field(() => IdentityInputType, { description: 'At least one identifier.' })
  identity!: IdentityInputType;

  @Field(() => JSONObjectScalar)
  properties!: Record<string, unknown>;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Default: now.' })
  occurredAt?: Date | null;

  @Field(() => Float, { nullable: true })
  value?: number | null;

  @Field(() => String, { nullable: true })
  valueCurrency?: string | null;

  @Field(() => String, { nullable: true, description: 'The same key again returns the first signal (duplicate: true).' })
  idempotencyKey?: string | null;
}
