/**
 * A stand-in for Prisma's native `schema-engine` binary, for machines that cannot download it.
 *
 * The Prisma CLI starts the program named by PRISMA_SCHEMA_ENGINE_BINARY as
 *   schema-engine [--datamodels <schema.prisma>]... [--datasource <json>]     JSON-RPC 2.0 over stdin/stdout
 *   schema-engine --datasource <json> cli <can-connect-to-database|create-database|drop-database>
 *   schema-engine --version
 * This program answers the same way, delegating the work to Prisma's WebAssembly schema engine
 * (@prisma/schema-engine-wasm) over @prisma/adapter-pg (see ./adapter.ts). PostgreSQL only.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { bindMigrationAwareSqlAdapterFactory, type ErrorRegistry } from '@prisma/driver-adapter-utils';
import type { MigrationList, SchemaEngine, SchemaFilter } from '@prisma/schema-engine-wasm';
import { createMigrationAdapterFactory, type DatasourceConfig, dropLiveShadowDatabases } from './adapter.ts';
import { checkConnection, createDatabase, dropDatabase, UserFacingError } from './databases.ts';
import { log } from './log.ts';
import { isWasmTrap, loadSchemaEngine, panicRegistry, wasmEngineVersion } from './wasm-engine.ts';

interface EngineArgs {
  datamodels: string[];
  datasource: DatasourceConfig;
  cliCommand: string | undefined;
}

function parseArgs(argv: string[]): EngineArgs {
  const args: EngineArgs = { datamodels: [], datasource: {}, cliCommand: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    switch (arg) {
      case '--datamodels':
        args.datamodels.push(value());
        break;
      case '--datasource':
        args.datasource = JSON.parse(value()) as DatasourceConfig;
        break;
      case '--enabled-preview-features':
      case '--extension-types':
        // Neither is used by this project's schema; the Wasm engine has no switch for them.
        log('WARN', { message: `${arg} is ignored by the Wasm schema engine wrapper.` });
        value();
        break;
      case 'cli':
        args.cliCommand = argv[++i];
        break;
      default:
        throw new Error(`Unknown argument: ${arg}`);
    }
  }
  return args;
}

// ---------------------------------------------------------------------------------------------------------------
// JSON-RPC

type RpcId = number | string | null;

interface RpcMessage {
  jsonrpc?: string;
  id?: RpcId;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: unknown;
}

interface RpcErrorData {
  is_panic: boolean;
  message: string;
  error_code?: string;
  meta?: unknown;
}

function send(message: object): void {
  process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
}

/** Requests this engine sent to the CLI (only `print`), waiting for the CLI's answer. */
const pendingOutgoing = new Map<string, () => void>();
let outgoingCounter = 0;

/** Asks the CLI to print text on its stdout, as the native engine does for `migrate diff` output. */
function printThroughCli(content: string): Promise<void> {
  const id = `engine-print-${++outgoingCounter}`;
  return new Promise((resolve) => {
    pendingOutgoing.set(id, resolve);
    send({ id, method: 'print', params: { content } });
  });
}

/**
 * Errors thrown by our JavaScript inside a driver adapter call (not DriverAdapterErrors) reach the engine only as
 * an id in the adapter factory's error registry; the engine's message then says "External error id#N".
 */
let adapterErrors: ErrorRegistry | undefined;

function withAdapterErrorsResolved(message: string): string {
  return message.replace(/External error id#(\d+)/g, (text, id: string) => {
    const record = adapterErrors?.consumeError(Number(id));
    return record ? (record.error instanceof Error ? record.error.message : String(record.error)) : text;
  });
}

function toErrorData(error: unknown): RpcErrorData {
  if (isWasmTrap(error)) {
    return { is_panic: true, message: panicRegistry.message || String((error as Error).message) };
  }
  if (error instanceof Error || (typeof error === 'object' && error !== null)) {
    const { code, message, meta } = error as { code?: unknown; message?: unknown; meta?: unknown };
    const text = withAdapterErrorsResolved(typeof message === 'string' ? message : JSON.stringify(error));
    // Prisma error codes (P1001, P3006, ...) are user-facing errors; the CLI branches on some of them.
    if (typeof code === 'string' && /^P\d{4}$/.test(code)) return { is_panic: false, message: text, error_code: code, meta };
    return { is_panic: false, message: text };
  }
  return { is_panic: false, message: String(error) };
}

/** The id of the request being served, answered with an error if the process has to die meanwhile. */
let requestInFlight: RpcId | undefined;

