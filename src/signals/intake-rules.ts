// Imported module by module, not through the folders' index files: the intake
// writer thread loads this file, and the indexes would pull in the Klaviyo
// client, the delivery worker and mongoose for nothing.
import { KlaviyoSchemaValidator } from '../datasources/klaviyo/openapi-validator';
import { buildEventPayload } from '../delivery/event-payload';
import { planResolution } from '../identity/resolution';
import { sortableId } from '../ids';
import { IntakeItemRefused, type DeliveryDraft, type IntakeItem, type IntakeRules, type ProfileRecord, type SignalRecord } from '../store/intake.port';
import { rolloutDecision } from './rollout';

/**
 * The decisions intake asks of the store's transaction, as a module of their
 * own: they hold no service state, so a store that writes on a thread of its
 * own loads this same module there (`module` below says where).
 */
export function createIntakeRules(validator = new KlaviyoSchemaValidator()): IntakeRules {
  return {
    module: __filename,
    planIdentity: planResolution,
    // One delivery per applicable target, its payload built once and checked against Klaviyo's schema.
    deliveriesFor(signal: SignalRecord, profile: ProfileRecord, item: IntakeItem): DeliveryDraft[] {
      const drafts: DeliveryDraft[] = [];
      let payload: ReturnType<typeof buildEventPayload> | undefined;
      for (const target of item.deliveryTargets) {
        const status = rolloutDecision(target, profile.id, signal.metricKey);
        if (!status) continue;
        if (!payload) {
          payload = buildEventPayload({ metricName: item.metricName, signal, signalIdentifiers: item.identifiers, profile });
          const [violation] = validator.validate('create_event', payload);
          if (violation) throw new IntakeItemRefused('properties', `Klaviyo would refuse this event (${violation.pointer}: ${violation.message})`);
        }
        drafts.push({ id: sortableId(), connectionId: target.connectionId, environment: target.environment, status, payload });
      }
      return drafts;
    },
  };
}

let shared: IntakeRules | undefined;

/** The rules every thread of this process uses: one validator, compiled once. */
export function intakeRules(): IntakeRules {
  return (shared ??= createIntakeRules());
}
