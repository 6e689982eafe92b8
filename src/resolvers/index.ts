import { ConnectionResolver } from './connection.resolver';
import { MetricDefinitionResolver } from './metric-definition.resolver';
import { DeliveryReportResolver } from './delivery-report.resolver';
import { DeliveryResolver, ProfileResolver, SignalResolver } from './signal.resolver';
import { ViewerResolver } from './viewer.resolver';

/** Every resolver class of the public schema. */
export const resolvers = [ViewerResolver, ConnectionResolver, MetricDefinitionResolver, SignalResolver, DeliveryResolver, ProfileResolver, DeliveryReportResolver] as const;