function sendError(id: RpcId, data: RpcErrorData): void {
  log('ERROR', { message: data.message, ...(data.error_code ? { error_code: data.error_code } : {}) });
  // The CLI shows `message` for panics and `data.message` (with `data.error_code`) otherwise.
  const message = data.is_panic ? data.message : 'An error happened. Check the data field for details.';
  send({ id, error: { code: 4466, message, data } });
}

type Handler = (params: unknown) => Promise<unknown>;

const NO_SHADOW_FACTORY = 'shadow DB must be provided through an external factory';

/**
 * Runs `evaluateDataLoss` or `createMigration`, which in the Wasm engine take the schema of the migration history
 * from a cache that only `devDiagnostic`/`diagnoseMigrationHistory` fill (they alone get the shadow database
 * factory); on a miss they fail instead of replaying the migrations. The cache is keyed by the list of applied
 * migrations, so it misses in `migrate dev` whenever the command itself applied pending migrations first. Then
 * diagnosing the history again (everything now applied) fills the entry and the call is retried.
 */
async function withMigrationSchemaCache<T>(
  engine: SchemaEngine,
  params: { migrationsList: MigrationList; filters: SchemaFilter },
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof Error && error.message.includes(NO_SHADOW_FACTORY))) throw error;
    log('INFO', { message: 'Migration schema cache miss; diagnosing the migration history to fill it.' });
    await engine.diagnoseMigrationHistory({
      migrationsList: params.migrationsList,
      optInToShadowDatabase: true,
      filters: params.filters,
    });
    return call();
  }
}

function createHandlers(getEngine: () => Promise<SchemaEngine>, datasource: DatasourceConfig): Map<string, Handler> {
  // biome-ignore lint/suspicious/noExplicitAny: the CLI's params are passed to the engine unchanged
  type Params = any;
  // Call the engine's methods on the engine object itself: detached wasm-bindgen methods lose their `this`.
  const viaEngine = (call: (engine: SchemaEngine, params: Params) => Promise<unknown>): Handler => {
    return async (params) => call(await getEngine(), params);
  };
  return new Map<string, Handler>([
    ['applyMigrations', viaEngine((e, p) => e.applyMigrations(p))],
    ['createMigration', viaEngine((e, p) => withMigrationSchemaCache(e, p, () => e.createMigration(p)))],
    ['dbExecute', viaEngine(async (e, p) => (await e.dbExecute(p)) ?? null)],
    ['debugPanic', viaEngine(async (e) => e.debugPanic())],
    ['devDiagnostic', viaEngine((e, p) => e.devDiagnostic(p))],
    ['diagnoseMigrationHistory', viaEngine((e, p) => e.diagnoseMigrationHistory(p))],
    ['ensureConnectionValidity', viaEngine((e, p) => e.ensureConnectionValidity(p))],
    ['evaluateDataLoss', viaEngine((e, p) => withMigrationSchemaCache(e, p, () => e.evaluateDataLoss(p)))],
    ['getDatabaseVersion', viaEngine((e, p) => e.version(p ?? null))],
    ['introspect', viaEngine((e, p) => e.introspect(p))],
    ['introspectSql', viaEngine((e, p) => e.introspectSql(p))],
    ['markMigrationApplied', viaEngine((e, p) => e.markMigrationApplied(p))],
    ['markMigrationRolledBack', viaEngine((e, p) => e.markMigrationRolledBack(p))],
    ['reset', viaEngine(async (e, p) => (await e.reset(p)) ?? null)],
    ['schemaPush', viaEngine((e, p) => e.schemaPush(p))],
    [
      'diff',
      viaEngine(async (e, p) => {
        const { stdout, ...rest } = await e.diff(p);
        if (stdout) await printThroughCli(stdout.endsWith('\n') ? stdout.slice(0, -1) : stdout);
        return rest;
      }),
    ],
    [
      'createDatabase',
      async (params) => {
        const source = (params as { datasource?: { tag?: string; url?: string } } | undefined)?.datasource;
        const url = source?.tag === 'ConnectionString' ? source.url : datasource.url;
        if (!url) throw new Error('createDatabase needs a connection string.');
        return { databaseName: await createDatabase(url) };
      },
    ],
  ]);
}

/**
 * Serves JSON-RPC requests from stdin until it closes. A failed start-up (bad arguments, unreadable schema, Wasm
 * or database trouble) becomes the error response of the requests instead of an exit the CLI would not report.
 */
