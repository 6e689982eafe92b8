import type { AuthCheckerFn } from 'type-graphql';
import type { Scope, Viewer } from '../auth';
import type { GatewayContext } from '../context';
import { ErrorCode, GatewayError } from './errors';

/**
 * `@Authorized(...scopes)`: no valid token is UNAUTHENTICATED (with the reason),
 * a valid token without every listed scope is FORBIDDEN. `@Authorized()` with
 * no scope admits any valid token.
 */
export const scopeAuthChecker: AuthCheckerFn<GatewayContext, Scope> = ({ context }, scopes) => {
  const viewer = requireViewer(context);
  const missing = scopes.filter((scope) => !viewer.scopes.has(scope));
  if (missing.length > 0) {
    throw new GatewayError(ErrorCode.FORBIDDEN, `This operation needs the ${missing.join(' and ')} scope${missing.length > 1 ? 's' : ''}`);
  }
  return true;
};

/** The verified caller, or UNAUTHENTICATED. */
export function requireViewer(context: GatewayContext): Viewer {
  if (!context.auth.ok) throw new GatewayError(ErrorCode.UNAUTHENTICATED, context.auth.reason);
  return context.auth.viewer;
}
