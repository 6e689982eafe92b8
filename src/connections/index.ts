export { ConnectionService, AUTHORIZATION_TTL_MS, LIVE_CONNECTIONS_TTL_MS, type AuthorizationRequest, type ConnectionServiceDependencies, type LiveConnection } from './connection-service';
export { AccessTokens, needsRefresh, DEFAULT_REFRESH_POLICY, type RefreshPolicy } from './access-tokens';
export { TokenVault, VaultError, type SecretBinding } from './vault';
export { connectionHealth, type ConnectionHealth, type HealthState, type DeliveryEvidence } from './health';
export { rotateVaultKeys, type RotationReport } from './rotate-keys';
