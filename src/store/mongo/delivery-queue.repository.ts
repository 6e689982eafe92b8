import type { Model } from 'mongoose';
import type { DeliveryDoc, Models } from '../../models';
import type { ConnectionActivity, DeliveryOutcome, DeliveryQueue, ProfileJobOutcome, ProfileJobRecord } from '../delivery-queue.port';
import { deletionPayload } from '../embedded/delivery-queue.repository';
import type { DeliveryQuery, DeliveryRecord } from '../intake.port';
import { deliveryFilter, toDeliveryRecord } from './intake.repository';

const DUPLICATE_KEY = 11000;

/** The delivery queue in MongoDB: the lease is one document per connection, taken by a filtered upsert. */
export class MongoDeliveryQueue implements DeliveryQueue {
  constructor(private readonly models: Models) {}

  async acquireLease(connectionId: string, owner: string, until: Date, now: Date): Promise<boolean> {
    try {
      await this.models.ConnectionLease.updateOne({ _id: connectionId, $or: [{ owner }, { until: { $lt: now } }] }, { $set: { owner, until } }, { upsert: true });
      return true;
    } catch (error) {
      // The filter missed because someone else holds a live lease, so the upsert hit the _id.
      if ((error as { code?: number }).code === DUPLICATE_KEY) return false;
      throw error;
    }
  }

  async releaseLease(connectionId: string, owner: string): Promise<void> {
    await this.models.ConnectionLease.deleteOne({ _id: connectionId, owner });
  }

  async claimDue(connectionId: string, now: Date, staleBefore: Date, limit: number): Promise<DeliveryRecord[]> {
    const due = { connectionId, $or: [{ status: 'QUEUED' }, { status: 'RETRYING', nextAttemptAt: { $lte: now } }, { status: 'DELIVERING', lastAttemptAt: { $lt: staleBefore } }] };
    const ids = (await this.models.Delivery.find(due, { _id: 1 }).sort({ createdAt: 1, _id: 1 }).limit(limit).lean()).map((d) => d._id);
    if (ids.length === 0) return [];
    await this.models.Delivery.updateMany({ ...due, _id: { $in: ids } }, { $set: { status: 'DELIVERING', lastAttemptAt: now, updatedAt: now } });
    await this.models.Delivery.updateMany({ _id: { $in: ids }, firstAttemptAt: null }, { $set: { firstAttemptAt: now } });
    const claimed = await this.models.Delivery.find({ _id: { $in: ids }, status: 'DELIVERING', lastAttemptAt: now }).sort({ createdAt: 1, _id: 1 }).lean<DeliveryDoc[]>();
    return claimed.map(toDeliveryRecord);
  }

  async recordOutcomes(outcomes: readonly DeliveryOutcome[], now: Date): Promise<void> {
    if (outcomes.length === 0) return;
    await this.models.Delivery.bulkWrite(
      outcomes.map((outcome) => ({
        updateOne: {
          filter: { _id: outcome.id, status: 'DELIVERING' },
          update: {
            $set: { status: outcome.status, nextAttemptAt: outcome.nextAttemptAt, failure: outcome.failure, updatedAt: now, ...(outcome.status === 'DELIVERED' ? { deliveredAt: now } : {}) },
            $inc: { attempts: 1 },
          },
        },
      })),
      { ordered: false },
    );
  }

  async holdConnection(connectionId: string, now: Date): Promise<number> {
    const result = await this.models.Delivery.updateMany({ connectionId, status: { $in: ['QUEUED', 'RETRYING', 'DELIVERING'] } }, { $set: { status: 'HELD', updatedAt: now } });
    return result.modifiedCount;
  }

  async releaseHeld(connectionId: string, now: Date): Promise<number> {
    const result = await this.models.Delivery.updateMany({ connectionId, status: 'HELD' }, { $set: { status: 'QUEUED', nextAttemptAt: null, updatedAt: now } });
    return result.modifiedCount;
  }

  async requeue(brand: string, query: DeliveryQuery, now: Date): Promise<number> {
    const filter = deliveryFilter(brand, query);
    const statuses = (query.statuses ?? ['FAILED', 'HELD']).filter((s) => s === 'FAILED' || s === 'HELD');
    const result = await this.models.Delivery.updateMany(
      { ...filter, status: { $in: statuses } },
      { $set: { status: 'QUEUED', nextAttemptAt: null, firstAttemptAt: null, failure: null, updatedAt: now } },
    );
    return result.modifiedCount;
  }

