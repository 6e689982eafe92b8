import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Environment, RolloutMode } from './enums';
import { DateTimeScalar, JSONObjectScalar } from './scalars';

@ObjectType('EnvironmentRollout')
export class EnvironmentRolloutType {
  @Field(() => Environment)
  environment!: keyof typeof Environment;

  @Field(() => RolloutMode)
  mode!: keyof typeof RolloutMode;

  @Field(() => Int, { description: '0..100: share of profiles (deterministic by profile id) that get deliveries when mode is ON' })
  percentage!: number;
}

@ObjectType('MetricDefinition', { description: 'A data contract: what signals of one metric must look like, and where they go.' })
export class MetricDefinitionType {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { description: 'Machine key used by storefronts, e.g. "cart_abandonment".' })
  key!: string;

  @Field(() => String, { description: 'Klaviyo metric name, e.g. "Cart Abandonment"; keep it stable (branded metrics).' })
  name!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => JSONObjectScalar, { description: 'JSON Schema (draft 2020-12) that signal properties must satisfy.' })
  propertiesSchema!: Record<string, unknown>;

  @Field(() => [String], { description: 'JSON pointers into properties that hold personal data.' })
  piiFields!: string[];

  @Field(() => Int, { description: 'Starts at 1, +1 on each defineMetric that changes the contract.' })
  version!: number;

  @Field(() => [EnvironmentRolloutType], { description: 'One entry per Environment.' })
  rollout!: EnvironmentRolloutType[];

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar)
  updatedAt!: Date;
}

@InputType('RolloutInput')
export class RolloutInputType {
  @Field(() => Environment)
  environment!: keyof typeof Environment;

  @Field(() => RolloutMode)
  mode!: keyof typeof RolloutMode;

  @Field(() => Int, { nullable: true, defaultValue: 100 })
  percentage?: number;
}

@InputType('MetricDefinitionInput')
export class MetricDefinitionInputType {
  @Field(() => String)
  key!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => JSONObjectScalar)
  propertiesSchema!: Record<string, unknown>;

  @Field(() => [String], { nullable: true })
  piiFields?: string[] | null;

  @Field(() => [RolloutInputType], { nullable: true, description: 'Omitted environments: OFF.' })
  rollout?: RolloutInputType[] | null;
}
