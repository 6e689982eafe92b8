export { normalizeIdentity, normalizeEmail, normalizePhone, identifierKey, isStrong, STRONG_KINDS, type Identifier, type IdentifierKind, type IdentityInput, type IdentityProblem } from './identifiers';
export { planResolution, type OwnedProfile, type ResolutionPlan } from './resolution';
