import { createClient, type Client, type ExecutionResult } from 'graphql-ws';
import WebSocket from 'ws';

export interface WsOutcome {
  readonly results: ExecutionResult[];
  readonly error?: unknown;
}

/** A graphql-ws client that never retries, so a refused connection shows as its close event. */
export function wsClient(url: string, connectionParams: Record<string, unknown> | undefined): { client: Client; closed: Promise<{ code: number; reason: string }>; connected: Promise<void> } {
  let onClosed!: (event: { code: number; reason: string }) => void;
  let onConnected!: () => void;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => (onClosed = resolve));
  const connected = new Promise<void>((resolve) => (onConnected = resolve));
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams,
    lazy: false,
    retryAttempts: 0,
    on: {
      connected: () => onConnected(),
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string };
        onClosed({ code, reason: String(reason) });
      },
    },
    onNonLazyError: () => undefined,
  });
  return { client, closed, connected };
}

/** Runs one operation to completion and collects what arrived. */
export function runOperation(client: Client, query: string, variables?: Record<string, unknown>): Promise<WsOutcome> {
  const results: ExecutionResult[] = [];
  return new Promise((resolve) => {
    client.subscribe(
      { query, variables },
      {
        next: (result) => results.push(result as ExecutionResult),
        error: (error) => resolve({ results, error }),
        complete: () => resolve({ results }),
      },
    );
  });
}
