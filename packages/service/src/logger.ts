import { type Logger, pino } from 'pino';

/** Structured JSON logs, one logger per process, named after the app. */
export function createLogger(name: string, level: string): Logger {
  return pino({ name, level, base: { app: name } });
}

export type { Logger };
