import type { Scope } from './scopes';

/** The verified caller of a request: a brand (the tenant), a subject and its scopes. */
export interface Viewer {
  readonly brand: string;
  readonly subject: string;
  readonly scopes: ReadonlySet<Scope>;
  readonly expiresAt: Date;
}

/** Outcome of checking a request's credentials; `reason` is safe to show the caller. */
export type Authentication =
  | { readonly ok: true; readonly viewer: Viewer }
  | { readonly ok: false; readonly reason: string };
