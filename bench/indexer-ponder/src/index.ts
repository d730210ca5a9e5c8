import { ponder } from 'ponder:registry';
import { token, transferEvent } from 'ponder:schema';

ponder.on('HarvestCards:Transfer', async ({ event, context }) => {
  await context.db.insert(transferEvent).values({
    id: event.id,
    from: event.args.from,
    to: event.args.to,
    tokenId: event.args.tokenId,
    blockNumber: event.block.number,
  });
  await context.db
    .insert(token)
    .values({ id: event.args.tokenId, owner: event.args.to, sinceBlock: event.block.number })
    .onConflictDoUpdate({ owner: event.args.to, sinceBlock: event.block.number });
});
