import { classifyNetworkError } from './failure';

/** What Klaviyo's token endpoint returns, with `expiresIn` in seconds. */
export interface TokenSet {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresIn: number;
  readonly scopes: readonly string[];
}

/**
 * A failed token, refresh or revoke call. `error` is the OAuth error string
 * (`invalid_grant`, `invalid_client`, ...) or `temporarily_unavailable` for
 * 5xx and network failures, which alone are worth retrying.
 */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly httpStatus: number | undefined,
  ) {
    super(`Klaviyo OAuth ${error}: ${description}`);
    this.name = 'OAuthError';
  }

  get retryable(): boolean {
    return this.error === 'temporarily_unavailable';
  }
}

export interface KlaviyoOAuthOptions {
  /** Token and revoke live at `{KLAVIYO_API_URL}/oauth/...` (www.klaviyo.com is blocked for them). */
  readonly apiUrl: string;
  /** `KLAVIYO_AUTHORIZE_URL`, the consent page. */
  readonly authorizeUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUri: string;
  readonly scopes: readonly string[];
  readonly timeoutMs?: number;
}

/** Klaviyo's OAuth endpoints: authorize URL, code exchange, refresh, revoke (Basic client auth, form bodies). */
export class KlaviyoOAuth {
  constructor(private readonly options: KlaviyoOAuthOptions) {}

  buildAuthorizeUrl({ state, codeChallenge }: { state: string; codeChallenge: string }): string {
    const url = new URL(this.options.authorizeUrl);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: this.options.clientId,
      redirect_uri: this.options.redirectUri,
      scope: this.options.scopes.join(' '),
      state,
      code_challenge: codeChallenge,
      code_challenge_method: 'S256',
    }).toString();
    return url.toString();
  }

  exchangeCode({ code, codeVerifier }: { code: string; codeVerifier: string }): Promise<TokenSet> {
    return this.tokenRequest({ grant_type: 'authorization_code', code, code_verifier: codeVerifier, redirect_uri: this.options.redirectUri });
  }

  refresh(refreshToken: string): Promise<TokenSet> {
    return this.tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken });
  }

  /** Revokes the grant behind the refresh token (Klaviyo then refuses its access tokens too). */
  async revoke(refreshToken: string): Promise<void> {
    await this.post('/oauth/revoke', { token: refreshToken, token_type_hint: 'refresh_token' });
  }

  private async tokenRequest(form: Record<string, string>): Promise<TokenSet> {
    const body = (await this.post('/oauth/token', form)) as { access_token?: string; refresh_token?: string; expires_in?: number; scope?: string };
    if (!body.access_token || !body.refresh_token) throw new OAuthError('invalid_response', 'the token endpoint answered without tokens', 200);
    return {
      accessToken: body.access_token,
      refreshToken: body.refresh_token,
      expiresIn: typeof body.expires_in === 'number' ? body.expires_in : 3600,
      scopes: (body.scope ?? this.options.scopes.join(' ')).split(/\s+/).filter(Boolean),
    };
  }

  private async post(path: string, form: Record<string, string>): Promise<unknown> {
    const basic = Buffer.from(`${this.options.clientId}:${this.options.clientSecret}`).toString('base64');
    let response: Response;
    try {
      response = await fetch(`${this.options.apiUrl.replace(/\/+$/, '')}${path}`, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams(form).toString(),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 15_000),
      });
    } catch (error) {
      throw new OAuthError('temporarily_unavailable', classifyNetworkError(error).detail, undefined);
    }
    const text = await response.text();
    let body: { error?: string; error_description?: string } = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      // an HTML error page: the status decides
    }
    if (response.ok) return body;
    if (response.status >= 500 || response.status === 429) throw new OAuthError('temporarily_unavailable', `Klaviyo answered ${response.status}`, response.status);
    throw new OAuthError(body.error ?? 'invalid_request', body.error_description ?? `HTTP ${response.status}`, response.status);
  }
}