function serveJsonRpc(readArgs: () => EngineArgs): void {
  let args: EngineArgs | undefined;
  let startupError: unknown;
  try {
    args = readArgs();
  } catch (error) {
    startupError = error;
  }
  let enginePromise: Promise<SchemaEngine> | undefined;
  const getEngine = () => {
    // Built on first use, as the native engine connects lazily.
    enginePromise ??= (async () => {
      if (!args) throw startupError;
      const datamodels = args.datamodels.map((path): [string, string] => [path, readFileSync(path, 'utf8')]);
      const adapterFactory = bindMigrationAwareSqlAdapterFactory(createMigrationAdapterFactory(args.datasource));
      adapterErrors = adapterFactory.errorRegistry;
      return loadSchemaEngine(
        { datamodels: datamodels.length > 0 ? datamodels : undefined },
        (message: string) => log('DEBUG', { message }),
        adapterFactory,
      );
    })();
    return enginePromise;
  };
  const handlers = createHandlers(getEngine, args?.datasource ?? {});

  const handle = async (request: RpcMessage): Promise<void> => {
    const id = request.id ?? null;
    const handler = handlers.get(request.method ?? '');
    if (!handler) {
      send({ id, error: { code: -32601, message: `Method not found: ${request.method}` } });
      return;
    }
    requestInFlight = id;
    try {
      const result = await handler(request.params);
      send({ id, result: result ?? null });
    } catch (error) {
      const data = toErrorData(error);
      sendError(id, data);
      // After a panic the Wasm instance is in an undefined state; exit like the native engine does.
      if (data.is_panic) await shutdown(101);
    } finally {
      requestInFlight = undefined;
    }
  };

  // Requests run one at a time, in order, as the native engine's stdio loop does.
  let queue: Promise<void> = Promise.resolve();
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  lines.on('line', (line) => {
    if (line.trim() === '') return;
    let message: RpcMessage;
    try {
      message = JSON.parse(line) as RpcMessage;
    } catch {
      send({ id: null, error: { code: -32700, message: 'Parse error' } });
      return;
    }
    if (message.method === undefined) {
      // The CLI's answer to one of our `print` requests.
      const resolve = pendingOutgoing.get(String(message.id));
      pendingOutgoing.delete(String(message.id));
      resolve?.();
      return;
    }
    queue = queue.then(() => handle(message));
  });
  lines.on('close', () => {
    void queue.then(() => shutdown(0));
  });
}

async function shutdown(code: number): Promise<never> {
  await dropLiveShadowDatabases();
  process.exit(code);
}

async function runCliCommand(command: string | undefined, datasource: DatasourceConfig): Promise<void> {
  const url = datasource.url;
  if (!url) throw new Error('The `cli` commands need --datasource with a url.');
  switch (command) {
    case 'can-connect-to-database':
      await checkConnection(url);
      process.stdout.write('Connection successful\n');
      return;
    case 'create-database':
      process.stdout.write(`Database '${await createDatabase(url)}' was successfully created.\n`);
      return;
    case 'drop-database':
      process.stdout.write(`The database '${await dropDatabase(url)}' was successfully dropped.\n`);
      return;
    default:
      throw new Error(`Unknown cli command: ${command}`);
  }
}

/**
 * Last resort for an error no request handler caught. The request being served gets an error response first:
 * Prisma CLI 7.10 exits 0 without a word when its engine dies mid-request, which would turn a crash during
 * `migrate diff --exit-code` into a passing drift check.
 */
function exitOnUnexpected(error: unknown): void {
  const data: RpcErrorData = isWasmTrap(error)
    ? toErrorData(error)
    : { is_panic: false, message: `schema engine wrapper crashed: ${error instanceof Error ? error.stack : error}` };
  if (requestInFlight !== undefined) sendError(requestInFlight, data);
  else log('ERROR', { message: data.message });
  void shutdown(data.is_panic ? 101 : 1);
}

async function main(): Promise<void> {
  process.on('uncaughtException', exitOnUnexpected);
  process.on('unhandledRejection', exitOnUnexpected);
  // The CLI ends the engine with SIGTERM right after closing stdin; temporary shadow databases must not leak.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void shutdown(0));

  const argv = process.argv.slice(2);
  if (argv.includes('--version') || argv.includes('-V')) {
    process.stdout.write(`schema-engine-cli ${await wasmEngineVersion()}\n`);
    return;
  }
  if (argv.includes('cli')) {
    // The CLI skips the first stderr line of these commands (the native engine's start-up log) and parses the
    // rest as JSON log lines, looking for an ERROR with an error_code.
    log('INFO', { message: `Starting schema engine CLI (${argv.at(-1)}) on the Wasm schema engine wrapper` });
    const args = parseArgs(argv);
    await runCliCommand(args.cliCommand, args.datasource);
    process.exit(0);
  }
  serveJsonRpc(() => parseArgs(argv));
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  log('ERROR', {
    message,
    ...(error instanceof UserFacingError ? { error_code: error.code } : {}),
  });
  process.exit(1);
});
