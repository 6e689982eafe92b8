import type { Logger } from 'pino';
import type { ConnectionRecord, DeliveryStatus } from '../store';

/** The bus's topics; the subscriptions issue exposes them as `deliveryUpdated` and `connectionChanged`. */
export enum Topic {
  DeliveryUpdated = 'DELIVERY_UPDATED',
  ConnectionChanged = 'CONNECTION_CHANGED',
}

export interface DeliveryUpdate {
  readonly brand: string;
  readonly deliveryIds: readonly string[];
  readonly status: DeliveryStatus;
  readonly connectionId: string;
}

export interface TopicPayloads {
  [Topic.DeliveryUpdated]: DeliveryUpdate;
  [Topic.ConnectionChanged]: { readonly brand: string; readonly connection: ConnectionRecord };
}

type Listener<T extends Topic> = (payload: TopicPayloads[T]) => void;

/**
 * An in-process, typed publish/subscribe bus. Publishing never blocks or
 * fails the publisher: listeners run later, on their own, and a listener
 * that throws is logged and skipped.
 */
export class EventBus {
  private readonly listeners = new Map<Topic, Set<Listener<Topic>>>();

  constructor(private readonly logger?: Logger) {}

  publish<T extends Topic>(topic: T, payload: TopicPayloads[T]): void {
    const listeners = this.listeners.get(topic);
    if (!listeners || listeners.size === 0) return;
    setImmediate(() => {
      for (const listener of listeners) {
        try {
          (listener as Listener<T>)(payload);
        } catch (error) {
          this.logger?.error({ err: error, topic }, 'an event listener failed');
        }
      }
    });
  }

  /** Returns the unsubscribe function. */
  subscribe<T extends Topic>(topic: T, listener: Listener<T>): () => void {
    let set = this.listeners.get(topic);
    if (!set) this.listeners.set(topic, (set = new Set()));
    set.add(listener as Listener<Topic>);
    return () => set!.delete(listener as Listener<Topic>);
  }
}
