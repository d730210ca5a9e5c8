/**
 * Who plays whom: a pure function of the queue and the time, so the matchmaker's choices are testable.
 *
 * Ranked: a ticket accepts opponents whose rating lies within its window, which widens linearly with waiting time
 * from `baseWindow` to `maxWindow` over `widenMs` (GAME.md: ±100 growing to ±400 over 30 s); two tickets pair when
 * each accepts the other. Casual: first come, first served. Both prefer the same region: players of different
 * regions pair only once both have waited `regionRelaxMs`. Oldest tickets choose first; a ranked ticket takes the
 * closest rating it accepts (same region first).
 */

/** A queued player. */
export interface Ticket {
  playerId: string;
  rating: number;
  region: string;
  /** Epoch ms the player queued. */
  enqueuedAt: number;
}

/** Matching parameters. */
export interface PairingOptions {
  ranked: boolean;
  baseWindow: number;
  maxWindow: number;
  widenMs: number;
  regionRelaxMs: number;
}

/** GAME.md's starting values. */
export const DEFAULT_PAIRING: Omit<PairingOptions, 'ranked'> = { baseWindow: 100, maxWindow: 400, widenMs: 30_000, regionRelaxMs: 10_000 };

/** The rating window of a ticket at `now`. */
export function ratingWindow(ticket: Ticket, now: number, options: Omit<PairingOptions, 'ranked'>): number {
  const waited = Math.max(0, now - ticket.enqueuedAt);
  const share = Math.min(1, waited / options.widenMs);
  return options.baseWindow + (options.maxWindow - options.baseWindow) * share;
}

/** Pairs tickets; each ticket appears in at most one pair, the older ticket first. */
export function pairTickets(tickets: readonly Ticket[], now: number, options: PairingOptions): Array<[Ticket, Ticket]> {
  const queue = tickets.slice().sort((a, b) => a.enqueuedAt - b.enqueuedAt || (a.playerId < b.playerId ? -1 : 1));
  const taken = new Set<string>();
  const pairs: Array<[Ticket, Ticket]> = [];
  for (const a of queue) {
    if (taken.has(a.playerId)) continue;
    let best: { ticket: Ticket; cost: number } | null = null;
    for (const b of queue) {
      if (b === a || taken.has(b.playerId) || b.playerId === a.playerId) continue;
      const sameRegion = a.region === b.region;
      if (!sameRegion && Math.min(now - a.enqueuedAt, now - b.enqueuedAt) < options.regionRelaxMs) continue;
      const gap = Math.abs(a.rating - b.rating);
      if (options.ranked && (gap > ratingWindow(a, now, options) || gap > ratingWindow(b, now, options))) continue;
      // Same region first; then (ranked) the closest rating, (casual) the longest wait, which is queue order.
      const cost = (sameRegion ? 0 : 1_000_000) + (options.ranked ? gap : 0);
      if (best === null || cost < best.cost) best = { ticket: b, cost };
    }
    if (best) {
      taken.add(a.playerId);
      taken.add(best.ticket.playerId);
      pairs.push([a, best.ticket]);
    }
  }
  return pairs;
}
