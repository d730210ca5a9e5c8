/**
 * JSON-RPC over HTTP with retries and fallback. Endpoints are tried in order and the one that answered last is kept;
 * a failure (network, timeout, 5xx, 429, a JSON-RPC error, or an answer the caller's check refuses as
 * contradictory) moves to the next endpoint after a backoff with full jitter (delay = random(0, base * 2^attempt),
 * capped). eth_getLogs ranges that an endpoint refuses as too large (too many results, or too slow) are not retried
 * here: they fail with CHAIN_RPC_RANGE_TOO_LARGE so the caller splits the range.
 */
import type { Logger } from '@harvest/service';
import { AppError } from '@harvest/shared/errors';
import type { RpcLog } from '../decode/index.ts';

/** A block header (the fields the indexer uses). */
export interface RpcBlock {
  number: bigint;
  hash: string;
  parentHash: string;
  timestamp: bigint;
}

export interface RpcOptions {
  urls: readonly string[];
  /** Milliseconds one request may take. */
  timeoutMs: number;
  /** Attempts per call, over all endpoints. */
  attempts: number;
  /** First backoff (ms); doubles per attempt, full jitter. */
  backoffMs: number;
  maxBackoffMs?: number;
  log: Logger;
  /** Called after every request (for metrics). */
  onRequest?: (event: { method: string; url: string; outcome: 'ok' | 'error' | 'refused' | 'too_large'; ms: number }) => void;
  /** Test seam for the randomness of the jitter. */
  random?: () => number;
  signal?: AbortSignal;
}

export interface LogFilter {
  address: readonly string[];
  topics: readonly (readonly string[] | null)[];
}

export interface RpcClient {
  /** One call; `check` may refuse a result as contradictory (a message), which counts as a failure of that endpoint. */
  call<T>(method: string, params: readonly unknown[], check?: (result: T) => string | null, attempts?: number): Promise<T>;
  chainId(): Promise<number>;
  blockNumber(): Promise<bigint>;
  /** A block header by number or 'latest'; null when the endpoint does not have it. */
  getBlock(at: bigint | 'latest'): Promise<RpcBlock | null>;
  getLogs(
    filter: LogFilter & ({ fromBlock: bigint; toBlock: bigint } | { blockHash: string }),
    check?: (logs: RpcLog[]) => string | null,
    attempts?: number,
  ): Promise<RpcLog[]>;
  /** Checks that every endpoint serves `chainId`; refuses (CHAIN_RPC_CONTRADICTION) one that serves another chain. */
  verifyChainId(chainId: number): Promise<void>;
}

const hex = (n: bigint) => `0x${n.toString(16)}`;

/** Errors an endpoint gives when an eth_getLogs range holds too much (geth, erigon, Alchemy, Infura, QuickNode...). */
const TOO_LARGE =
  /query returned more than|too many|limit exceeded|response size|exceeds? (the )?(max|limit)|block range|range (is )?too (large|wide)|max results|10000 results/i;

class RpcCallError extends Error {
  readonly kind: 'transport' | 'rpc' | 'refused' | 'too_large';
  readonly code: number | undefined;
  constructor(kind: RpcCallError['kind'], message: string, code?: number) {
    super(message);
    this.kind = kind;
    this.code = code;
  }
}

