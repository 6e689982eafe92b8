export { buildEventPayload, type EventPayload, type EventPayloadInput } from './event-payload';
