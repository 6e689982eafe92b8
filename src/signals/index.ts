export { MetricDefinitionService, rolloutEntries, type MetricDefinitionInput, type RolloutInput } from './metric-definitions';
export { PropertiesContract, checkPiiPointers, type PropertyViolation, type SchemaProblem } from './properties-schema';
export { rolloutDecision, rolloutBucket, ENVIRONMENTS } from './rollout';
export { STANDARD_METRICS, type StandardMetric } from './standard-metrics';
export { SignalIntake, MAX_SIGNALS_PER_CALL, type BatchOutcome, type RecordedSignal, type SignalError } from './intake';
export { checkSignal, SIGNAL_LIMITS, type SignalInput, type InputProblem } from './signal-input';
