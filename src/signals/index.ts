export { MetricDefinitionService, rolloutEntries, type MetricDefinitionInput, type RolloutInput } from './metric-definitions';
export { PropertiesContract, checkPiiPointers, type PropertyViolation, type SchemaProblem } from './properties-schema';
export { rolloutDecision, rolloutBucket, ENVIRONMENTS } from './rollout';
export { STANDARD_METRICS, type StandardMetric } from './standard-metrics';
