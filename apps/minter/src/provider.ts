/**
 * What a way of minting provides to the pipeline: the direct chain minter (viem, our key, our nonces) and the
 * Immutable minting API both take a claimed batch to its end, so the queue, batching, retries and dead letters
 * are the same for both.
 */
import type { MintBatchView } from '@harvest/db';

/** A failure worth retrying later with backoff (RPC down, gas above the cap, provider rate limit). */
export class RetryableMintError extends Error {
  /** Wait at least this long before the next attempt (ms), when the cause says (Retry-After). */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs?: number) {
    super(message);
    this.name = 'RetryableMintError';
    this.retryAfterMs = retryAfterMs;
  }
}

export interface MintProvider {
  readonly name: 'direct' | 'immutable';
  /** Work to redo after a restart (the direct minter's nonce journal). Runs once, as leader, before any batch. */
  recover(): Promise<void>;
  /**
   * Takes a batch to its end: every item confirmed (or mined, when the indexer confirms), requeued or failed,
   * and the batch `done`. Idempotent: a batch resumed after a crash continues from what the database says. Throws
   * to have the job retried (with backoff); the last failure makes the batch a dead letter.
   */
  process(batch: MintBatchView): Promise<void>;
  /** Whether failing the batch's items now is safe (nothing of it can still land on chain). */
  canFailSafely(batch: MintBatchView): Promise<boolean>;
  close(): Promise<void>;
}
