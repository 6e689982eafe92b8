import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { DeliveryStatus, Environment, FailureCategory } from './enums';
import { MetricDefinitionType } from './metric-definition.type';
import { DateTimeScalar } from './scalars';
import { DeliveryType } from './signal.type';

@InputType('DeliveryFilter')
export class DeliveryFilterInput {
  @Field(() => String, { nullable: true, description: 'MetricDefinition.key' })
  metric?: string | null;

  @Field(() => [DeliveryStatus], { nullable: true })
  status?: Array<keyof typeof DeliveryStatus> | null;

  @Field(() => Environment, { nullable: true })
  environment?: keyof typeof Environment | null;

  @Field(() => ID, { nullable: true })
  connectionId?: string | null;

  @Field(() => FailureCategory, { nullable: true })
  failureCategory?: keyof typeof FailureCategory | null;

  @Field(() => ID, { nullable: true })
  profileId?: string | null;

  @Field(() => DateTimeScalar, { nullable: true })
  since?: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  until?: Date | null;
}

@ObjectType('PageInfo')
export class PageInfoType {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true })
  endCursor!: string | null;
}

@ObjectType('DeliveryEdge')
export class DeliveryEdgeType {
  @Field(() => String)
  cursor!: string;

  @Field(() => DeliveryType)
  node!: DeliveryType;
}

@ObjectType('DeliveryConnection')
export class DeliveryConnectionType {
  @Field(() => [DeliveryEdgeType])
  edges!: DeliveryEdgeType[];

  @Field(() => PageInfoType)
  pageInfo!: PageInfoType;

  @Field(() => Int)
  totalCount!: number;
}

@ObjectType('FailureCount')
export class FailureCountType {
  @Field(() => FailureCategory)
  category!: keyof typeof FailureCategory;

  @Field(() => Int)
  count!: number;
}

@ObjectType('MetricDeliveryStats')
export class MetricDeliveryStatsType {
  @Field(() => MetricDefinitionType)
  metric!: MetricDefinitionType;

  @Field(() => Environment)
  environment!: keyof typeof Environment;

  @Field(() => Int)
  received!: number;

  @Field(() => Int)
  delivered!: number;

  @Field(() => Int)
  failed!: number;

  @Field(() => Int)
  retrying!: number;

  @Field(() => Int)
  held!: number;

  @Field(() => Int)
  shadowed!: number;

  @Field(() => DateTimeScalar, { nullable: true })
  lastDeliveredAt!: Date | null;

  @Field(() => [FailureCountType])
  failuresByCategory!: FailureCountType[];
}
