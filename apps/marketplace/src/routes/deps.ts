/** What the marketplace routes are built from (app.ts wires it; tests build it over real services). */
import type { TokenVerifier } from '@harvest/auth';
import type { Db } from '@harvest/db';
import type { MarketChain } from '../chain.ts';
import type { OrderPolicy } from '../orders.ts';
import type { SearchCache } from '../search-cache.ts';

export interface MarketDeps {
  db: Db;
  chain: MarketChain;
  policy: OrderPolicy;
  /** The clock, in epoch milliseconds. */
  now: () => number;
  /** Verifies game-api access tokens ("my items"). */
  verifier: TokenVerifier;
  /** Where game-api answers (SIWE sign-in is forwarded there). */
  gameApiUrl: string;
  /** Requests per minute per client IP. */
  rateLimits: { read: number; write: number };
  /** Shares search answers between requests (none: every search reads the database). */
  searchCache?: SearchCache;
}

/** The current unix second of the deps' clock. */
export const nowSeconds = (deps: Pick<MarketDeps, 'now'>): bigint => BigInt(Math.floor(deps.now() / 1000));

/** The collections of the deps' chain, lower case (as packages/db stores addresses). */
export const collectionsOf = (deps: Pick<MarketDeps, 'chain'>) => ({
  cards: deps.chain.cards.toLowerCase(),
  land: deps.chain.land.toLowerCase(),
});
