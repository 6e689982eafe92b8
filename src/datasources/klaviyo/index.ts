export { KlaviyoAPI, type KlaviyoCredentials, type KlaviyoAccount, type KlaviyoMetric, type KlaviyoResult, type EventPayload, type BulkEventsPayload, type ProfileImportPayload, type ProfileDeletionPayload } from './klaviyo-api';
export { KlaviyoOAuth, OAuthError, type TokenSet, type KlaviyoOAuthOptions } from './oauth-client';
export { FailureCategory, KlaviyoFailure, classifyResponse, classifyNetworkError, parseRetryAfter, parseRateLimitHeaders, type RateLimitState } from './failure';
export { KlaviyoSchemaValidator, type KlaviyoOperationId, type SchemaViolation } from './openapi-validator';