  async activity(connectionId: string, since: Date): Promise<ConnectionActivity> {
    const [held, pending, delivered, last, failures, importFailures] = await Promise.all([
      this.models.Delivery.countDocuments({ connectionId, status: 'HELD' }),
      this.models.Delivery.countDocuments({ connectionId, status: { $in: ['QUEUED', 'RETRYING', 'DELIVERING'] } }),
      this.models.Delivery.countDocuments({ connectionId, status: 'DELIVERED', deliveredAt: { $gte: since } }),
      this.models.Delivery.findOne({ connectionId, status: 'DELIVERED' }, { deliveredAt: 1 }).sort({ deliveredAt: -1 }).lean<DeliveryDoc>(),
      this.models.Delivery.aggregate<{ _id: { status: 'FAILED' | 'RETRYING'; category: string }; count: number; detail: string; metricId: string }>([
        { $match: { connectionId, status: { $in: ['FAILED', 'RETRYING'] }, failure: { $ne: null }, updatedAt: { $gte: since } } },
        { $sort: { updatedAt: -1 } },
        { $group: { _id: { status: '$status', category: '$failure.category' }, count: { $sum: 1 }, detail: { $first: '$failure.detail' }, metricId: { $first: '$metricId' } } },
      ]),
      this.models.ProfileImport.aggregate<{ _id: { status: 'FAILED' | 'RETRYING'; category: string }; count: number; detail: string }>([
        { $match: { connectionId, status: { $in: ['FAILED', 'RETRYING'] }, failure: { $ne: null }, updatedAt: { $gte: since } } },
        { $sort: { updatedAt: -1 } },
        { $group: { _id: { status: '$status', category: '$failure.category' }, count: { $sum: 1 }, detail: { $first: '$failure.detail' } } },
      ]),
    ]);
    return {
      held,
      pending,
      delivered,
      lastDeliveredAt: last?.deliveredAt ?? null,
      failures: [
        ...failures.map((f) => ({ status: f._id.status, category: f._id.category, count: f.count, detail: f.detail, metricId: f.metricId })),
        ...importFailures.map((f) => ({ status: f._id.status, category: f._id.category, count: f.count, detail: f.detail, metricId: '' })),
      ],
    };
  }

  async claimProfileJobs(connectionId: string, now: Date, staleBefore: Date, limit: number): Promise<ProfileJobRecord[]> {
    // Both collections share the queue fields; typed loosely here because their status unions differ.
    const claim = async (model: Model<{ _id: string }>, pending: string): Promise<string[]> => {
      const filter: Record<string, unknown> = { connectionId, $or: [{ status: pending }, { status: 'RETRYING', nextAttemptAt: { $lte: now } }, { status: 'DELIVERING', lastAttemptAt: { $lt: staleBefore } }] };
      const ids = (await model.find(filter, { _id: 1 }).sort({ createdAt: 1, _id: 1 }).limit(limit).lean<Array<{ _id: string }>>()).map((d) => d._id);
      if (ids.length === 0) return [];
      await model.updateMany({ ...filter, _id: { $in: ids } }, { $set: { status: 'DELIVERING', lastAttemptAt: now, updatedAt: now } });
      await model.updateMany({ _id: { $in: ids }, firstAttemptAt: null }, { $set: { firstAttemptAt: now } });
      return ids;
    };
    const importIds = await claim(this.models.ProfileImport as unknown as Model<{ _id: string }>, 'QUEUED');
    const deletionIds = await claim(this.models.DeletionRequest as unknown as Model<{ _id: string }>, 'PENDING');
    const [imports, deletions] = await Promise.all([
      this.models.ProfileImport.find({ _id: { $in: importIds }, status: 'DELIVERING' }).sort({ createdAt: 1, _id: 1 }).lean(),
      this.models.DeletionRequest.find({ _id: { $in: deletionIds }, status: 'DELIVERING' }).sort({ createdAt: 1, _id: 1 }).lean(),
    ]);
    return [
      ...imports.map((d): ProfileJobRecord => ({ id: d._id, kind: 'PROFILE_IMPORT', brand: d.brand, connectionId: d.connectionId, payload: d.payload, attempts: d.attempts ?? 0, firstAttemptAt: d.firstAttemptAt ?? null })),
      ...deletions.map((d): ProfileJobRecord => ({ id: d._id, kind: 'PROFILE_DELETION', brand: d.brand, connectionId: d.connectionId, payload: deletionPayload(d.identifiers), attempts: d.attempts ?? 0, firstAttemptAt: d.firstAttemptAt ?? null })),
    ];
  }

  async recordProfileJobOutcomes(outcomes: readonly ProfileJobOutcome[], now: Date): Promise<void> {
    for (const outcome of outcomes) {
      const set = { nextAttemptAt: outcome.nextAttemptAt, failure: outcome.failure, updatedAt: now };
      await this.models.ProfileImport.updateOne({ _id: outcome.id, status: 'DELIVERING' }, { $set: { ...set, status: outcome.status === 'DONE' ? 'DELIVERED' : outcome.status }, $inc: { attempts: 1 } });
      await this.models.DeletionRequest.updateOne({ _id: outcome.id, status: 'DELIVERING' }, { $set: { ...set, status: outcome.status === 'DONE' ? 'SENT' : outcome.status }, $inc: { attempts: 1 } });
    }
  }
}
