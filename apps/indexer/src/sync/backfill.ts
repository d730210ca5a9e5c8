/**
 * Backfill: eth_getLogs over consecutive block ranges, several in flight, yielded in chain order. The range adapts:
 * an endpoint that refuses a range (too many results, or too slow) gets it split in halves and the next ranges
 * start from the smaller size; a range that comes back with few logs lets the size double (up to `maxRange`), and
 * one that comes back with more than `targetLogs` halves it. Every answer is checked for contradictions
 * (../decode findLogContradiction) and refused, then asked again, when it has one.
 */

import { findLogContradiction, type RpcLog } from '../decode/index.ts';
import { isAppError } from '../runtime/errors.ts';
import type { LogFilter, RpcClient } from './rpc.ts';

/** The logs of blocks [from, to]. */
export interface LogRange {
  from: bigint;
  to: bigint;
  logs: RpcLog[];
}

export interface BackfillOptions {
  rpc: RpcClient;
  filter: LogFilter;
  /** Blocks per first request. */
  initialRange: number;
  maxRange: number;
  /** Requests in flight. */
  concurrency: number;
  /** Logs per request above which the range shrinks. */
  targetLogs: number;
  signal?: AbortSignal;
  /** Called when the range size changes. */
  onRangeSize?: (blocks: number) => void;
}

/** The adaptive range size, shared by the requests of one backfill. */
export interface RangeSizer {
  readonly size: number;
  refused(width: number): void;
  answered(width: number, logs: number): void;
}

/** Pure sizing rules (unit-tested): halve on refusal or on too many logs, double on few logs. */
export function createRangeSizer(options: {
  initial: number;
  max: number;
  targetLogs: number;
  onChange?: (size: number) => void;
}): RangeSizer {
  let size = Math.max(1, Math.min(options.initial, options.max));
  const set = (next: number) => {
    const bounded = Math.max(1, Math.min(options.max, Math.floor(next)));
    if (bounded !== size) {
      size = bounded;
      options.onChange?.(size);
    }
  };
  return {
    get size() {
      return size;
    },
    refused(width) {
      set(Math.min(size, Math.max(1, Math.floor(width / 2))));
    },
    answered(width, logs) {
      if (logs > options.targetLogs) set(Math.min(size, Math.max(1, Math.floor((width * options.targetLogs) / logs))));
      else if (logs < options.targetLogs / 4 && width >= size) set(size * 2);
    },
  };
}

async function fetchRange(options: BackfillOptions, sizer: RangeSizer, from: bigint, to: bigint): Promise<RpcLog[]> {
  const addresses = options.filter.address;
  try {
    const logs = await options.rpc.getLogs({ ...options.filter, fromBlock: from, toBlock: to }, (answer) =>
      findLogContradiction(answer, { from, to, addresses }),
    );
    sizer.answered(Number(to - from + 1n), logs.length);
    return logs;
  } catch (error) {
    if (!isAppError(error, 'CHAIN_RPC_RANGE_TOO_LARGE') || from === to) throw error;
    const width = Number(to - from + 1n);
    sizer.refused(width);
    const mid = from + BigInt(Math.floor(width / 2)) - 1n;
    const left = await fetchRange(options, sizer, from, mid);
    const right = await fetchRange(options, sizer, mid + 1n, to);
    return left.concat(right);
  }
}

/**
 * Yields the logs of [from, to] range by range, in order, with up to `concurrency` requests in flight. Stops early
 * (without error) when the signal aborts.
 */
export async function* fetchLogRanges(options: BackfillOptions, from: bigint, to: bigint, sizer?: RangeSizer): AsyncGenerator<LogRange> {
  const sizing =
    sizer ??
    createRangeSizer({
      initial: options.initialRange,
      max: options.maxRange,
      targetLogs: options.targetLogs,
      ...(options.onRangeSize ? { onChange: options.onRangeSize } : {}),
    });
  const inFlight: Array<{ from: bigint; to: bigint; logs: Promise<RpcLog[]> }> = [];
  let next = from;
  const dispatch = () => {
    while (inFlight.length < options.concurrency && next <= to && !options.signal?.aborted) {
      const end = next + BigInt(sizing.size) - 1n > to ? to : next + BigInt(sizing.size) - 1n;
      const logs = fetchRange(options, sizing, next, end);
      // Rejections are observed when the range's turn comes; until then they must not count as unhandled.
      logs.catch(() => undefined);
      inFlight.push({ from: next, to: end, logs });
      next = end + 1n;
    }
  };
  dispatch();
  while (inFlight.length > 0) {
    const head = inFlight.shift() as (typeof inFlight)[number];
    const logs = await head.logs;
    dispatch();
    yield { from: head.from, to: head.to, logs };
    if (options.signal?.aborted) return;
  }
}
