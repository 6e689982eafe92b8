import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const REPO_ROOT = join(__dirname, '..', '..');

export interface GatewayProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  /** The development token the gateway printed at start, if it printed one. */
  readonly devToken: string | undefined;
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Signals the whole process group (npm and the node it started). */
  kill(signal: NodeJS.Signals): void;
}

export interface SpawnOptions {
  readonly env: NodeJS.ProcessEnv;
  /** Default: the built gateway, `node dist/main.js`. */
  readonly command?: readonly string[];
  readonly startTimeoutMs?: number;
}

/** Starts the gateway as operators do, as its own process, and waits for its "listening" line. */
export function spawnGateway({ env, command = ['node', 'dist/main.js'], startTimeoutMs = 20_000 }: SpawnOptions): Promise<GatewayProcess> {
  const [file, ...args] = command as [string, ...string[]];
  const child = spawn(file, args, { cwd: REPO_ROOT, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      kill('SIGKILL');
      reject(new Error(`gateway did not start in ${startTimeoutMs} ms\nstdout: ${out}\nstderr: ${err}`));
    }, startTimeoutMs);
    const check = () => {
      const listening = out.split('\n').find((line) => line.includes('"signals-gateway is listening"'));
      if (!listening) return;
      // The dev token is printed right after the listening line.
      if (env.NODE_ENV !== 'production' && !/Bearer \S+/.test(out)) return;
      clearTimeout(timer);
      child.stdout!.off('data', check);
      const { port, url } = JSON.parse(listening) as { port: number; url: string };
      resolve({ child, port, url, devToken: /Bearer (\S+)/.exec(out)?.[1], stdout: () => out, stderr: () => err, exited, kill });
    };
    child.stdout!.on('data', check);
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code} before listening\nstdout: ${out}\nstderr: ${err}`));
    });
  });
}
