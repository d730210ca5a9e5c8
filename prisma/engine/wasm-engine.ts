import { readFile } from 'node:fs/promises';
import type { ErrorCapturingSqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { ConstructorOptions, SchemaEngine } from '@prisma/schema-engine-wasm';

/**
 * Receives the message of a Rust panic inside the Wasm module.
 *
 * The wasm-bindgen glue calls `global.PRISMA_WASM_PANIC_REGISTRY.set_message(...)` from the panic hook, then the
 * call fails with a bare `RuntimeError: unreachable`; the registry is how the real message gets out.
 */
class WasmPanicRegistry {
  message = '';

  set_message(message: string): void {
    this.message = message;
  }
}

export const panicRegistry = new WasmPanicRegistry();

declare global {
  var PRISMA_WASM_PANIC_REGISTRY: WasmPanicRegistry | undefined;
}

type WasmGlue = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');

/** The part of Node's global `WebAssembly` used here (its types live in lib.dom, which this project leaves out). */
interface WebAssemblyApi {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: Record<string, unknown> } }>;
  RuntimeError: new () => Error;
}

const { WebAssembly: wasmApi } = globalThis as unknown as { WebAssembly: WebAssemblyApi };

/** Whether `error` is a Wasm trap, which is how a Rust panic inside the engine surfaces. */
export function isWasmTrap(error: unknown): boolean {
  return error instanceof wasmApi.RuntimeError;
}

let gluePromise: Promise<WasmGlue> | undefined;

/**
 * Instantiates @prisma/schema-engine-wasm once per process (wasm-bindgen keeps global state in its glue module).
 *
 * Loaded the way Prisma's own `wasmSchemaEngineLoader` does it: the package's `--target bundler` glue module
 * (`schema_engine_bg.js`) is the import object of the `.wasm` file next to it.
 */
function instantiate(): Promise<WasmGlue> {
  gluePromise ??= (async () => {
    globalThis.PRISMA_WASM_PANIC_REGISTRY = panicRegistry;
    const glueUrl = import.meta.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const glue = (await import(glueUrl)) as WasmGlue;
    const bytes = await readFile(new URL('schema_engine_bg.wasm', glueUrl));
    const { instance } = await wasmApi.instantiate(bytes, { './schema_engine_bg.js': glue });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue;
  })();
  return gluePromise;
}

/** Builds a Wasm schema engine over the given driver adapter factory; `datamodels` are `[path, content]` pairs. */
export async function loadSchemaEngine(
  options: ConstructorOptions,
  onLog: (message: string) => void,
  adapterFactory: ErrorCapturingSqlMigrationAwareDriverAdapterFactory,
): Promise<SchemaEngine> {
  const glue = await instantiate();
  return glue.SchemaEngine.new(options, onLog, adapterFactory);
}

/** The prisma-engines commit the Wasm module was built from. */
export async function wasmEngineVersion(): Promise<string> {
  return (await instantiate()).version();
}
