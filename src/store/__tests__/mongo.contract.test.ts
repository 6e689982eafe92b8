import { randomBytes } from 'node:crypto';
import { MongoStore } from '..';
import { describeStoreContract } from './store.contract';

/**
 * Runs the contract against a real MongoDB when MONGODB_URI is set
 * (`docker compose up -d mongo`, then MONGODB_URI=mongodb://localhost:27017/?replicaSet=rs0).
 * There is no MongoDB on the machines this project is built on, and a fake
 * would prove nothing about MongoDB, so otherwise the run is skipped, saying why.
 */
const uri = process.env.MONGODB_URI;

if (uri) {
  describeStoreContract('mongo (MongoDB via mongoose)', async () => {
    const dbName = `sg_contract_${randomBytes(6).toString('hex')}`;
    return {
      open: async () => MongoStore.open({ uri, dbName, serverSelectionTimeoutMS: 5000 }),
      reopen: async () => MongoStore.open({ uri, dbName, serverSelectionTimeoutMS: 5000 }),
      cleanup: async () => {
        const dropper = await MongoStore.open({ uri, dbName, serverSelectionTimeoutMS: 5000 });
        await dropper.dropDatabase();
        await dropper.close();
      },
    };
  });
} else {
  describe('store contract: mongo (MongoDB via mongoose)', () => {
    it.skip('skipped: MONGODB_URI is not set and no MongoDB server can run on this machine; run `docker compose up -d mongo` and set MONGODB_URI to include it', () => undefined);
  });
  // Printed so the skip and its reason show in every test run, not only in verbose output.
  process.stdout.write('store contract: MongoDB run skipped: MONGODB_URI is not set (see README, "Running on MongoDB")\n');
}