function toBlock(raw: Record<string, string> | null): RpcBlock | null {
  if (!raw) return null;
  return {
    number: BigInt(raw.number as string),
    hash: (raw.hash as string).toLowerCase(),
    parentHash: (raw.parentHash as string).toLowerCase(),
    timestamp: BigInt(raw.timestamp as string),
  };
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

/** Creates a client over the endpoints of one chain. */
export function createRpcClient(options: RpcOptions): RpcClient {
  if (options.urls.length === 0) throw new Error('no RPC URL');
  const random = options.random ?? Math.random;
  let current = 0;
  let id = 0;

  async function once<T>(url: string, method: string, params: readonly unknown[]): Promise<T> {
    let response: Response;
    try {
      response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
        signal: AbortSignal.timeout(options.timeoutMs),
      });
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError';
      throw new RpcCallError(
        timedOut && method === 'eth_getLogs' ? 'too_large' : 'transport',
        timedOut ? `timed out after ${options.timeoutMs} ms` : (error as Error).message,
      );
    }
    const text = await response.text().catch(() => '');
    if (!response.ok) {
      if (method === 'eth_getLogs' && TOO_LARGE.test(text)) throw new RpcCallError('too_large', text.slice(0, 200));
      throw new RpcCallError('transport', `HTTP ${response.status}`);
    }
    let body: { result?: T; error?: { code?: number; message?: string } };
    try {
      body = JSON.parse(text);
    } catch {
      throw new RpcCallError('transport', 'the answer is not JSON');
    }
    if (body.error) {
      const message = body.error.message ?? 'error';
      if (method === 'eth_getLogs' && (TOO_LARGE.test(message) || body.error.code === -32005))
        throw new RpcCallError('too_large', message, body.error.code);
      throw new RpcCallError('rpc', message, body.error.code);
    }
    if (!('result' in body)) throw new RpcCallError('transport', 'the answer has no result');
    return body.result as T;
  }

  async function call<T>(
    method: string,
    params: readonly unknown[],
    check?: (result: T) => string | null,
    attempts = options.attempts,
  ): Promise<T> {
    let last: RpcCallError | undefined;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (options.signal?.aborted) throw new AppError('CHAIN_RPC_UNAVAILABLE', 'stopped');
      const index = current % options.urls.length;
      const url = options.urls[index] as string;
      const started = performance.now();
      try {
        const result = await once<T>(url, method, params);
        const refusal = check?.(result) ?? null;
        if (refusal !== null) throw new RpcCallError('refused', refusal);
        options.onRequest?.({ method, url, outcome: 'ok', ms: performance.now() - started });
        current = index;
        return result;
      } catch (error) {
        const failure = error instanceof RpcCallError ? error : new RpcCallError('transport', (error as Error).message);
        const outcome = failure.kind === 'too_large' ? 'too_large' : failure.kind === 'refused' ? 'refused' : 'error';
        options.onRequest?.({ method, url, outcome, ms: performance.now() - started });
        if (failure.kind === 'too_large') throw new AppError('CHAIN_RPC_RANGE_TOO_LARGE', `${method}: ${failure.message}`);
        last = failure;
        options.log.warn({ method, endpoint: index, attempt, kind: failure.kind, err: failure.message }, 'RPC call failed; retrying');
        current = index + 1;
        const cap = options.maxBackoffMs ?? 10_000;
        await sleep(Math.floor(random() * Math.min(cap, options.backoffMs * 2 ** attempt)), options.signal);
      }
    }
    const code = last?.kind === 'refused' ? 'CHAIN_RPC_CONTRADICTION' : 'CHAIN_RPC_UNAVAILABLE';
    throw new AppError(code, `${method} failed ${attempts} times: ${last?.message ?? 'unknown'}`);
  }

  return {
    call,
    async chainId() {
      return Number(await call<string>('eth_chainId', []));
    },
    async blockNumber() {
      return BigInt(await call<string>('eth_blockNumber', []));
    },
    async getBlock(at) {
      const raw = await call<Record<string, string> | null>(
        'eth_getBlockByNumber',
        [at === 'latest' ? 'latest' : hex(at), false],
        (block) => {
          if (block === null) return null;
          if (typeof block.hash !== 'string' || typeof block.parentHash !== 'string' || typeof block.number !== 'string')
            return 'a block without hash or number';
          if (at !== 'latest' && BigInt(block.number) !== at) return `asked for block ${at}, got ${BigInt(block.number)}`;
          return null;
        },
      );
      return toBlock(raw);
    },
    getLogs(filter, check, attempts) {
      const base = { address: [...filter.address], topics: filter.topics };
      const params =
        'blockHash' in filter
          ? { ...base, blockHash: filter.blockHash }
          : { ...base, fromBlock: hex(filter.fromBlock), toBlock: hex(filter.toBlock) };
      return call<RpcLog[]>(
        'eth_getLogs',
        [params],
        (logs) => (Array.isArray(logs) ? (check?.(logs) ?? null) : 'eth_getLogs did not answer a list'),
        attempts,
      );
    },
    async verifyChainId(chainId) {
      let answered = 0;
      for (const [index, url] of options.urls.entries()) {
        let served: number;
        try {
          served = Number(await once<string>(url, 'eth_chainId', []));
        } catch (error) {
          // An endpoint that is down now is only a fallback that cannot help yet; one serving another chain is wrong.
          options.log.warn({ endpoint: index, err: (error as Error).message }, 'RPC endpoint does not answer eth_chainId');
          continue;
        }
        if (served !== chainId)
          throw new AppError('CHAIN_RPC_CONTRADICTION', `RPC endpoint ${index + 1} serves chain ${served}, not ${chainId}`);
        answered++;
      }
      if (answered === 0) throw new AppError('CHAIN_RPC_UNAVAILABLE', 'no RPC endpoint answers eth_chainId');
    },
  };
}
