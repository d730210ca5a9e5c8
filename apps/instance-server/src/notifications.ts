/**
 * Hub notifications from bus events: one consumer group for every instance-server process (each event is handled
 * by one of them), which finds the players an event concerns and pushes a `notification` to wherever their hub
 * connection is (a Redis channel per player, so the process handling the event need not hold the connection).
 *
 * Delivery is at least once: the push happens inside the consumer's transaction but cannot roll back with it, so a
 * transaction that fails after the push is retried and the player may see the notification twice (clients key
 * them by `eventId`). A player who is offline misses the push; the state it reports is in the inventory anyway.
 */
import type { EventHandlers } from '@harvest/bus';
import { type DbTransaction, resolvePlayer } from '@harvest/db';
import { isAppError } from '@harvest/shared/errors';
import type { HubNotification } from './services.ts';

/** Pushes a message to a player's hub connection, wherever it is. */
export type Notify = (playerId: string, message: HubNotification) => Promise<void>;

/** The player whose linked wallet `address` is, or null (a wallet outside the game). */
async function playerOfWallet(tx: DbTransaction, address: string): Promise<string | null> {
  return resolvePlayer(tx, { address }).catch((error: unknown) => {
    if (isAppError(error) && error.code === 'NOT_FOUND') return null;
    throw error;
  });
}

/** The handlers of the notifications consumer: a card minted (to its owner), a sale (to seller and buyer). */
export function notificationHandlers(notify: Notify): EventHandlers {
  return {
    card_minted: async (tx, event) => {
      const rows = await tx.$queryRaw<Array<{ owner_id: string | null }>>`
        SELECT owner_id::text FROM card_instances WHERE id = ${event.payload.cardId}::uuid`;
      const owner = rows[0]?.owner_id;
      if (!owner) return;
      const { cardId, chainId, contract, tokenId, txHash } = event.payload;
      await notify(owner, { type: 'notification', kind: 'card_minted', eventId: event.id, cardId, chainId, contract, tokenId, txHash });
    },
    sale: async (tx, event) => {
      const { chainId, contract, tokenId, price, currency, txHash, seller, buyer } = event.payload;
      const common = { type: 'notification', eventId: event.id, chainId, contract, tokenId, price, currency, txHash };
      const [sellerId, buyerId] = [await playerOfWallet(tx, seller), await playerOfWallet(tx, buyer)];
      if (sellerId) await notify(sellerId, { ...common, kind: 'sold', buyer });
      if (buyerId) await notify(buyerId, { ...common, kind: 'bought', seller });
    },
  };
}
