import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

/**
 * Paths pino censors should a token-shaped field ever reach a log call. The proxy never passes tokens,
 * cookies or headers to the logger (it logs a short id of the HMAC key); this is the second line.
 */
export const REDACT_PATHS = [
  'token',
  'refresh_token',
  'access_token',
  '*.token',
  '*.refresh_token',
  '*.access_token',
  'headers.cookie',
  'headers.authorization',
  'headers["set-cookie"]',
  '*.headers.cookie',
  '*.headers.authorization',
  '*.headers["set-cookie"]',
];

/** The proxy's default logger: JSON lines, `name: refresh-proxy`, tokens redacted. */
export function createLogger(options: LoggerOptions = {}, destination?: DestinationStream): Logger {
  const merged: LoggerOptions = {
    name: 'refresh-proxy',
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    ...options,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return destination === undefined ? pino(merged) : pino(merged, destination);
}
