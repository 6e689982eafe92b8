import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';

export interface GraphQLResponse<TData> {
  readonly status: number;
  readonly data?: TData | null;
  readonly errors?: GraphQLFormattedError[];
}

export interface RequestOptions<TVariables> {
  readonly token?: string;
  readonly variables?: TVariables;
  readonly headers?: Record<string, string>;
}

/** POSTs one operation as a storefront or internal tool would, typed by the generated documents. */
export async function graphqlRequest<TData, TVariables extends Record<string, unknown> = Record<string, never>>(
  url: string,
  document: TypedDocumentNode<TData, TVariables> | string,
  { token, variables, headers = {} }: RequestOptions<TVariables> = {},
): Promise<GraphQLResponse<TData>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify({ query: typeof document === 'string' ? document : print(document), variables }),
  });
  const text = await response.text();
  let body: { data?: TData | null; errors?: GraphQLFormattedError[] };
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`non-JSON response ${response.status}: ${text.slice(0, 200)}`);
  }
  return { status: response.status, ...body };
}

export const codesOf = (response: { errors?: readonly GraphQLFormattedError[] }) => (response.errors ?? []).map((e) => e.extensions?.code);
