import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { KlaviyoSchemaValidator, type KlaviyoOperationId } from '../../../src/datasources/klaviyo/openapi-validator';
import { OAuthState, type OAuthFailure } from './oauth';
import { RateLimiter, type RateLimitedOperation } from './rate-limits';
import { AccountData, checkEventLimits, profileIdentifiers, type ApiError, type FakeAccount } from './resources';

/**
 * A faithful fake of Klaviyo's OAuth and REST API for tests: a real HTTP server
 * on port 0 that validates every request body against Klaviyo's OpenAPI slices
 * and reproduces the behaviors listed at the end of docs/klaviyo.md, with fault
 * controls for what real Klaviyo does on a bad day.
 */

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: unknown;
  /** When it arrived, ms since the epoch. */
  readonly at: number;
  status: number;
  /** OpenAPI violations of the body, empty when it was valid. */
  violations: Array<{ pointer: string; message: string }>;
}

export interface FakeKlaviyoOptions {
  readonly clientId?: string;
  readonly clientSecret?: string;
  readonly redirectUris?: readonly string[];
  readonly accounts?: ReadonlyArray<Partial<FakeAccount> & { id: string }>;
  /** Enforce Klaviyo's rate limits (default true). */
  readonly rateLimits?: boolean;
  /** Milliseconds since the epoch; tests freeze it to count rate windows exactly. */
  readonly clock?: () => number;
}

interface Fault {
  remaining: number;
  readonly status: number;
  readonly path: RegExp;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Only requests with this Authorization header (one connection's credentials). */
  readonly authorization?: string;
}

const ERROR_TITLES: Record<number, string> = { 400: 'Invalid input.', 401: 'Authentication credentials were not provided.', 403: 'You do not have permission to perform this action.', 404: 'Not found.', 409: 'Conflict.', 413: 'Request entity too large.', 415: 'Unsupported media type.', 429: 'Request was throttled.', 500: 'A server error occurred.', 503: 'Service unavailable.' };

const ROUTES: Record<string, { method: string; operation: RateLimitedOperation; scope: string; schema?: KlaviyoOperationId }> = {
  '/api/accounts': { method: 'GET', operation: 'get_accounts', scope: 'accounts:read' },
  '/api/metrics': { method: 'GET', operation: 'get_metrics', scope: 'metrics:read' },
  '/api/events': { method: 'POST', operation: 'create_event', scope: 'events:write', schema: 'create_event' },
  '/api/event-bulk-create-jobs': { method: 'POST', operation: 'bulk_create_events', scope: 'events:write', schema: 'bulk_create_events' },
  '/api/profile-import': { method: 'POST', operation: 'create_or_update_profile', scope: 'profiles:write', schema: 'create_or_update_profile' },
  '/api/data-privacy-deletion-jobs': { method: 'POST', operation: 'request_profile_deletion', scope: 'data-privacy:write', schema: 'request_profile_deletion' },
};

export class FakeKlaviyo {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly oauth: OAuthState;
  readonly accounts = new Map<string, AccountData>();
  readonly requests: RecordedRequest[] = [];
  readonly rateLimiter: RateLimiter;
  rateLimitsEnabled: boolean;
  /** Added to every response, ms. */
  latencyMs = 0;
  /** The authorize page answers as a user who refuses consent. */
  denyConsent = false;
  /** The account the consenting user picks on the authorize page. */
  consentAccountId: string;
  private readonly faults: Fault[] = [];
  /** Random faults on matching requests: a share answered `status`, a share with their socket dropped. */
  chaos: { failRatio: number; status: number; dropRatio: number; path: RegExp; random: () => number } | undefined;
  private dropBudget: { remaining: number; path: RegExp } | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly validator = new KlaviyoSchemaValidator();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    options: FakeKlaviyoOptions,
  ) {
    const clock = options.clock ?? Date.now;
    this.oauth = new OAuthState(clock);
    this.rateLimiter = new RateLimiter(clock);
    this.clientId = options.clientId ?? 'fake-client-id';
    this.clientSecret = options.clientSecret ?? 'fake-client-secret';
    this.rateLimitsEnabled = options.rateLimits ?? true;
    const accounts = options.accounts ?? [{ id: 'WBhXHN' }];
    for (const account of accounts) {
      this.accounts.set(account.id, new AccountData({ id: account.id, organizationName: account.organizationName ?? `Store ${account.id}`, testAccount: account.testAccount ?? false, apiKeys: account.apiKeys ?? new Map() }));
    }
    this.consentAccountId = accounts[0]!.id;
    this.oauth.clients.set(this.clientId, { clientId: this.clientId, clientSecret: this.clientSecret, redirectUris: options.redirectUris ?? [] });
  }

