/**
 * The nonce manager and its journal (mint_transactions). Every transaction is signed here, and its hash, nonce and
 * raw bytes are committed to PostgreSQL BEFORE it is broadcast, together with the batch and items it carries. So
 * whatever instant the process dies at, a restart knows every nonce it used and every hash that may be on chain:
 * it re-broadcasts journaled transactions the chain has not seen (a nonce gap would stall every later one), and
 * takes the next nonce as max(chain pending nonce, journal's highest + 1).
 *
 * One writer per minter address: the caller holds the chain's leader lock (leader.ts). Allocation is serialised
 * in process (a promise chain), so nonces are journaled in order without holes.
 */
import { type Db, markMintItemsSubmittedInTx, setMintBatchStatusInTx } from '@harvest/db';
import type { Logger } from '@harvest/service';
import { type Hex, keccak256, type PrivateKeyAccount, type PublicClient, parseTransaction } from 'viem';

/** A journaled transaction. */
export interface JournalTx {
  hash: Hex;
  nonce: bigint;
  batchId: string;
  raw: Hex;
  gasLimit: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
  status: 'signed' | 'sent' | 'mined' | 'reverted' | 'replaced';
  replacesHash: Hex | null;
  createdAt: Date;
  sentAt: Date | null;
}

/** What to sign: the call and its gas. */
export interface TxRequest {
  to: Hex;
  data: Hex;
  gas: bigint;
  maxFeePerGas: bigint;
  maxPriorityFeePerGas: bigint;
}

export interface NonceManager {
  /** Reconciles the journal with the chain and re-broadcasts what the chain lacks; sets the next nonce. */
  recover(): Promise<void>;
  /** Signs `request` with the next nonce and journals it for `batchId` (and its items), before any broadcast. */
  signNew(batchId: string, itemIds: readonly string[], request: TxRequest): Promise<JournalTx>;
  /** Signs a replacement of `tx` (same nonce, higher fees) and journals it. */
  signReplacement(tx: JournalTx, fees: { maxFeePerGas: bigint; maxPriorityFeePerGas: bigint }): Promise<JournalTx>;
  /** The journal of a batch, oldest first. */
  ofBatch(batchId: string): Promise<JournalTx[]>;
  markSent(hash: Hex): Promise<void>;
  /** Records the receipt of `hash`; the other transactions of its nonce become `replaced`. */
  markMined(hash: Hex, receipt: { status: 'success' | 'reverted'; blockNumber: bigint; gasUsed: bigint }): Promise<void>;
  /** Marks every transaction of `nonce` replaced (the nonce was used by a transaction we did not journal). */
  markNonceLost(nonce: bigint): Promise<void>;
  /** Broadcasts a journaled transaction; "already known" and "nonce too low" are not errors here. */
  broadcast(tx: JournalTx): Promise<void>;
  /** The next nonce this manager would hand out. */
  peek(): bigint;
}

interface Row {
  hash: string;
  nonce: string;
  batch_id: string;
  raw: string;
  gas_limit: string;
  max_fee_per_gas: string;
  max_priority_fee_per_gas: string;
  status: JournalTx['status'];
  replaces_hash: string | null;
  created_at: Date;
  sent_at: Date | null;
}

const toTx = (r: Row): JournalTx => ({
  hash: r.hash as Hex,
  nonce: BigInt(r.nonce),
  batchId: r.batch_id,
  raw: r.raw as Hex,
  gasLimit: BigInt(r.gas_limit),
  maxFeePerGas: BigInt(r.max_fee_per_gas),
  maxPriorityFeePerGas: BigInt(r.max_priority_fee_per_gas),
  status: r.status,
  replacesHash: r.replaces_hash as Hex | null,
  createdAt: r.created_at,
  sentAt: r.sent_at,
});

const COLUMNS = `hash, nonce::text, batch_id::text, raw, gas_limit::text, max_fee_per_gas::text, max_priority_fee_per_gas::text,
  status, replaces_hash, created_at, sent_at`;

/** Errors of eth_sendRawTransaction that mean "the chain already has this nonce or this transaction". */
export function isAlreadyKnown(error: unknown): boolean {
  const text = String((error as { details?: string })?.details ?? '') + String((error as Error)?.message ?? '');
  return /already known|known transaction|nonce too low|nonce has already been used|already imported|AlreadyKnown|NonceTooLow/i.test(text);
}

