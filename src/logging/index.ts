import pino, { type DestinationStream, type Logger } from 'pino';
import { REDACTED, redactDeep, redactText, SECRET_KEY_NAMES } from './redact';

export type { Logger } from 'pino';
export { redactDeep, redactText, REDACTED } from './redact';

export interface LoggerOptions {
  readonly level: string;
  /** Where lines go; stdout by default. Tests pass a stream to read what was logged. */
  readonly destination?: DestinationStream;
}

/**
 * JSON logs with secrets scrubbed: secret-named keys at any depth of the logged
 * object (and at the top of child bindings), and secret-shaped text (bearer
 * tokens, API keys, JWTs, OAuth codes) anywhere in the finished line.
 */
export function createLogger({ level, destination }: LoggerOptions): Logger {
  return pino(
    {
      level,
      base: { service: 'signals-gateway' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: {
        level: (label) => ({ level: label }),
        log: (object) => redactDeep(object) as Record<string, unknown>,
      },
      // `log` above already turned errors into plain, scrubbed objects.
      serializers: { err: (err: unknown) => err },
      redact: { paths: [...SECRET_KEY_NAMES, ...SECRET_KEY_NAMES.map((key) => `*.${key}`)], censor: REDACTED },
      hooks: { streamWrite: (line) => redactText(line) },
    },
    destination ?? pino.destination({ dest: 1, sync: false }),
  );
}
