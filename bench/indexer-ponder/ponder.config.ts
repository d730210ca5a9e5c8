// Ponder indexing HarvestCards on the bench's local chain (bench/indexer-backfill.ts writes the environment).
// ponder 1.0.0 on npm has the `networks` / `transport` configuration shape.
import { createConfig } from 'ponder';
import { http } from 'viem';
import { harvestCardsAbi } from '../../packages/shared/src/abi/generated/harvest-cards.ts';

export default createConfig({
  database: { kind: 'postgres', connectionString: process.env.DATABASE_URL as string },
  networks: { local: { chainId: 31337, transport: http(process.env.PONDER_RPC_URL as string) } },
  contracts: {
    HarvestCards: {
      network: 'local',
      abi: harvestCardsAbi,
      address: process.env.PONDER_CARDS_ADDRESS as `0x${string}`,
      startBlock: Number(process.env.PONDER_START_BLOCK),
    },
  },
});
