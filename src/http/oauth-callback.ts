import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { ConnectionService } from '../connections';
import { GatewayError, ErrorCode } from '../schema/errors';

/**
 * `GET /oauth/klaviyo/callback?code&state` (or `?error&state`): where Klaviyo
 * sends the browser after consent. Answers a small page saying what happened;
 * 400 for a used, expired or unknown state and for a refusal.
 */
export async function handleOAuthCallback(query: URLSearchParams, res: ServerResponse, connections: ConnectionService, logger: Logger): Promise<void> {
  const state = query.get('state') ?? '';
  const error = query.get('error');
  if (error) {
    const connection = state ? await connections.abandonAuthorization({ state, error, description: query.get('error_description') ?? undefined }) : null;
    const why = error === 'access_denied' ? 'the Klaviyo user declined to connect the app' : `Klaviyo answered "${error}"${query.get('error_description') ? `: ${query.get('error_description')}` : ''}`;
    return page(res, 400, 'Klaviyo was not connected', `${why}.${connection ? '' : ' (This authorization request was unknown or already used.)'} Start the connection again from your tool.`);
  }
  const code = query.get('code');
  if (!code || !state) return page(res, 400, 'Klaviyo was not connected', 'The link is missing its code or state. Start the connection again from your tool.');
  try {
    const connection = await connections.completeAuthorization({ code, state });
    const account = `${connection.klaviyoAccountName ?? 'Klaviyo account'} (${connection.klaviyoAccountId})`;
    return page(res, 200, 'Klaviyo connected', `${account} is now connected for brand ${connection.brand}, ${connection.environment.toLowerCase()} environment${connection.klaviyoTestAccount ? ', a Klaviyo test account' : ''}. You can close this window.`);
  } catch (failure) {
    if (failure instanceof GatewayError && failure.code === ErrorCode.BAD_USER_INPUT) return page(res, 400, 'Klaviyo was not connected', failure.message);
    if (failure instanceof GatewayError && failure.code === ErrorCode.UPSTREAM_UNAVAILABLE) return page(res, 502, 'Klaviyo was not connected', `${failure.message}. Try again in a moment.`);
    logger.error({ err: failure }, 'OAuth callback failed');
    return page(res, 500, 'Klaviyo was not connected', 'Something went wrong on our side; the operators have the details in the logs. Try again later.');
  }
}

function page(res: ServerResponse, status: number, title: string, message: string): void {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1f2933}h1{font-size:1.4rem}</style></head>
<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>
`;
  res.statusCode = status;
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  // The URL carries an authorization code: never leak it through Referer.
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
  res.end(html);
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
