/**
 * Minting: mint requests (game-api), the pipeline's writes (the minter, later the indexer), token ids, and the
 * NFT metadata of cards and parcels.
 */
export * from './metadata.ts';
export * from './pipeline.ts';
export * from './requests.ts';
export * from './token-ids.ts';
