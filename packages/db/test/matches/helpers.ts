/** Match fixtures shared by the matches tests and the settlement bench (bench/settle.ts). */
import {
  appendMatchActions,
  beginMatch,
  type CreatedMatch,
  claimMatch,
  createDeck,
  createMatch,
  type Db,
  ensureStarterGrant,
  type LoadedGameData,
} from '@harvest/db';
import { applyBattle, chooseGreedyAction, createBattle, createRngFromSeed, viewBattle } from '@harvest/shared/rules';

/** A new player with the starter grant and a deck of it. */
export async function newPlayer(db: Db, content: LoadedGameData): Promise<{ id: string; deckId: string; cardIds: string[] }> {
  const player = await db.player.create({ data: {} });
  const grant = await ensureStarterGrant(db, player.id);
  const cardIds = grant.granted ? grant.cardIds : [];
  const deck = await createDeck(db, { playerId: player.id, name: 'starter', cardIds, content });
  return { id: player.id, deckId: deck.id, cardIds };
}

/** Plays the match to its end with the greedy AI, storing every action like a room would; returns the action count. */
export async function playOut(db: Db, matchId: string, seed: string): Promise<number> {
  const record = await claimMatch(db, { matchId, roomId: 'room-test' });
  const rng = createRngFromSeed(seed);
  let now = 1_800_000_000_000;
  const started = createBattle(record.setup, { rng, now });
  if (!started.ok) throw new Error(started.violation.message);
  await beginMatch(db, { matchId, startedAtMs: now });
  let state = started.state;
  const rows = [];
  for (let seq = 0; state.outcome === null; seq++) {
    now += 500;
    const action = chooseGreedyAction(viewBattle(state, state.active), state.cards);
    const step = applyBattle(state, action, { rng, now });
    if (!step.ok) throw new Error(step.violation.code);
    state = step.state;
    rows.push({ matchId, seq, at: now, action });
  }
  await appendMatchActions(db, rows);
  return rows.length;
}

/** A ranked match of two players' starter decks (from {@link newPlayer}). */
export function rankedMatch(
  db: Db,
  content: LoadedGameData,
  a: { id: string; deckId: string },
  b: { id: string; deckId: string },
  seed: string,
): Promise<CreatedMatch> {
  return createMatch(db, {
    mode: 'ranked',
    seats: [
      { playerId: a.id, deckId: a.deckId },
      { playerId: b.id, deckId: b.deckId },
    ],
    content,
    seed,
  });
}
