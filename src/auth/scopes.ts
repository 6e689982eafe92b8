/** Authorization scopes of the public contract (JWT claim `scope`, space separated). */
export enum Scope {
  SignalsWrite = 'signals:write',
  OpsRead = 'ops:read',
  OpsWrite = 'ops:write',
  ConnectionsWrite = 'connections:write',
  ProfilesErase = 'profiles:erase',
}

export const ALL_SCOPES: readonly Scope[] = Object.values(Scope);

const KNOWN = new Set<string>(ALL_SCOPES);

export function isScope(value: string): value is Scope {
  return KNOWN.has(value);
}

/** Splits a `scope` claim; unknown scopes are kept out (they grant nothing). */
export function parseScopeClaim(claim: string): Scope[] {
  return [...new Set(claim.split(/\s+/).filter(isScope))];
}
