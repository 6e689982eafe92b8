import { createHash } from 'node:crypto';
import type { Environment, EnvironmentRolloutRecord, RolloutMode } from '../store';

export type { Environment, RolloutMode } from '../store';
export const ENVIRONMENTS: readonly Environment[] = ['SANDBOX', 'PRODUCTION'];

/**
 * A profile's place in 0..99 for a metric: stable across runs and processes,
 * and different per metric so one profile is not always in every first 10%.
 */
export function rolloutBucket(profileId: string, metricKey: string): number {
  return createHash('sha256').update(`${metricKey}\u0000${profileId}`).digest().readUInt32BE(0) % 100;
}

/** What intake creates for one environment: a delivery to send, one to build but not send, or none. */
export function rolloutDecision(rollout: EnvironmentRolloutRecord, profileId: string, metricKey: string): 'QUEUED' | 'SHADOWED' | null {
  switch (rollout.mode) {
    case 'OFF':
      return null;
    case 'SHADOW':
      return 'SHADOWED';
    case 'ON':
      return rolloutBucket(profileId, metricKey) < rollout.percentage ? 'QUEUED' : null;
    default:
      return assertNever(rollout.mode);
  }
}

function assertNever(value: never): never {
  throw new Error(`unknown rollout mode ${String(value)}`);
}