  static async start(options: FakeKlaviyoOptions = {}): Promise<FakeKlaviyo> {
    let fake!: FakeKlaviyo;
    const server = createServer((req, res) => void fake.handle(req, res));
    server.on('connection', (socket) => {
      fake.sockets.add(socket);
      socket.on('close', () => fake.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    fake = new FakeKlaviyo(server, `http://127.0.0.1:${port}`, options);
    return fake;
  }

  get authorizeUrl(): string {
    return `${this.url}/oauth/authorize`;
  }

  /** Registers a redirect URI the OAuth app accepts (the gateway's callback). */
  allowRedirectUri(uri: string): void {
    const client = this.oauth.clients.get(this.clientId)!;
    this.oauth.clients.set(this.clientId, { ...client, redirectUris: [...client.redirectUris, uri] });
  }

  account(id = this.consentAccountId): AccountData {
    const account = this.accounts.get(id);
    if (!account) throw new Error(`no fake account ${id}`);
    return account;
  }

  addApiKey(key: string, scopes: readonly string[] = ['accounts:read', 'events:write', 'profiles:write', 'metrics:read', 'data-privacy:write'], accountId = this.consentAccountId): void {
    this.account(accountId).account.apiKeys.set(key, scopes);
  }

  /** The next `count` requests whose path matches answer `status` (with a Klaviyo error body unless given). */
  failNext(count: number, status: number, options: { path?: RegExp; body?: unknown; headers?: Record<string, string>; authorization?: string } = {}): void {
    this.faults.push({ remaining: count, status, path: options.path ?? /.*/, body: options.body, headers: options.headers, authorization: options.authorization });
  }

  /** The next `count` matching requests get their socket destroyed before any answer. */
  dropNext(count: number, path: RegExp = /.*/): void {
    this.dropBudget = { remaining: count, path };
  }

  requestsTo(path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const raw = await readAll(req);
    const contentType = String(req.headers['content-type'] ?? '');
    let body: unknown = raw;
    if (contentType.includes('json') && raw) {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    } else if (contentType.includes('application/x-www-form-urlencoded')) {
      body = Object.fromEntries(new URLSearchParams(raw));
    }
    const record: RecordedRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body, at: Date.now(), status: 0, violations: [] };
    this.requests.push(record);
    if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));

    if (this.chaos && this.chaos.path.test(url.pathname)) {
      const roll = this.chaos.random();
      if (roll < this.chaos.dropRatio) {
        record.status = -1;
        req.socket.destroy();
        return;
      }
      if (roll < this.chaos.dropRatio + this.chaos.failRatio) {
        record.status = this.chaos.status;
        return sendJson(res, this.chaos.status, errorBody({ status: this.chaos.status, code: 'error', title: ERROR_TITLES[this.chaos.status] ?? 'Error.', detail: `chaos ${this.chaos.status}` }));
      }
    }
    if (this.dropBudget && this.dropBudget.remaining > 0 && this.dropBudget.path.test(url.pathname)) {
      this.dropBudget.remaining -= 1;
      record.status = -1;
      req.socket.destroy();
      return;
    }
    const fault = this.faults.find((f) => f.remaining > 0 && f.path.test(url.pathname) && (f.authorization === undefined || f.authorization === req.headers.authorization));
    if (fault) {
      fault.remaining -= 1;
      record.status = fault.status;
      const code = fault.status === 429 ? 'throttled' : fault.status >= 500 ? 'error' : 'invalid';
      return sendJson(res, fault.status, fault.body ?? errorBody({ status: fault.status, code, title: ERROR_TITLES[fault.status] ?? 'Error.', detail: `injected ${fault.status}` }), fault.headers);
    }

    const send = (status: number, payload?: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      if (payload === undefined) {
        res.writeHead(status, headers);
        res.end();
      } else {
        sendJson(res, status, payload, headers);
      }
    };

    if (url.pathname === '/oauth/authorize') return this.authorize(url, send, res, record);
    if (url.pathname === '/oauth/token') return this.token(req, contentType, body, send);
    if (url.pathname === '/oauth/revoke') return this.revoke(req, contentType, body, send);
    const route = ROUTES[url.pathname];
    if (!route) return send(404, errorBody({ status: 404, code: 'not_found', title: 'Not found.', detail: `No route ${url.pathname}` }));
    if (req.method !== route.method) return send(405, errorBody({ status: 405, code: 'method_not_allowed', title: 'Method not allowed.', detail: `Use ${route.method}` }));
    return this.api(req, url, route, contentType, raw, body, send, record);
  }

