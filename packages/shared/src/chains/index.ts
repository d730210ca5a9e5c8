/** An EVM chain the game knows how to talk to. */
export interface ChainInfo {
  id: number;
  name: string;
  /** Blocks after which the indexer and minter treat a block as final. */
  confirmations: number;
  /** A local development chain whose dev accounts are unlocked. */
  local: boolean;
}

/**
 * Chains the backend supports. An id outside this list is a configuration error: a typo in CHAIN_ID must not
 * silently point the minter or the indexer at an unexpected network.
 */
export const CHAINS: Readonly<Record<number, ChainInfo>> = {
  31337: { id: 31337, name: 'Hardhat (local)', confirmations: 1, local: true },
  1: { id: 1, name: 'Ethereum', confirmations: 12, local: false },
  11155111: { id: 11155111, name: 'Sepolia', confirmations: 6, local: false },
  137: { id: 137, name: 'Polygon PoS', confirmations: 64, local: false },
  80002: { id: 80002, name: 'Polygon Amoy', confirmations: 32, local: false },
  8453: { id: 8453, name: 'Base', confirmations: 12, local: false },
  84532: { id: 84532, name: 'Base Sepolia', confirmations: 6, local: false },
  13371: { id: 13371, name: 'Immutable zkEVM', confirmations: 6, local: false },
  13473: { id: 13473, name: 'Immutable zkEVM testnet', confirmations: 6, local: false },
};

/** The chain with this id, or undefined when the backend does not support it. */
export function getChain(id: number): ChainInfo | undefined {
  return CHAINS[id];
}

/** Ids of every supported chain, for error messages. */
export function supportedChainIds(): number[] {
  return Object.keys(CHAINS).map(Number);
}
