/**
 * Logging in the format the Prisma CLI expects from a schema engine: one JSON object per line on stderr.
 *
 * The CLI parses every stderr line as JSON, keeps `fields.message`, and remembers the last line whose `level` is
 * `ERROR`: that message is what it shows when the engine exits with code 1 (see `SchemaEngineCLI` in
 * @prisma/migrate). `target` mirrors the native engine so the CLI's `can-connect-to-database` parser
 * (`target === 'schema_engine::logger'`) finds error codes too.
 */
export type LogLevel = 'ERROR' | 'WARN' | 'INFO' | 'DEBUG';

export interface LogFields {
  message: string;
  error_code?: string;
  [key: string]: unknown;
}

export function log(level: LogLevel, fields: LogFields): void {
  const line = JSON.stringify({
    timestamp: new Date().toISOString(),
    level,
    fields,
    target: 'schema_engine::logger',
  });
  process.stderr.write(`${line}\n`);
}