  private authorize(url: URL, send: (s: number, p?: unknown, h?: Record<string, string>) => void, res: ServerResponse, record: RecordedRequest): void {
    const q = url.searchParams;
    const client = this.oauth.clients.get(q.get('client_id') ?? '');
    const redirectUri = q.get('redirect_uri') ?? '';
    if (!client || !client.redirectUris.includes(redirectUri)) {
      record.status = 400;
      res.writeHead(400, { 'content-type': 'text/html' }).end('<h1>Invalid client or redirect URI</h1>');
      return;
    }
    const back = new URL(redirectUri);
    const state = q.get('state');
    if (state) back.searchParams.set('state', state);
    const fail = (error: string, description: string) => {
      back.searchParams.set('error', error);
      back.searchParams.set('error_description', description);
      send(302, undefined, { location: back.toString() });
    };
    if (q.get('response_type') !== 'code') return fail('unsupported_response_type', 'response_type must be code');
    if (q.get('code_challenge_method') !== 'S256' || !q.get('code_challenge')) return fail('invalid_request', 'PKCE with S256 is required');
    if (!state) return fail('invalid_request', 'state is required');
    if (this.denyConsent) return fail('access_denied', 'The user denied access to your application.');
    const code = this.oauth.issueCode({ clientId: client.clientId, redirectUri, challenge: q.get('code_challenge')!, accountId: this.consentAccountId, scopes: (q.get('scope') ?? '').split(/\s+/).filter(Boolean) });
    back.searchParams.set('code', code);
    send(302, undefined, { location: back.toString() });
  }

  private clientOf(req: IncomingMessage): string | undefined {
    const match = /^Basic\s+(.+)$/i.exec(String(req.headers.authorization ?? ''));
    if (!match) return undefined;
    const [id, secret] = Buffer.from(match[1]!, 'base64').toString('utf8').split(':');
    const client = this.oauth.clients.get(id ?? '');
    return client && client.clientSecret === secret ? client.clientId : undefined;
  }

  private token(req: IncomingMessage, contentType: string, body: unknown, send: (s: number, p?: unknown) => void): void {
    const clientId = this.clientOf(req);
    if (!clientId) return send(401, { error: 'invalid_client', error_description: 'Client authentication failed.' });
    if (req.method !== 'POST' || !contentType.includes('application/x-www-form-urlencoded')) return send(400, { error: 'invalid_grant_type', error_description: 'Send a form-encoded body.' });
    const form = body as Record<string, string>;
    let result: ReturnType<OAuthState['refresh']>;
    if (form.grant_type === 'authorization_code') result = this.oauth.exchangeCode(clientId, form.code ?? '', form.code_verifier ?? '', form.redirect_uri ?? '');
    else if (form.grant_type === 'refresh_token') result = this.oauth.refresh(clientId, form.refresh_token ?? '');
    else return send(400, { error: 'invalid_grant_type', error_description: `Unsupported grant_type ${form.grant_type}` });
    if (isFailure(result)) return send(result.status, { error: result.error, error_description: result.description });
    send(200, result);
  }

