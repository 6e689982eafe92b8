import { classifyNetworkError, classifyResponse, parseRateLimitHeaders, type RateLimitState } from './failure';

/**
 * How a connection authenticates to Klaviyo. The data source asks for a header
 * before each request and, after a 401, once for a refreshed one.
 */
export interface KlaviyoCredentials {
  /** `Bearer <access token>` or `Klaviyo-API-Key <key>`. */
  authorization(): Promise<string>;
  /** After a 401 on `refused`: a fresh header to retry with once, or undefined when none can be had. */
  refreshAfterUnauthorized?(refused: string): Promise<string | undefined>;
}

export interface KlaviyoApiOptions {
  /** `KLAVIYO_API_URL`, e.g. https://a.klaviyo.com */
  readonly baseUrl: string;
  /** The pinned `revision` header, e.g. 2026-07-15 */
  readonly revision: string;
  readonly credentials: KlaviyoCredentials;
  /** Per request, ms. */
  readonly timeoutMs?: number;
}

export interface KlaviyoResult<T> {
  readonly status: number;
  readonly data: T;
  readonly rateLimit: RateLimitState | undefined;
}

export interface KlaviyoAccount {
  readonly id: string;
  readonly organizationName: string | undefined;
  readonly testAccount: boolean;
}

export interface KlaviyoMetric {
  readonly id: string;
  readonly name: string;
  readonly integration: Record<string, unknown> | undefined;
}

/** The JSON:API bodies the gateway sends; validated against the OpenAPI slices where they are built. */
export type EventPayload = { data: { type: 'event'; attributes: Record<string, unknown> } };
export type BulkEventsPayload = { data: { type: 'event-bulk-create-job'; attributes: { 'events-bulk-create': { data: unknown[] } } } };
export type ProfileImportPayload = { data: { type: 'profile'; id?: string; attributes: Record<string, unknown>; meta?: Record<string, unknown> } };
export type ProfileDeletionPayload = { data: { type: 'data-privacy-deletion-job'; attributes: { profile: { data: { type: 'profile'; id?: string; attributes?: Record<string, unknown> } } } } };

const JSON_API = 'application/vnd.api+json';

/**
 * Klaviyo's REST API (`/api/...`) for one connection: the only code that
 * speaks HTTP to it. Node's fetch pools keep-alive connections per origin.
 * Failures come out as `KlaviyoFailure`, classified in one place.
 */
export class KlaviyoAPI {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;

  constructor(private readonly options: KlaviyoApiOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** `GET /api/accounts`: Klaviyo returns exactly the one account the credentials belong to. */
  async getAccount(): Promise<KlaviyoResult<KlaviyoAccount>> {
    const result = await this.send<{ data: Array<{ id: string; attributes: { test_account?: boolean; contact_information?: { organization_name?: string } } }> }>('GET', '/api/accounts');
    const [account] = result.data.data;
    if (!account) throw classifyResponse(502, new Headers(), '{"errors":[{"detail":"GET /api/accounts returned no account"}]}');
    return {
      ...result,
      data: { id: account.id, organizationName: account.attributes.contact_information?.organization_name, testAccount: account.attributes.test_account === true },
    };
  }

  /** `POST /api/events`: 202 means queued at Klaviyo, not processed. */
  createEvent(payload: EventPayload): Promise<KlaviyoResult<undefined>> {
    return this.send('POST', '/api/events', payload);
  }

  /** `POST /api/event-bulk-create-jobs`: up to 1,000 events and 5 MB, grouped by profile. */
  bulkCreateEvents(payload: BulkEventsPayload): Promise<KlaviyoResult<undefined>> {
    return this.send('POST', '/api/event-bulk-create-jobs', payload);
  }

  /** `POST /api/profile-import`: 201 created, 200 updated. */
  async importProfile(payload: ProfileImportPayload): Promise<KlaviyoResult<{ profileId: string; created: boolean }>> {
    const result = await this.send<{ data: { id: string } }>('POST', '/api/profile-import', payload);
    return { ...result, data: { profileId: result.data.data.id, created: result.status === 201 } };
  }

  /** `POST /api/data-privacy-deletion-jobs`. */
  requestProfileDeletion(payload: ProfileDeletionPayload): Promise<KlaviyoResult<undefined>> {
    return this.send('POST', '/api/data-privacy-deletion-jobs', payload);
  }

  /** `GET /api/metrics`: filters only on `equals(integration.name|category, ...)`; follow `nextCursor`. */
  async getMetrics(options: { filter?: string; cursor?: string } = {}): Promise<KlaviyoResult<{ metrics: KlaviyoMetric[]; nextCursor: string | undefined }>> {
    const query = new URLSearchParams();
    if (options.filter) query.set('filter', options.filter);
    if (options.cursor) query.set('page[cursor]', options.cursor);
    const result = await this.send<{ data: Array<{ id: string; attributes: { name: string; integration?: Record<string, unknown> } }>; links?: { next?: string | null } }>('GET', `/api/metrics${query.size ? `?${query}` : ''}`);
    const next = result.data.links?.next ? new URL(result.data.links.next).searchParams.get('page[cursor]') ?? undefined : undefined;
    return { ...result, data: { metrics: result.data.data.map((m) => ({ id: m.id, name: m.attributes.name, integration: m.attributes.integration })), nextCursor: next } };
  }

  /** Sets auth and headers, refreshes once on a 401, and classifies every failure. */
  private async send<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<KlaviyoResult<T>> {
    const authorization = await this.options.credentials.authorization();
    let response = await this.fetchOnce(method, path, authorization, body);
    if (response.status === 401 && this.options.credentials.refreshAfterUnauthorized) {
      await response.body?.cancel();
      const fresh = await this.options.credentials.refreshAfterUnauthorized(authorization);
      if (fresh) response = await this.fetchOnce(method, path, fresh, body);
    }
    const text = await response.text();
    if (!response.ok) throw classifyResponse(response.status, response.headers, text);
    return { status: response.status, data: (text ? JSON.parse(text) : undefined) as T, rateLimit: parseRateLimitHeaders(response.headers) };
  }

  private async fetchOnce(method: string, path: string, authorization: string, body: unknown): Promise<Response> {
    try {
      return await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization,
          revision: this.options.revision,
          accept: JSON_API,
          ...(body === undefined ? {} : { 'content-type': JSON_API }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw classifyNetworkError(error);
    }
  }
}
