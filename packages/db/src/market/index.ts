/**
 * The marketplace's services (apps/marketplace): listings of EIP-712 signed orders (accepted, soft-cancelled, read
 * and searched, each decided against the chain indexer's tables at read time), the tokens behind them, the activity
 * feed and the reconciler that closes listings for good once the chain facts are final.
 */
export * from './activity.ts';
export * from './listings.ts';
export * from './live.ts';
export * from './tokens.ts';
