import { Arg, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { Scope } from '../auth';
import type { GatewayContext } from '../context';
import { rolloutEntries } from '../signals';
import type { MetricDefinitionRecord } from '../store';
import { requireViewer } from '../schema/auth-checker';
import { EnvironmentRolloutType, MetricDefinitionInputType, MetricDefinitionType, RolloutInputType } from '../schema/metric-definition.type';

@Resolver(() => MetricDefinitionType)
export class MetricDefinitionResolver {
  @Authorized(Scope.OpsRead)
  @Query(() => [MetricDefinitionType])
  metricDefinitions(@Ctx() context: GatewayContext): Promise<MetricDefinitionRecord[]> {
    return context.services.metrics.list(requireViewer(context).brand);
  }

  @Authorized(Scope.OpsRead)
  @Query(() => MetricDefinitionType, { nullable: true })
  metricDefinition(@Arg('key', () => String) key: string, @Ctx() context: GatewayContext): Promise<MetricDefinitionRecord | null> {
    return context.services.metrics.get(requireViewer(context).brand, key);
  }

  @Authorized(Scope.OpsWrite)
  @Mutation(() => MetricDefinitionType)
  defineMetric(@Arg('input', () => MetricDefinitionInputType) input: MetricDefinitionInputType, @Ctx() context: GatewayContext): Promise<MetricDefinitionRecord> {
    return context.services.metrics.define(requireViewer(context).brand, input);
  }

  @Authorized(Scope.OpsWrite)
  @Mutation(() => MetricDefinitionType)
  setMetricRollout(@Arg('key', () => String) key: string, @Arg('rollout', () => RolloutInputType) rollout: RolloutInputType, @Ctx() context: GatewayContext): Promise<MetricDefinitionRecord> {
    return context.services.metrics.setRollout(requireViewer(context).brand, key, rollout);
  }

  @Authorized(Scope.OpsWrite)
  @Mutation(() => [MetricDefinitionType], { description: 'Defines the five standard signals (browse, product and cart abandonment, category browse, back in stock) for the caller\'s brand; rollouts are left as they are (OFF when new).' })
  installStandardMetrics(@Ctx() context: GatewayContext): Promise<MetricDefinitionRecord[]> {
    return context.services.metrics.installStandard(requireViewer(context).brand);
  }

  @FieldResolver(() => [EnvironmentRolloutType])
  rollout(@Root() metric: MetricDefinitionRecord): EnvironmentRolloutType[] {
    return rolloutEntries(metric.rollout);
  }
}
