'use strict';
// Intake rules for the writer-thread tests. The THREAD loads this file (so it is plain
// JavaScript, on the built code): the real identity rules, and deliveries that obey
// markers in a signal's properties, so a test can make the thread refuse an item or die.
const { isMainThread } = require('node:worker_threads');
const { intakeRules } = require('../../dist/signals/intake-rules');
const { IntakeItemRefused } = require('../../dist/store');

let rules;
exports.intakeRules = () =>
  (rules ??= {
    module: __filename,
    planIdentity: (incoming, owners) => intakeRules().planIdentity(incoming, owners),
    deliveriesFor(signal, _profile, item) {
      if (signal.properties.crash) process.exit(3);
      if (signal.properties.refuse) throw new IntakeItemRefused('properties.refuse', `refused on ${isMainThread ? 'the main thread' : 'the writer thread'}`);
      return item.deliveryTargets.map((target) => ({ id: `d-${signal.id}`, connectionId: target.connectionId, environment: target.environment, status: 'QUEUED', payload: { properties: signal.properties } }));
    },
  });
