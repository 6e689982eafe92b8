import { Arg, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { Scope } from '../auth';
import type { GatewayContext } from '../context';
import type { DeliveryPageResult, MetricDeliveryStats } from '../delivery';
import { requireViewer } from '../schema/auth-checker';
import { DeliveryConnectionType, DeliveryFilterInput, MetricDeliveryStatsType } from '../schema/delivery-report.type';
import { DateTimeScalar } from '../schema/scalars';

@Resolver()
export class DeliveryReportResolver {
  @Authorized(Scope.OpsRead)
  @Query(() => DeliveryConnectionType, { description: 'first <= 200; stable order (oldest first), opaque cursors.' })
  deliveries(
    @Arg('filter', () => DeliveryFilterInput, { nullable: true }) filter: DeliveryFilterInput | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() context: GatewayContext,
  ): Promise<DeliveryPageResult> {
    return context.services.deliveries.page(requireViewer(context).brand, filter ?? null, first, after ?? null);
  }

  @Authorized(Scope.OpsRead)
  @Query(() => [MetricDeliveryStatsType])
  deliveryStats(
    @Arg('since', () => DateTimeScalar) since: Date,
    @Arg('until', () => DateTimeScalar, { nullable: true }) until: Date | null,
    @Ctx() context: GatewayContext,
  ): Promise<MetricDeliveryStats[]> {
    return context.services.deliveries.stats(requireViewer(context).brand, since, until ?? null);
  }

  @Authorized(Scope.OpsWrite)
  @Mutation(() => Int, { description: 'FAILED and HELD deliveries matching -> QUEUED; returns how many.' })
  retryDeliveries(@Arg('filter', () => DeliveryFilterInput) filter: DeliveryFilterInput, @Ctx() context: GatewayContext): Promise<number> {
    return context.services.deliveries.retry(requireViewer(context).brand, filter);
  }

  @Authorized(Scope.ProfilesErase)
  @Mutation(() => Boolean, { description: 'Erase identity graph and stored personal data; request deletion at Klaviyo.' })
  forgetProfile(@Arg('id', () => ID) id: string, @Ctx() context: GatewayContext): Promise<boolean> {
    return context.services.intake.forgetProfile(requireViewer(context).brand, id);
  }
}
