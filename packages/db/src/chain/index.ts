/**
 * The chain indexer's store (apps/indexer): chain events keyed by (chain id, tx hash, log index), the ownership
 * mirror, checkpoints with a fenced writer epoch, reorg rollback, finality (outbox events, mint confirmation through
 * `confirmMintedTokens`), and the game holders that follow the mirror through the card state machine.
 */
export * from './events.ts';
export * from './holders.ts';
export * from './mints.ts';
export * from './queries.ts';
export * from './store.ts';
