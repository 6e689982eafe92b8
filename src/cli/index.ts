import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ALL_SCOPES, isScope, mintCallerToken, type Scope } from '../auth';
import { ConfigError, loadConfig } from '../config';
import { rotateVaultKeys, TokenVault } from '../connections';
import { printGatewaySchema } from '../schema/build-schema';
import { openStore } from '../store';

const USAGE = `Usage: signals-gateway <command> [options]

Commands:
  token --brand <id> --scope "<scopes>" [--ttl 1h] [--subject <sub>]
      Print a caller token signed with the configured key (JWT_SECRET, or
      JWT_PRIVATE_KEY for RS*/ES*). Scopes: ${ALL_SCOPES.join(', ')}, or "all".
  rotate-keys
      Re-encrypt every stored secret under the active (first) key of
      TOKEN_ENCRYPTION_KEYS; older keys must still be listed after it.
  emit-schema [file]
      Write the GraphQL schema built from the code (default: schema.graphql).
  help
      Show this text.
`;

type Io = { out: (text: string) => void; err: (text: string) => void };
const processIo: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

/** Runs one CLI command; resolves to the process exit code. */
export async function runCli(argv: readonly string[], io: Io = processIo, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'token':
        return mintToken(rest, io, env);
      case 'rotate-keys':
        return await rotateKeys(io, env);
      case 'emit-schema': {
        const file = rest[0] ?? 'schema.graphql';
        writeFileSync(file, printGatewaySchema());
        io.out(`wrote ${file}\n`);
        return 0;
      }
      case undefined:
      case 'help':
      case '--help':
        io.out(USAGE);
        return command === undefined ? 1 : 0;
      default:
        io.err(`signals-gateway: unknown command "${command}"\n\n${USAGE}`);
        return 1;
    }
  } catch (error) {
    io.err(`signals-gateway: ${error instanceof Error ? error.message : String(error)}\n`);
    return error instanceof ConfigError || error instanceof UsageError ? 1 : 2;
  }
}

class UsageError extends Error {}

async function rotateKeys(io: Io, env: NodeJS.ProcessEnv): Promise<number> {
  const { config } = loadConfig(env);
  const vault = new TokenVault(config.tokenEncryptionKeys);
  const store = await openStore(config.store);
  try {
    const report = await rotateVaultKeys(store, vault);
    io.out(`rotate-keys: re-encrypted ${report.resealed} secret(s) under key "${vault.activeKeyId}"; ${report.current} already were\n`);
    for (const problem of report.unreadable) io.err(`rotate-keys: brand ${problem.brand}, connection ${problem.connectionId}: ${problem.reason}\n`);
    return report.unreadable.length > 0 ? 3 : 0;
  } finally {
    await store.close();
  }
}

function mintToken(args: readonly string[], io: Io, env: NodeJS.ProcessEnv): number {
  let values: { brand?: string; scope?: string; ttl?: string; subject?: string };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: { brand: { type: 'string' }, scope: { type: 'string' }, ttl: { type: 'string' }, subject: { type: 'string' } },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n\n${USAGE}`);
  }
  if (!values.brand) throw new UsageError('token: --brand is required');
  if (!values.scope) throw new UsageError('token: --scope is required, e.g. --scope "signals:write ops:read"');
  const requested = values.scope.split(/[\s,]+/).filter(Boolean);
  const unknown = requested.filter((s) => s !== 'all' && !isScope(s));
  if (unknown.length > 0) throw new UsageError(`token: unknown scope ${unknown.map((s) => `"${s}"`).join(', ')}; known: ${ALL_SCOPES.join(', ')}`);
  const scopes: readonly Scope[] = requested.includes('all') ? ALL_SCOPES : (requested as Scope[]);
  const ttl = values.ttl ?? '1h';
  if (!/^\d+(ms|s|m|h|d|w|y)?$/.test(ttl)) throw new UsageError(`token: --ttl "${ttl}" is not a duration such as 90s, 15m, 1h or 7d`);
  const { config } = loadConfig(env);
  io.out(`${mintCallerToken(config.jwt, { brand: values.brand, scopes, ttl: /^\d+$/.test(ttl) ? Number(ttl) : ttl, subject: values.subject ?? 'cli' })}\n`);
  return 0;
}
