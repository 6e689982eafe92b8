import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import { BodyTooLargeError, isJsonContentType, readBody } from './body';
import { sendGraphQLError } from './respond';

export interface ApolloRequestOptions<TContext extends BaseContext> {
  readonly context: () => Promise<TContext>;
  readonly maxBodyBytes: number;
  /** The URL's query string, e.g. "?query=..." for GET. */
  readonly search: string;
  /** Adds `Connection: close` to the answer (the server is draining). */
  readonly closeConnection?: () => boolean;
}

/**
 * Apollo Server on Node's own HTTP server, without Express: bounded body
 * reading, JSON parsing, and Apollo's response written back. The gateway and
 * the intake benchmark's bare Apollo both serve through this one function.
 */
export async function serveApolloRequest<TContext extends BaseContext>(apollo: ApolloServer<TContext>, req: IncomingMessage, res: ServerResponse, options: ApolloRequestOptions<TContext>): Promise<void> {
  let body: unknown;
  if (req.method === 'POST') {
    let raw: Buffer;
    try {
      raw = await readBody(req, options.maxBodyBytes);
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      res.setHeader('connection', 'close'); // stop reading the rest of an oversized upload
      return sendGraphQLError(res, 413, 'BAD_REQUEST', `${error.message}; split the batch into smaller requests`);
    }
    if (isJsonContentType(req.headers['content-type'])) {
      try {
        body = raw.length === 0 ? undefined : JSON.parse(raw.toString('utf8'));
      } catch {
        return sendGraphQLError(res, 400, 'BAD_REQUEST', 'The request body is not valid JSON');
      }
    } else {
      body = raw.toString('utf8');
    }
  }
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const response = await apollo.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search: options.search, body },
    context: options.context,
  });
  for (const [name, value] of response.headers) res.setHeader(name, value);
  if (options.closeConnection?.()) res.setHeader('connection', 'close');
  res.statusCode = response.status ?? 200;
  if (response.body.kind === 'complete') {
    res.end(response.body.string);
    return;
  }
  for await (const chunk of response.body.asyncIterator) res.write(chunk);
  res.end();
}