  private revoke(req: IncomingMessage, contentType: string, body: unknown, send: (s: number, p?: unknown) => void): void {
    const clientId = this.clientOf(req);
    if (!clientId) return send(401, { error: 'invalid_client', error_description: 'Client authentication failed.' });
    if (!contentType.includes('application/x-www-form-urlencoded')) return send(400, { error: 'invalid_request', error_description: 'Send a form-encoded body.' });
    this.oauth.revoke(clientId, (body as Record<string, string>).token ?? '');
    send(200);
  }

  private api(
    req: IncomingMessage,
    url: URL,
    route: (typeof ROUTES)[string],
    contentType: string,
    raw: string,
    body: unknown,
    send: (s: number, p?: unknown, h?: Record<string, string>) => void,
    record: RecordedRequest,
  ): void {
    const fail = (error: ApiError, headers: Record<string, string> = {}) => send(error.status, errorBody(error), headers);
    const auth = String(req.headers.authorization ?? '');
    let accountId: string | undefined;
    let quotaOwner = '';
    let scopes: readonly string[] = [];
    let integration: Record<string, unknown> = { key: 'api', name: 'API', category: 'API' };
    const bearer = /^Bearer\s+(\S+)$/.exec(auth);
    const apiKey = /^Klaviyo-API-Key\s+(\S+)$/.exec(auth);
    if (bearer) {
      const result = this.oauth.authenticate(bearer[1]!);
      if ('reason' in result) {
        return fail({ status: 401, code: 'not_authenticated', title: ERROR_TITLES[401]!, detail: result.reason === 'expired' ? 'The access token has expired.' : 'Incorrect authentication credentials.' });
      }
      accountId = result.grant.accountId;
      quotaOwner = `${accountId}|${result.grant.clientId}`;
      scopes = result.grant.scopes;
      integration = { key: result.grant.clientId, name: 'Signals Gateway', category: 'App' };
    } else if (apiKey) {
      for (const data of this.accounts.values()) {
        const keyScopes = data.account.apiKeys.get(apiKey[1]!);
        if (keyScopes) {
          accountId = data.account.id;
          quotaOwner = `${accountId}|key`;
          scopes = keyScopes;
        }
      }
      if (!accountId) return fail({ status: 401, code: 'not_authenticated', title: ERROR_TITLES[401]!, detail: 'Incorrect authentication credentials.' });
    } else {
      return fail({ status: 401, code: 'not_authenticated', title: ERROR_TITLES[401]!, detail: 'Missing or invalid authorization scheme. Please use Klaviyo-API-Key or Bearer.' });
    }
    if (!scopes.includes(route.scope)) return fail({ status: 403, code: 'permission_denied', title: ERROR_TITLES[403]!, detail: `This request needs the ${route.scope} scope.` });
    const revision = String(req.headers.revision ?? '');
    if (!/^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/.test(revision)) return fail({ status: 400, code: 'invalid', title: 'Invalid input.', detail: 'The revision header is required (YYYY-MM-DD).' });

    let rateHeaders: Record<string, string> = {};
    if (this.rateLimitsEnabled) {
      const decision = this.rateLimiter.take(quotaOwner, route.operation);
      if (!decision.allowed) {
        // On a 429 Klaviyo replaces the RateLimit-* headers with Retry-After.
        return fail({ status: 429, code: 'throttled', title: 'Request was throttled.', detail: `Request was throttled. Expected available in ${decision.retryAfterSeconds} second.` }, { 'Retry-After': String(decision.retryAfterSeconds) });
      }
      rateHeaders = decision.headers;
    }
    const ok = (status: number, payload?: unknown) => send(status, payload, rateHeaders);
    const data = this.account(accountId);

    if (route.method === 'POST') {
      if (!contentType.includes('application/vnd.api+json') && !contentType.includes('application/json')) {
        return fail({ status: 415, code: 'unsupported_media_type', title: ERROR_TITLES[415]!, detail: 'Use application/vnd.api+json.' });
      }
      if (typeof body === 'string') return fail({ status: 400, code: 'parse_error', title: 'Malformed request.', detail: 'The body is not JSON.' });
      record.violations = this.validator.validate(route.schema!, body);
      const [violation] = record.violations;
      if (violation) return fail({ status: 400, code: 'invalid', title: 'Invalid input.', detail: violation.message, pointer: violation.pointer });
    }

    switch (url.pathname) {
      case '/api/accounts':
        return ok(200, {
          data: [{ type: 'account', id: data.account.id, attributes: { test_account: data.account.testAccount, contact_information: { organization_name: data.account.organizationName, default_sender_name: data.account.organizationName, default_sender_email: 'store@example.com', website_url: 'https://example.com', street_address: {} }, industry: 'Retail', timezone: 'US/Eastern', preferred_currency: 'USD', public_api_key: 'PUBKEY', locale: 'en-US' }, links: { self: `${this.url}/api/accounts/${data.account.id}` } }],
          links: { self: `${this.url}/api/accounts`, next: null, prev: null },
        });
      case '/api/metrics': {
        const filter = url.searchParams.get('filter');
        if (filter && !/^equals\(integration\.(name|category),"[^"]*"\)$/.test(filter)) {
          return fail({ status: 400, code: 'invalid', title: 'Invalid input.', detail: `Filters on metrics support only integration.name and integration.category.` });
        }
        const [, field, value] = /integration\.(\w+),"([^"]*)"/.exec(filter ?? '') ?? [];
        const metrics = [...data.metrics.values()].filter((m) => !field || m.integration[field] === value);
        return ok(200, { data: metrics.map((m) => ({ type: 'metric', id: m.id, attributes: { name: m.name, created: m.created, updated: m.created, integration: m.integration } })), links: { self: `${this.url}/api/metrics`, next: null, prev: null } });
      }
      case '/api/events': {
        if (Buffer.byteLength(raw) > 5 * 1024 * 1024) return fail({ status: 413, code: 'too_large', title: ERROR_TITLES[413]!, detail: 'The payload may be at most 5 MB.' });
        const attributes = (body as { data: { attributes: Record<string, unknown> } }).data.attributes;
        const limit = checkEventLimits(attributes, '/data/attributes');
        if (limit) return fail(limit);
        const profile = this.profileFor(data, (attributes.profile as { data: { id?: string; attributes?: Record<string, unknown> } }).data);
        if ('status' in profile) return fail(profile);
        data.recordEvent({ metricName: metricNameOf(attributes), profileId: profile.id, uniqueId: attributes.unique_id as string | undefined, attributes, via: 'events' }, integration);
        return ok(202);
      }
      case '/api/event-bulk-create-jobs': {
        if (Buffer.byteLength(raw) > 5 * 1024 * 1024) return fail({ status: 413, code: 'too_large', title: ERROR_TITLES[413]!, detail: 'The payload may be at most 5 MB.' });
        const entries = (body as { data: { attributes: { 'events-bulk-create': { data: Array<{ attributes: { profile: { data: { id?: string; attributes?: Record<string, unknown> } }; events: { data: Array<{ attributes: Record<string, unknown> }> } } }> } } } }).data.attributes['events-bulk-create'].data;
        const total = entries.reduce((sum, entry) => sum + entry.attributes.events.data.length, 0);
        if (total > 1000) return fail({ status: 400, code: 'invalid', title: 'Invalid input.', detail: `A bulk job may hold at most 1000 events, got ${total}.`, pointer: '/data/attributes/events-bulk-create/data' });
        // Validate every event and collect uniqueness before recording anything: a bad request records nothing.
        const planned: Array<{ profileId: string; attributes: Record<string, unknown> }> = [];
        const seen = new Set<string>();
        for (const [i, entry] of entries.entries()) {
          const profile = this.profileFor(data, entry.attributes.profile.data);
          if ('status' in profile) return fail({ ...profile, pointer: `/data/attributes/events-bulk-create/data/${i}/attributes/profile` });
          for (const [j, event] of entry.attributes.events.data.entries()) {
            const pointer = `/data/attributes/events-bulk-create/data/${i}/attributes/events/data/${j}/attributes`;
            const limit = checkEventLimits({ ...event.attributes, profile: entry.attributes.profile }, pointer);
            if (limit) return fail(limit);
            const key = `${profile.id}|${metricNameOf(event.attributes)}|${String(event.attributes.unique_id)}`;
            if (event.attributes.unique_id !== undefined && seen.has(key)) {
              return fail({ status: 400, code: 'invalid', title: 'Invalid input.', detail: 'Duplicate unique_id for the same profile and metric in one request.', pointer: `${pointer}/unique_id` });
            }
            seen.add(key);
            planned.push({ profileId: profile.id, attributes: event.attributes });
          }
        }
        for (const event of planned) data.recordEvent({ metricName: metricNameOf(event.attributes), profileId: event.profileId, uniqueId: event.attributes.unique_id as string | undefined, attributes: event.attributes, via: 'bulk' }, integration);
        return ok(202);
      }
      case '/api/profile-import': {
        if (Buffer.byteLength(raw) > 100 * 1024) return fail({ status: 413, code: 'too_large', title: ERROR_TITLES[413]!, detail: 'The body may be at most 100 KB.' });
        const resource = (body as { data: { id?: string; attributes: Record<string, unknown> } }).data;
        if ('anonymous_id' in resource.attributes && revision >= '2025-10-15') {
          return fail({ status: 400, code: 'invalid', title: 'Invalid input.', detail: "'anonymous_id' is not a valid field for the resource 'profile'.", pointer: '/data/attributes/anonymous_id' });
        }
        const result = data.upsertProfile(resource.attributes, resource.id);
        if ('status' in result) return fail(result);
        return ok(result.created ? 201 : 200, { data: { type: 'profile', id: result.profile.id, attributes: result.profile.attributes, links: { self: `${this.url}/api/profiles/${result.profile.id}` } } });
      }
      case '/api/data-privacy-deletion-jobs':
        data.recordDeletionJob((body as { data: { attributes: Record<string, unknown> } }).data.attributes);
        return ok(202);
      default:
        return fail({ status: 404, code: 'not_found', title: 'Not found.', detail: url.pathname });
    }
  }

  /** Resolves an event's profile by its identifiers, creating or updating it, as an event does. */
  private profileFor(data: AccountData, profile: { id?: string; attributes?: Record<string, unknown> }): { id: string } | ApiError {
    const identifiers = profileIdentifiers(profile.attributes);
    const result = data.upsertProfile({ ...profile.attributes, ...identifiers }, profile.id ?? undefined);
    return 'status' in result ? result : { id: result.profile.id };
  }
}

function metricNameOf(attributes: Record<string, unknown>): string {
  return String((attributes.metric as { data: { attributes: { name: string } } }).data.attributes.name);
}

function isFailure(value: unknown): value is OAuthFailure {
  return typeof value === 'object' && value !== null && 'error' in value;
}

function errorBody(error: ApiError) {
  return { errors: [{ id: randomUUID(), status: error.status, code: error.code, title: error.title, detail: error.detail, source: error.pointer ? { pointer: error.pointer } : {}, links: {}, meta: error.meta ?? {} }] };
}

function sendJson(res: ServerResponse, status: number, payload: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(payload);
  res.writeHead(status, { 'content-type': 'application/vnd.api+json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readAll(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
