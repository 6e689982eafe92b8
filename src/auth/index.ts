export { Scope, ALL_SCOPES, isScope, parseScopeClaim } from './scopes';
export type { Viewer, Authentication } from './viewer';
export { CallerTokenVerifier, mintCallerToken, BRAND_PATTERN, type MintOptions } from './caller-tokens';
