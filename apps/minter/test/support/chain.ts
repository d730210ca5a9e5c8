/** The shared local-chain test helper (contracts/testing/local-chain.ts). */
export * from '@harvest/contracts/testing';
