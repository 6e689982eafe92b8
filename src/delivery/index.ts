export { buildEventPayload, type EventPayload, type EventPayloadInput } from './event-payload';
export { DeliveryReports, encodeCursor, decodeCursor, MAX_PAGE_SIZE, type DeliveryFilter, type DeliveryPageResult, type MetricDeliveryStats } from './delivery-reports';
export { decideAfterAttempt, backoffDelayMs, failureRecord, DEFAULT_RETRY_POLICY, type RetryDecision, type RetryPolicyOptions, type AttemptContext } from './retry-policy';
export { RateBudget, KLAVIYO_ENDPOINT_LIMITS, type KlaviyoEndpoint } from './rate-budget';
export { planRequests, bulkBody, eventsAtPointer, BULK_LIMITS, type DueEvent, type SendPlan } from './batching';
export { DeliveryWorker, type DeliveryWorkerOptions, type WorkerPhase } from './worker';
export { buildProfileImportPayload, identifiesSomeone } from './profile-payload';
