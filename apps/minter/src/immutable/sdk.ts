/**
 * Loads Immutable's SDK modules, and only these: `@imtbl/config` and `@imtbl/blockchain-data` 2.24.8 (what the
 * umbrella `@imtbl/sdk`'s `/config` and `/blockchain_data` subpaths re-export, without its 450 MB of wallet,
 * checkout and bridge packages: see apps/minter/README.md).
 *
 * The SDK's metrics module, on import, starts POSTing to Immutable every 5 s on a timer that keeps Node alive; its
 * only documented off switch is the JEST_WORKER_ID variable. It keeps its functions in a process-global registry
 * (the `global-const` package, namespace `imtbl__metrics`) and uses a function already registered there, so
 * registering no-op `startFlushing` and `track` first turns both the timer and the event collection off without
 * touching the environment. This module must therefore be the only way the minter imports the SDK.
 */
const METRICS_REGISTRY = 'globalise__singleton__imtbl__metrics';

/** Registers the SDK metrics no-ops (idempotent). */
export function silenceImmutableMetrics(): void {
  const global = globalThis as unknown as Record<string, Record<string, unknown> | undefined>;
  const registry = global[METRICS_REGISTRY] ?? {};
  registry.startFlushing = () => undefined;
  registry.track = () => undefined;
  global[METRICS_REGISTRY] = registry;
}

export type ImmutableConfigModule = typeof import('@imtbl/config');
export type BlockchainDataModule = typeof import('@imtbl/blockchain-data');

/** The SDK modules, imported after the metrics are silenced. */
export async function loadImmutableSdk(): Promise<{ config: ImmutableConfigModule; blockchainData: BlockchainDataModule }> {
  silenceImmutableMetrics();
  const config = await import('@imtbl/config');
  const blockchainData = await import('@imtbl/blockchain-data');
  return { config, blockchainData };
}
