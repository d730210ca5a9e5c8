/** What the web front end needs to talk to the chain: chain id, contracts, the EIP-712 domain and types, currencies. */
import { MARKETPLACE_ORDER_TYPES } from '@harvest/shared/abi';
import { getChain } from '@harvest/shared/chains';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CANCEL_LISTING_TYPES } from '../../chain.ts';
import type { MarketDeps } from '../deps.ts';

/** GET /api/config. */
export async function configRoutes(app: FastifyInstance, deps: MarketDeps): Promise<void> {
  const api = app.withTypeProvider<ZodTypeProvider>();
  const body = {
    chainId: deps.chain.chainId,
    chainName: getChain(deps.chain.chainId)?.name ?? `chain ${deps.chain.chainId}`,
    contracts: { marketplace: deps.chain.marketplace, cards: deps.chain.cards, land: deps.chain.land },
    domain: deps.chain.domain,
    orderTypes: MARKETPLACE_ORDER_TYPES,
    cancelTypes: CANCEL_LISTING_TYPES,
    currencies: ['0x0000000000000000000000000000000000000000', ...deps.policy.currencies],
    maxOrderSeconds: deps.policy.maxOrderSeconds,
  };
  api.get(
    '/api/config',
    {
      schema: {
        tags: ['config'],
        summary: 'Chain, contracts and EIP-712 shapes the web front end signs with',
        response: { 200: z.object({}).passthrough() },
      },
    },
    async () => body,
  );
}