export function createNonceManager(deps: {
  db: Db;
  client: PublicClient;
  account: PrivateKeyAccount;
  chainId: number;
  log: Logger;
}): NonceManager {
  const { db, client, account, chainId, log } = deps;
  const from = account.address.toLowerCase();
  let next = -1n;
  let chain: Promise<unknown> = Promise.resolve();

  /** Runs `fn` after every earlier allocation finished (the allocation mutex). */
  function serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = chain.then(fn, fn);
    chain = run.catch(() => undefined);
    return run;
  }

  async function sign(nonce: bigint, request: TxRequest): Promise<{ raw: Hex; hash: Hex }> {
    const raw = await account.signTransaction({
      chainId,
      type: 'eip1559',
      nonce: Number(nonce),
      to: request.to,
      data: request.data,
      gas: request.gas,
      maxFeePerGas: request.maxFeePerGas,
      maxPriorityFeePerGas: request.maxPriorityFeePerGas,
    });
    return { raw, hash: keccak256(raw) };
  }

  async function insert(
    tx: Pick<Db, '$executeRaw'>,
    row: { hash: Hex; nonce: bigint; batchId: string; raw: Hex; request: TxRequest; replacesHash: Hex | null },
  ): Promise<void> {
    await tx.$executeRaw`
      INSERT INTO mint_transactions (hash, chain_id, from_address, nonce, batch_id, raw, gas_limit, max_fee_per_gas, max_priority_fee_per_gas, replaces_hash)
      VALUES (${row.hash}, ${chainId}::int, ${from}, ${row.nonce.toString()}::bigint, ${row.batchId}::uuid, ${row.raw},
              ${row.request.gas.toString()}::numeric, ${row.request.maxFeePerGas.toString()}::numeric,
              ${row.request.maxPriorityFeePerGas.toString()}::numeric, ${row.replacesHash})`;
  }

  async function byHash(hash: Hex): Promise<JournalTx> {
    const rows = (await db.$queryRawUnsafe(`SELECT ${COLUMNS} FROM mint_transactions WHERE hash = $1`, hash)) as Row[];
    return toTx(rows[0] as Row);
  }

  const manager: NonceManager = {
    async recover() {
      const latest = BigInt(await client.getTransactionCount({ address: account.address, blockTag: 'latest' }));
      const pending = BigInt(await client.getTransactionCount({ address: account.address, blockTag: 'pending' }));
      const open = (
        (await db.$queryRawUnsafe(
          `SELECT ${COLUMNS} FROM mint_transactions WHERE chain_id = $1 AND from_address = $2 AND status IN ('signed', 'sent') ORDER BY nonce, created_at`,
          chainId,
          from,
        )) as Row[]
      ).map(toTx);
      for (const tx of open) {
        const receipt = await client.getTransactionReceipt({ hash: tx.hash }).catch(() => null);
        if (receipt) {
          await manager.markMined(tx.hash, { status: receipt.status, blockNumber: receipt.blockNumber, gasUsed: receipt.gasUsed });
        } else if (tx.nonce >= latest) {
          // The chain may never have seen it (killed between journal and broadcast): send it now, in nonce order.
          await manager.broadcast(tx);
        }
        // nonce < latest without a receipt: another journaled transaction of that nonce was mined (its own row
        // finds its receipt in this loop or in the batch's monitor, which marks this one replaced).
      }
      const journal = await db.$queryRaw<Array<{ max: string | null }>>`
        SELECT max(nonce)::text AS max FROM mint_transactions WHERE chain_id = ${chainId}::int AND from_address = ${from}`;
      const journalNext = journal[0]?.max == null ? 0n : BigInt(journal[0].max) + 1n;
      next = pending > journalNext ? pending : journalNext;
      log.info(
        { latest: latest.toString(), pending: pending.toString(), next: next.toString(), reopened: open.length },
        'nonce journal recovered',
      );
    },

    signNew(batchId, itemIds, request) {
      return serial(async () => {
        if (next < 0n) throw new Error('nonce manager not recovered');
        const nonce = next;
        const { raw, hash } = await sign(nonce, request);
        await db.$transaction(async (tx) => {
          await insert(tx, { hash, nonce, batchId, raw, request, replacesHash: null });
          await setMintBatchStatusInTx(tx, batchId, 'sent');
          await markMintItemsSubmittedInTx(tx, { itemIds, txHash: hash });
        });
        next = nonce + 1n;
        return byHash(hash);
      });
    },

    async signReplacement(previous, fees) {
      const parsed = parseTransaction(previous.raw);
      const request: TxRequest = { to: parsed.to as Hex, data: (parsed.data ?? '0x') as Hex, gas: previous.gasLimit, ...fees };
      const { raw, hash } = await sign(previous.nonce, request);
      await insert(db, { hash, nonce: previous.nonce, batchId: previous.batchId, raw, request, replacesHash: previous.hash });
      return byHash(hash);
    },

    async ofBatch(batchId) {
      return (
        (await db.$queryRawUnsafe(
          `SELECT ${COLUMNS} FROM mint_transactions WHERE batch_id = $1::uuid ORDER BY created_at`,
          batchId,
        )) as Row[]
      ).map(toTx);
    },

    async markSent(hash) {
      await db.$executeRaw`UPDATE mint_transactions SET status = 'sent', sent_at = COALESCE(sent_at, now()) WHERE hash = ${hash} AND status = 'signed'`;
    },

    async markMined(hash, receipt) {
      await db.$transaction(async (tx) => {
        const rows = await tx.$queryRaw<Array<{ nonce: string }>>`
          UPDATE mint_transactions SET status = ${receipt.status === 'success' ? 'mined' : 'reverted'},
            block_number = ${receipt.blockNumber.toString()}::bigint, gas_used = ${receipt.gasUsed.toString()}::numeric,
            sent_at = COALESCE(sent_at, now())
          WHERE hash = ${hash} RETURNING nonce::text`;
        const nonce = rows[0]?.nonce;
        if (nonce !== undefined) {
          await tx.$executeRaw`
            UPDATE mint_transactions SET status = 'replaced'
            WHERE chain_id = ${chainId}::int AND from_address = ${from} AND nonce = ${nonce}::bigint AND hash <> ${hash} AND status IN ('signed', 'sent')`;
        }
      });
    },

    async markNonceLost(nonce) {
      await db.$executeRaw`
        UPDATE mint_transactions SET status = 'replaced'
        WHERE chain_id = ${chainId}::int AND from_address = ${from} AND nonce = ${nonce.toString()}::bigint AND status IN ('signed', 'sent')`;
    },

    async broadcast(tx) {
      try {
        await client.sendRawTransaction({ serializedTransaction: tx.raw });
      } catch (error) {
        if (!isAlreadyKnown(error)) throw error;
      }
    },

    peek: () => next,
  };
  return manager;
}
