export { buildEventPayload, type EventPayload, type EventPayloadInput } from './event-payload';
export { DeliveryReports, encodeCursor, decodeCursor, MAX_PAGE_SIZE, type DeliveryFilter, type DeliveryPageResult, type MetricDeliveryStats } from './delivery-reports';
