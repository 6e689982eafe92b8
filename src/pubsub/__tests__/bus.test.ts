import { EventBus, Topic } from '..';

describe('EventBus', () => {
  it('delivers to subscribers after the publisher has moved on, and survives a failing listener', async () => {
    const bus = new EventBus();
    const seen: string[] = [];
    bus.subscribe(Topic.DeliveryUpdated, () => {
      throw new Error('listener bug');
    });
    const unsubscribe = bus.subscribe(Topic.DeliveryUpdated, (update) => seen.push(`${update.status}:${update.deliveryIds.join(',')}`));
    bus.publish(Topic.DeliveryUpdated, { brand: 'acme', deliveryIds: ['d-1', 'd-2'], status: 'DELIVERED', connectionId: 'c-1' });
    expect(seen).toEqual([]); // not in the publisher's call
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual(['DELIVERED:d-1,d-2']);
    unsubscribe();
    bus.publish(Topic.DeliveryUpdated, { brand: 'acme', deliveryIds: ['d-3'], status: 'FAILED', connectionId: 'c-1' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen).toEqual(['DELIVERED:d-1,d-2']);
  });
});
