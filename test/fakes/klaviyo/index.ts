export { FakeKlaviyo, type FakeKlaviyoOptions, type RecordedRequest } from './server';
export { KLAVIYO_RATE_LIMITS } from './rate-limits';
