/** The indexer's Prometheus metrics (served at /metrics with the process metrics). */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface IndexerMetrics {
  registry: Registry;
  chainHead: Gauge;
  headBlock: Gauge;
  finalizedBlock: Gauge;
  headLag: Gauge;
  reorgs: Counter;
  reorgDepth: Histogram;
  events: Counter<'kind'>;
  eventsPerSecond: Gauge;
  rpcRequests: Counter<'method' | 'outcome'>;
  rangeBlocks: Gauge;
  leader: Gauge;
  gameMoves: Counter<'asset' | 'move'>;
  /** Counts events for the rolling events/s gauge (10 s window). */
  countEvents(kind: string, n: number): void;
}

export function createIndexerMetrics(chainId: number): IndexerMetrics {
  const registry = new Registry();
  registry.setDefaultLabels({ chain_id: String(chainId) });
  const events = new Counter({
    name: 'indexer_events_total',
    help: 'Chain events written (first time only)',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  const window: Array<{ at: number; n: number }> = [];
  // Recomputed when scraped, so it decays to 0 when nothing happens.
  const eventsPerSecond = new Gauge({
    name: 'indexer_events_per_second',
    help: 'Events written per second over the last 10 s',
    registers: [registry],
    collect() {
      const now = Date.now();
      while (window.length > 0 && (window[0]?.at ?? now) < now - 10_000) window.shift();
      this.set(window.reduce((sum, w) => sum + w.n, 0) / 10);
    },
  });
  return {
    registry,
    chainHead: new Gauge({ name: 'indexer_chain_head_block', help: 'Newest block the RPC endpoint reported', registers: [registry] }),
    headBlock: new Gauge({ name: 'indexer_head_block', help: 'Newest block applied', registers: [registry] }),
    finalizedBlock: new Gauge({ name: 'indexer_finalized_block', help: 'Newest block treated as final', registers: [registry] }),
    headLag: new Gauge({ name: 'indexer_head_lag_blocks', help: 'Chain head minus the newest block applied', registers: [registry] }),
    reorgs: new Counter({ name: 'indexer_reorgs_total', help: 'Reorgs rolled back', registers: [registry] }),
    reorgDepth: new Histogram({
      name: 'indexer_reorg_depth_blocks',
      help: 'Blocks rolled back per reorg',
      buckets: [1, 2, 3, 4, 6, 8, 12, 16, 32, 64],
      registers: [registry],
    }),
    events,
    eventsPerSecond,
    rpcRequests: new Counter({
      name: 'indexer_rpc_requests_total',
      help: 'JSON-RPC requests',
      labelNames: ['method', 'outcome'] as const,
      registers: [registry],
    }),
    rangeBlocks: new Gauge({
      name: 'indexer_backfill_range_blocks',
      help: 'Current eth_getLogs range size of the backfill',
      registers: [registry],
    }),
    leader: new Gauge({ name: 'indexer_leader', help: '1 while this process is the chain writer, 0 on standby', registers: [registry] }),
    gameMoves: new Counter({
      name: 'indexer_game_moves_total',
      help: 'Card and land moves the chain caused in game',
      labelNames: ['asset', 'move'] as const,
      registers: [registry],
    }),
    countEvents(kind, n) {
      if (n <= 0) return;
      events.inc({ kind }, n);
      window.push({ at: Date.now(), n });
    },
  };
}
