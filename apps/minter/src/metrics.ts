import { Counter, Gauge, Registry } from 'prom-client';

/** The minter's own metrics (process metrics are added by @harvest/service). */
export interface MinterMetrics {
  registry: Registry;
  confirmed: Counter;
  failed: Counter;
  sent: Counter;
  replaced: Counter;
  reverted: Counter;
  gasUsed: Counter;
  deadLetters: Counter;
  batches: Counter;
  queued: Gauge;
  leader: Gauge;
}

export function createMinterMetrics(registry = new Registry()): MinterMetrics {
  const counter = (name: string, help: string) => new Counter({ name, help, registers: [registry] });
  return {
    registry,
    confirmed: counter('minter_tokens_confirmed_total', 'Tokens confirmed by the minter'),
    failed: counter('minter_items_failed_total', 'Mint items failed for good (cards back in game)'),
    sent: counter('minter_transactions_sent_total', 'Mint transactions (or provider requests) sent'),
    replaced: counter('minter_transactions_replaced_total', 'Stuck transactions replaced with higher fees'),
    reverted: counter('minter_transactions_reverted_total', 'Mint transactions that reverted'),
    gasUsed: counter('minter_gas_used_total', 'Gas used by mined mint transactions'),
    deadLetters: counter('minter_dead_letters_total', 'Batches whose retries ran out'),
    batches: counter('minter_batches_claimed_total', 'Batches claimed from the queue of items'),
    queued: new Gauge({ name: 'minter_items_queued', help: 'Mint items waiting for a batch', registers: [registry] }),
    leader: new Gauge({ name: 'minter_leader', help: '1 while this process is the chain writer', registers: [registry] }),
  };
}
