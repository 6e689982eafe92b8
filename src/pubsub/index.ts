export { EventBus, Topic, type DeliveryUpdate, type TopicPayloads } from './bus';
