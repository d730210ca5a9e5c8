/**
 * Matches: created by matchmaking with both decks checked and their cards locked `in_match` in one transaction,
 * run by a battle room (which claims the match, starts it and writes every accepted action before it answers), and
 * settled exactly once: the match row, the transcript, the revealed seed, rewards through the ledger, rating
 * changes (ranked), the cards back to `in_game` and the events, in one transaction under the match's row lock.
 * Whoever settles (the room at the end, or the sweeper for a match whose process died) replays the stored actions
 * with the pure engine, so the result always follows from the transcript.
 *
 * Match life: `pending` (created, cards locked) -> `in_progress` (room started the battle, `game_started`) ->
 * `finished` (settled, `game_ended`), or `pending` -> `aborted` (never started: cards released, nothing paid).
 *
 * Lock order (with the ledger's): the match row, then player rows in id order (rewards), rating rows in player id
 * order, then card rows in id order (release).
 *
 * The transactions of a match's life (create, claim, begin, settle) run on plain node-postgres
 * ({@link runPipelined}), not Prisma: they run on the event loop of the instance server that also serves every
 * battle room, where a CPU profile of the load test (apps/instance-server/bench/load.ts) at 3,000 clients put
 * Prisma's bookkeeping at about 6% of the process and its round trips at as much again. Same statements, same
 * transaction; only the client differs.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { AppError } from '@harvest/shared/errors';
import type { GameData } from '@harvest/shared/gamedata';
import {
  applyBattle,
  type BattleAction,
  type BattleConfig,
  type BattleEndReason,
  type BattleSetup,
  type BattleState,
  type BattleTranscript,
  type CardDef,
  checkDeck,
  commitSeed,
  createBattle,
  createRngFromSeed,
  type DeckEntry,
  GLICKO2_DEFAULT,
  type Glicko2Rating,
  rateGame,
  replayBattle,
  type TranscriptEntry,
} from '@harvest/shared/rules';
import { joinLockedCardsInTx, type LockedCard, leaveMatchInTx, lockCardsInTx } from '../cards/index.ts';
import { getGameDataVersion, type LoadedGameData } from '../gamedata/active.ts';
import type { Db, DbTransaction } from '../index.ts';
import { changeGoldInTx, changeItemsInTx, isUuid, type LedgerContext, lockPlayerInTx } from '../ledger/index.ts';
import { appendEvents, type OutboxEventInput } from '../outbox/index.ts';
import { type PipelinedOptions, pipelinedReader, runPipelined, type StatementIssuer, sequentialIssuer } from '../sql/index.ts';

/**
 * Runs `run` in one pipelined transaction, through the raw interface the `…InTx` helpers take (and its issuer, for
 * statements sent without waiting), and commits when it returns (as Prisma's `$transaction` did); a throw rolls
 * everything back.
 */
function inTransaction<T>(db: Db, run: (tx: DbTransaction, issuer: StatementIssuer) => Promise<T>, options?: PipelinedOptions): Promise<T> {
  return runPipelined(
    db,
    async (pipe) => {
      const result = await run(pipe.raw, pipe.issuer);
      await pipe.commit();
      return result;
    },
    options,
  );
}

/** Matchmaking modes. Ratings change in ranked only. */
export const MATCH_MODES = ['ranked', 'casual', 'private'] as const;
/** A matchmaking mode. */
export type MatchMode = (typeof MATCH_MODES)[number];

/** How a settled match ended, as the `game_ended` event names it. */
export type GameEndReason = 'hero_died' | 'turn_limit' | 'concede' | 'timeout' | 'disconnect' | 'abandoned';

/** One seat of a match to create: the player and the saved deck they bring. */
export interface MatchSeatInput {
  playerId: string;
  deckId: string;
}

/** Input of {@link createMatch}. */
export interface CreateMatchInput {
  /** Chosen by the caller (matchmaking names the battle room after it); a new UUID by default. */
  matchId?: string;
  mode: MatchMode;
  region?: string | null;
  /** Seat 0 then seat 1. */
  seats: readonly [MatchSeatInput, MatchSeatInput];
  /** The game data the match is played with (its version is recorded). */
  content: Pick<LoadedGameData, 'version' | 'data' | 'rules'>;
  /** Battle tunables replacing the game data's (tests use short turn timers); stored in the setup, so replays agree. */
  battleOverrides?: Partial<Pick<BattleConfig, 'turnSeconds' | 'turnLimit'>>;
  /** The match seed (hex, 32 bytes by default from the OS generator). */
  seed?: string;
}

/** A created match. */
export interface CreatedMatch {
  matchId: string;
  seedCommitment: string;
  mode: MatchMode;
  playerIds: [string, string];
  contentVersion: number;
}

/** Definitions a deck can bring into play: its own and the tokens they summon (one level is all the data has). */
function setupCards(all: Readonly<Record<string, CardDef>>, defIds: Iterable<string>, sproutToken: string): Record<string, CardDef> {
  const out: Record<string, CardDef> = {};
  const add = (id: string) => {
    const def = all[id];
    if (def) out[id] = def;
  };
  for (const id of defIds) add(id);
  for (const def of Object.values({ ...out })) {
    if (def.kind === 'spell' && def.effect.type === 'summon') add(def.effect.token);
    if (def.kind === 'unit' && def.keywords.sprout) add(sproutToken);
  }
  return out;
}

interface DeckCardRow {
  card_id: string;
  definition_id: string;
}

/** Checks one player's deck against the deck rules with the cards as locked now; DECK_ILLEGAL names the player. */
async function lockDeckInTx(
  tx: DbTransaction,
  seat: MatchSeatInput,
  rules: LoadedGameData['rules'],
): Promise<{ rows: DeckCardRow[]; locked: LockedCard[] }> {
  const problem = (problems: Array<{ code: string; message: string }>) =>
    new AppError('DECK_ILLEGAL', `the deck of ${seat.playerId} cannot be played: ${problems[0]?.message ?? 'unknown'}`, {
      playerId: seat.playerId,
      deckId: seat.deckId,
      problems,
    });
  if (!isUuid(seat.deckId)) throw problem([{ code: 'DECK_NOT_FOUND', message: 'no such deck' }]);
  const rows = await tx.$queryRaw<DeckCardRow[]>`
    SELECT dc.card_id::text, c.definition_id FROM decks d
    JOIN deck_cards dc ON dc.deck_id = d.id JOIN card_instances c ON c.id = dc.card_id
    WHERE d.id = ${seat.deckId}::uuid AND d.player_id = ${seat.playerId}::uuid ORDER BY dc.position`;
  if (rows.length === 0) throw problem([{ code: 'DECK_NOT_FOUND', message: 'no such deck, or it is empty' }]);
  // Lock first, then judge: the owner and state checked are the ones the move will see.
  const locked = await lockCardsInTx(
    tx,
    rows.map((r) => r.card_id),
  );
  const byId = new Map(locked.map((c) => [c.id, c]));
  const entries: DeckEntry[] = rows.map((r) => {
    const card = byId.get(r.card_id);
    return { instanceId: r.card_id, def: r.definition_id, owner: card?.ownerId ?? '', state: card?.state ?? 'consumed' };
  });
  const check = checkDeck(entries, { playerId: seat.playerId, cards: rules.cards, rules: rules.deck });
  if (!check.ok) throw problem(check.violations);
  return { rows, locked };
}

/**
 * Creates a match: both decks checked (deck rules, cards owned and `in_game`) and their cards moved to `in_match`
 * atomically, the match row (`pending`, seed committed, the battle setup) and its seats, and `match_found`.
 * DECK_ILLEGAL (`details.playerId` says whose) leaves nothing changed; ALREADY_IN_MATCH when a player has a match
 * that has not ended.
 */
export async function createMatch(db: Db, input: CreateMatchInput): Promise<CreatedMatch> {
  const matchId = input.matchId ?? randomUUID();
  const seed = input.seed ?? randomBytes(32).toString('hex');
  const seedCommitment = commitSeed(seed);
  const [a, b] = input.seats;
  if (a.playerId === b.playerId) throw new AppError('VALIDATION_FAILED', 'a player cannot play themselves');
  const { rules } = input.content;
  const config: BattleConfig = { ...rules.battle, ...input.battleOverrides };
  await inTransaction(db, async (tx) => {
    // Player rows first (the ledger's lock order), which also serialises two matchmakers pairing the same player.
    for (const id of [a.playerId, b.playerId].sort()) await lockPlayerInTx(tx, id);
    const busy = await tx.$queryRaw<Array<{ player_id: string }>>`
      SELECT mp.player_id::text FROM match_players mp JOIN matches m ON m.id = mp.match_id
      WHERE mp.player_id = ANY(${[a.playerId, b.playerId]}::uuid[]) AND m.status IN ('pending', 'in_progress') LIMIT 1`;
    if (busy[0]) {
      throw new AppError('ALREADY_IN_MATCH', `player ${busy[0].player_id} is in a match`, { playerId: busy[0].player_id });
    }
    const locks = [await lockDeckInTx(tx, a, rules), await lockDeckInTx(tx, b, rules)] as const;
    const decks = [locks[0].rows, locks[1].rows] as const;
    const setup: BattleSetup = {
      config,
      cards: setupCards(
        rules.cards,
        [...decks[0], ...decks[1]].map((r) => r.definition_id),
        config.sproutToken,
      ),
      players: [
        { playerId: a.playerId, deck: decks[0].map((r) => ({ uid: r.card_id, def: r.definition_id })) },
        { playerId: b.playerId, deck: decks[1].map((r) => ({ uid: r.card_id, def: r.definition_id })) },
      ],
    };
    // Nothing below reads what another writes, and every card is locked and checked: the writes go out together and
    // PostgreSQL runs them in the order sent (the match row first: the seats and the cards refer to it), one round
    // trip instead of five (and no second lock of the decks' cards).
    await Promise.all([
      tx.$executeRaw`
        INSERT INTO matches (id, mode, status, seed_commitment, seed_secret, setup, region, content_version)
        VALUES (${matchId}::uuid, ${input.mode}, 'pending', ${seedCommitment}, ${seed}, ${JSON.stringify(setup)}::jsonb,
                ${input.region ?? null}, ${input.content.version}::int)`,
      tx.$executeRaw`
        INSERT INTO match_players (match_id, player_id, seat, deck_id) VALUES
          (${matchId}::uuid, ${a.playerId}::uuid, 0, ${a.deckId}::uuid), (${matchId}::uuid, ${b.playerId}::uuid, 1, ${b.deckId}::uuid)`,
      joinLockedCardsInTx(tx, locks[0].locked, { playerId: a.playerId, matchId }),
      joinLockedCardsInTx(tx, locks[1].locked, { playerId: b.playerId, matchId }),
      appendEvents(tx, [
        { type: 'match_found', key: matchId, payload: { matchId, mode: input.mode, playerIds: [a.playerId, b.playerId] } },
      ]),
    ]);
  });
  return { matchId, seedCommitment, mode: input.mode, playerIds: [a.playerId, b.playerId], contentVersion: input.content.version };
}

/** What a battle room needs to run a match. */
export interface MatchRecord {
  matchId: string;
  mode: MatchMode;
  status: 'pending' | 'in_progress' | 'finished' | 'aborted';
  seedCommitment: string;
  /** The seed while the match runs (kept inside the server). */
  seed: string;
  setup: BattleSetup;
  startedAtMs: number | null;
  contentVersion: number;
  /** Stored actions, in order (a room taking over a running match replays them). */
  actions: TranscriptEntry[];
}

interface MatchRow {
  id: string;
  mode: MatchMode;
  status: MatchRecord['status'];
  seed_commitment: string;
  seed_secret: string | null;
  seed: string | null;
  setup: BattleSetup;
  started_at_ms: bigint | null;
  content_version: number;
  room_id: string | null;
}

async function readActions(tx: Pick<DbTransaction, '$queryRaw'>, matchId: string): Promise<TranscriptEntry[]> {
  const rows = await tx.$queryRaw<Array<{ at_ms: bigint; action: BattleAction }>>`
    SELECT at_ms, action FROM match_actions WHERE match_id = ${matchId}::uuid ORDER BY seq`;
  return rows.map((r) => ({ at: Number(r.at_ms), action: r.action }));
}

function recordOf(row: MatchRow, actions: TranscriptEntry[]): MatchRecord {
  return {
    matchId: row.id,
    mode: row.mode,
    status: row.status,
    seedCommitment: row.seed_commitment,
    seed: row.seed_secret ?? row.seed ?? '',
    setup: row.setup,
    startedAtMs: row.started_at_ms === null ? null : Number(row.started_at_ms),
    contentVersion: row.content_version,
    actions,
  };
}

/**
 * Claims a match for a battle room: the first room to claim a `pending` or `in_progress` match owns it (the same
 * room may claim again); any other room gets MATCH_NOT_FOUND, as does a match that ended. Refreshes the heartbeat.
 */
export async function claimMatch(db: Db, input: { matchId: string; roomId: string }): Promise<MatchRecord> {
  if (!isUuid(input.matchId)) throw new AppError('MATCH_NOT_FOUND', 'no such match');
  return inTransaction(db, async (tx) => {
    const rows = await tx.$queryRaw<MatchRow[]>`
      UPDATE matches SET room_id = ${input.roomId}, heartbeat_at = now()
      WHERE id = ${input.matchId}::uuid AND status IN ('pending', 'in_progress')
        AND (room_id IS NULL OR room_id = ${input.roomId})
      RETURNING id::text, mode, status::text AS status, seed_commitment, seed_secret, seed, setup, started_at_ms, content_version, room_id`;
    const row = rows[0];
    if (!row) throw new AppError('MATCH_NOT_FOUND', 'no such match, or another room runs it', { matchId: input.matchId });
    return recordOf(row, await readActions(tx, input.matchId));
  });
}

/** Marks a claimed match as started at `startedAtMs` (the engine's clock) and appends `game_started`. Idempotent. */
export async function beginMatch(db: Db, input: { matchId: string; startedAtMs: number }): Promise<void> {
  await inTransaction(db, async (tx) => {
    const rows = await tx.$queryRaw<Array<{ seed_commitment: string; content_version: number }>>`
      UPDATE matches SET status = 'in_progress', started_at = ${new Date(input.startedAtMs)}, started_at_ms = ${input.startedAtMs}::bigint,
        heartbeat_at = now()
      WHERE id = ${input.matchId}::uuid AND status = 'pending' RETURNING seed_commitment, content_version`;
    const row = rows[0];
    if (!row) return;
    await appendEvents(tx, [
      {
        type: 'game_started',
        key: input.matchId,
        payload: { matchId: input.matchId, seedCommitment: row.seed_commitment, contentVersion: row.content_version },
        occurredAt: new Date(input.startedAtMs),
      },
    ]);
  });
}

/** One accepted action to store. */
export interface MatchActionRow {
  matchId: string;
  seq: number;
  at: number;
  action: BattleAction;
}

/**
 * Stores accepted actions (any matches, one statement: the room's writer groups them). A duplicate (match, seq) is
 * a bug in the caller and fails the whole statement.
 */
export async function appendMatchActions(db: Pick<Db, '$executeRaw'>, rows: readonly MatchActionRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.$executeRaw`
    INSERT INTO match_actions (match_id, seq, at_ms, action)
    SELECT * FROM unnest(${rows.map((r) => r.matchId)}::uuid[], ${rows.map((r) => r.seq)}::int[],
                         ${rows.map((r) => r.at)}::bigint[], ${rows.map((r) => JSON.stringify(r.action))}::jsonb[])`;
}

/** Refreshes the heartbeat of matches a live room runs (so the sweeper leaves them alone). */
export async function heartbeatMatches(db: Pick<Db, '$executeRaw'>, matchIds: readonly string[]): Promise<void> {
  if (matchIds.length === 0) return;
  await db.$executeRaw`
    UPDATE matches SET heartbeat_at = now() WHERE id = ANY(${[...matchIds]}::uuid[]) AND status IN ('pending', 'in_progress')`;
}

/** A settled match as stored. */
export interface MatchResult {
  matchId: string;
  mode: MatchMode;
  status: 'finished' | 'aborted';
  winnerId: string | null;
  reason: GameEndReason | null;
  turns: number;
  /** Revealed seed (null for an aborted match, whose seed is never needed). */
  seed: string | null;
  seedCommitment: string;
  players: Array<{
    playerId: string;
    seat: number;
    result: 'win' | 'loss' | 'draw' | null;
    goldReward: number;
    ratingBefore: number | null;
    ratingAfter: number | null;
  }>;
}

/** Outcome of a settlement call: `settled` is false when it had been settled before (nothing was written). */
export interface Settlement {
  settled: boolean;
  result: MatchResult;
}

function endReason(reason: BattleEndReason, lastAction: BattleAction | undefined): GameEndReason {
  switch (reason) {
    case 'hero_destroyed':
      return 'hero_died';
    case 'turn_limit':
      return 'turn_limit';
    case 'concede':
      return 'concede';
    case 'timeouts':
      return 'timeout';
    case 'forfeit':
      return lastAction?.type === 'forfeit' && lastAction.reason === 'abandoned' ? 'abandoned' : 'disconnect';
  }
}

async function readResultInTx(tx: Pick<DbTransaction, '$queryRaw'>, matchId: string): Promise<MatchResult> {
  const rows = await tx.$queryRaw<
    Array<{
      mode: MatchMode;
      status: string;
      winner_id: string | null;
      result: { reason?: GameEndReason; turns?: number } | null;
      seed: string | null;
      seed_commitment: string;
      players: MatchResult['players'];
    }>
  >`
    SELECT m.mode, m.status::text AS status, m.winner_id::text, m.result, m.seed, m.seed_commitment,
      (SELECT json_agg(json_build_object('playerId', mp.player_id, 'seat', mp.seat, 'result', mp.result,
          'goldReward', coalesce(mp.gold_reward, 0), 'ratingBefore', mp.rating_before, 'ratingAfter', mp.rating_after) ORDER BY mp.seat)
       FROM match_players mp WHERE mp.match_id = m.id) AS players
    FROM matches m WHERE m.id = ${matchId}::uuid`;
  const row = rows[0];
  if (!row) throw new AppError('MATCH_NOT_FOUND', 'no such match', { matchId });
  return {
    matchId,
    mode: row.mode,
    status: row.status === 'aborted' ? 'aborted' : 'finished',
    winnerId: row.winner_id,
    reason: row.result?.reason ?? null,
    turns: row.result?.turns ?? 0,
    seed: row.seed,
    seedCommitment: row.seed_commitment,
    players: row.players ?? [],
  };
}

/** The stored result of a settled match; MATCH_NOT_FOUND for an unknown id. */
export function getMatchResult(db: Db, matchId: string): Promise<MatchResult> {
  if (!isUuid(matchId)) throw new AppError('MATCH_NOT_FOUND', 'no such match');
  return readResultInTx(db, matchId);
}

interface LockedMatch extends MatchRow {
  heartbeat_at: Date | null;
}

async function lockMatchInTx(tx: DbTransaction, matchId: string): Promise<LockedMatch> {
  if (!isUuid(matchId)) throw new AppError('MATCH_NOT_FOUND', 'no such match');
  const rows = await tx.$queryRaw<LockedMatch[]>`
    SELECT id::text, mode, status::text AS status, seed_commitment, seed_secret, seed, setup, started_at_ms, content_version,
      room_id, heartbeat_at
    FROM matches WHERE id = ${matchId}::uuid FOR UPDATE`;
  const row = rows[0];
  if (!row) throw new AppError('MATCH_NOT_FOUND', 'no such match', { matchId });
  return row;
}

function transcriptOf(row: LockedMatch, actions: TranscriptEntry[]): BattleTranscript {
  return { v: 1, seed: row.seed_secret ?? '', startedAt: Number(row.started_at_ms ?? 0), setup: row.setup, actions };
}

/** Replays the stored transcript; a refused stored action is a server bug (never settled on). */
function replayStored(row: LockedMatch, actions: TranscriptEntry[]): BattleState {
  const replay = replayBattle(transcriptOf(row, actions));
  if (!replay.ok) {
    throw new AppError('INTERNAL', `match ${row.id}: stored action ${replay.index} does not replay (${replay.violation.code})`);
  }
  return replay.state;
}

type Grant = GameData['rewards']['match']['winner'];

/**
 * Issues a grant's gold and items (with ledger rows) without waiting between them. Every statement is sent before
 * this returns (a grant's item quantities are positive, so an item list sends one), as the pipelined issuer needs.
 */
function issueGrantInTx(tx: DbTransaction, issuer: StatementIssuer, context: LedgerContext, grant: Grant): Promise<unknown>[] {
  const sent: Promise<unknown>[] = [issuer.issue(() => changeGoldInTx(tx, context, grant.gold))];
  if (grant.items.length > 0) {
    sent.push(
      issuer.issue(() =>
        changeItemsInTx(
          tx,
          context,
          grant.items.map((i) => ({ itemId: i.item, delta: i.quantity })),
        ),
      ),
    );
  }
  return sent;
}

/**
 * Pays one player's reward (gold and items with ledger rows); returns the gold paid. Its statements, and the
 * first-win check, are issued before the first await (so two players' payments travel together); only the bonus
 * waits for the check that decides it.
 */
async function payInTx(
  tx: DbTransaction,
  issuer: StatementIssuer,
  playerId: string,
  matchId: string,
  grant: Grant,
  firstWin: Grant | null,
  events: OutboxEventInput[],
): Promise<number> {
  const context = { playerId, reason: 'match_reward', referenceId: matchId, events };
  const paid = issueGrantInTx(tx, issuer, context, grant);
  // Under the player's row lock (taken by the settlement before this), so two settlements cannot both pay today's
  // bonus.
  const bonusesToday = firstWin
    ? issuer.issue(
        () => tx.$queryRaw<Array<{ n: number }>>`
          SELECT count(*)::int AS n FROM ledger_entries
          WHERE player_id = ${playerId}::uuid AND reason = 'match_first_win'
            AND created_at >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`,
      )
    : null;
  const [, bonuses] = await Promise.all([Promise.all(paid), bonusesToday]);
  if (!firstWin || (bonuses?.[0]?.n ?? 0) > 0) return grant.gold;
  await Promise.all(issueGrantInTx(tx, issuer, { playerId, reason: 'match_first_win', referenceId: matchId, events }, firstWin));
  return grant.gold + firstWin.gold;
}

/** Creates missing rating rows and locks both players' (in id order); the two statements are issued together. */
async function lockRatingsInTx(
  tx: DbTransaction,
  issuer: StatementIssuer,
  playerIds: readonly string[],
): Promise<Map<string, Glicko2Rating>> {
  const ids = [...playerIds].sort();
  const created = issuer.issue(
    () => tx.$executeRaw`
      INSERT INTO player_ratings (player_id, rating, rd, volatility)
      SELECT id, ${GLICKO2_DEFAULT.rating}, ${GLICKO2_DEFAULT.rd}, ${GLICKO2_DEFAULT.volatility} FROM unnest(${ids}::uuid[]) AS id
      ON CONFLICT (player_id) DO NOTHING`,
  );
  const locked = issuer.issue(
    () => tx.$queryRaw<Array<{ player_id: string; rating: number; rd: number; volatility: number }>>`
      SELECT player_id::text, rating, rd, volatility FROM player_ratings WHERE player_id = ANY(${ids}::uuid[]) ORDER BY player_id FOR UPDATE`,
  );
  const [, rows] = await Promise.all([created, locked]);
  return new Map(rows.map((r) => [r.player_id, { rating: r.rating, rd: r.rd, volatility: r.volatility }]));
}

/**
 * Settles a locked match whose replayed state has an outcome (the shared last step of both settlement paths).
 *
 * Statements that do not read one another's answers are issued together: on a pipelined transaction they travel in
 * one round trip and PostgreSQL runs them in the order sent (on a Prisma transaction the issuer sends them one after
 * another). A settlement took about twenty round trips one statement at a time, holding the match's and both
 * players' row locks throughout; with settleMatch's first (lock and actions) it is now three before COMMIT (four
 * with a first-win bonus). Returns once the last writes are issued, with `written` settling when they have run, so
 * the caller can send what follows in the same round trip.
 */
async function settleLockedInTx(
  tx: DbTransaction,
  issuer: StatementIssuer,
  row: LockedMatch,
  actions: TranscriptEntry[],
  content: LoadedGameData,
): Promise<{ written: Promise<unknown> }> {
  const state = replayStored(row, actions);
  const outcome = state.outcome;
  if (outcome === null) throw new AppError('MATCH_NOT_OVER', 'the match has not ended', { matchId: row.id });
  const players = [row.setup.players[0].playerId, row.setup.players[1].playerId] as const;
  const winnerId = outcome.winner === null ? null : players[outcome.winner];
  const reason = endReason(outcome.reason, actions[actions.length - 1]?.action);
  const events: OutboxEventInput[] = [];
  const rewards = content.data.rewards.match;
  const results: Array<'win' | 'loss' | 'draw'> = players.map((_, seat) =>
    outcome.winner === null ? 'draw' : outcome.winner === seat ? 'win' : 'loss',
  );
  // Both player rows locked in id order (the ledger's lock order) before either changes, then the rewards, then (ranked)
  // the ratings: all issued before the first await.
  const order = ([0, 1] as const).slice().sort((x, y) => (players[x] < players[y] ? -1 : 1));
  const locked = order.map((seat) => issuer.issue(() => lockPlayerInTx(tx, players[seat])));
  const payments = order.map((seat) => {
    const result = results[seat];
    const grant = result === 'win' ? rewards.winner : result === 'loss' ? rewards.loser : rewards.draw;
    return payInTx(tx, issuer, players[seat], row.id, grant, result === 'win' ? rewards.firstWinOfDay : null, events);
  });
  const ratingsLocked = row.mode === 'ranked' ? lockRatingsInTx(tx, issuer, players) : null;
  const [, paid, current] = await Promise.all([Promise.all(locked), Promise.all(payments), ratingsLocked]);
  const gold = new Map(order.map((seat, i) => [players[seat], paid[i] ?? 0]));
  const writes: Array<Promise<unknown>> = [];
  const ratings = new Map<string, { before: number; after: Glicko2Rating }>();
  if (current) {
    const a = current.get(players[0]) ?? GLICKO2_DEFAULT;
    const b = current.get(players[1]) ?? GLICKO2_DEFAULT;
    const scoreA = outcome.winner === null ? 0.5 : outcome.winner === 0 ? 1 : 0;
    const [na, nb] = rateGame(a, b, scoreA);
    ratings.set(players[0], { before: a.rating, after: na });
    ratings.set(players[1], { before: b.rating, after: nb });
    for (const seat of [0, 1] as const) {
      const id = players[seat];
      const next = seat === 0 ? na : nb;
      const r = results[seat];
      writes.push(
        issuer.issue(
          () => tx.$executeRaw`
        UPDATE player_ratings SET rating = ${next.rating}, rd = ${next.rd}, volatility = ${next.volatility}, games = games + 1,
          wins = wins + ${r === 'win' ? 1 : 0}::int, losses = losses + ${r === 'loss' ? 1 : 0}::int, draws = draws + ${r === 'draw' ? 1 : 0}::int,
          updated_at = now()
        WHERE player_id = ${id}::uuid`,
        ),
      );
    }
  }
  for (const seat of [0, 1] as const) {
    const id = players[seat];
    const rating = ratings.get(id);
    writes.push(
      issuer.issue(
        () => tx.$executeRaw`
      UPDATE match_players SET result = ${results[seat]}, gold_reward = ${gold.get(id) ?? 0}::int,
        rating_before = ${rating?.before ?? null}, rating_after = ${rating?.after.rating ?? null}, rd_after = ${rating?.after.rd ?? null}
      WHERE match_id = ${row.id}::uuid AND player_id = ${id}::uuid`,
      ),
    );
  }
  const transcript = transcriptOf(row, actions);
  const result = { winner: outcome.winner, reason, engineReason: outcome.reason, turns: outcome.turn };
  writes.push(
    issuer.issue(
      () => tx.$executeRaw`
    UPDATE matches SET status = 'finished', winner_id = ${winnerId}::uuid, seed = ${row.seed_secret}, result = ${JSON.stringify(result)}::jsonb,
      transcript = ${JSON.stringify(transcript)}::jsonb, ended_at = now()
    WHERE id = ${row.id}::uuid`,
    ),
  );
  writes.push(issuer.issue(() => leaveMatchInTx(tx, { matchId: row.id })));
  events.push({
    type: 'game_ended',
    key: row.id,
    payload: { matchId: row.id, winnerId, reason, seed: row.seed_secret ?? '', turns: outcome.turn },
  });
  writes.push(issuer.issue(() => appendEvents(tx, events)));
  return { written: Promise.all(writes) };
}

const SETTLE_TIMEOUT_MS = 20_000;

/**
 * Settles a match that ended in its room, exactly once: replays the stored actions, and (first call only) writes the
 * result, transcript and revealed seed, pays rewards, changes ratings (ranked), releases the cards and appends
 * `game_ended`. A later call returns the stored result with `settled: false`. MATCH_NOT_OVER when the stored
 * transcript does not end the match.
 */
export async function settleMatch(db: Db, matchId: string): Promise<Settlement> {
  const version = await matchContentVersion(db, matchId);
  const content = await getGameDataVersion(db, version);
  return inTransaction(
    db,
    async (tx, issuer) => {
      // The actions are read with the lock (behind it, in one round trip); unused when the match is over already.
      const [row, actions] = await Promise.all([
        issuer.issue(() => lockMatchInTx(tx, matchId)),
        issuer.issue(() => readActions(tx, matchId)),
      ]);
      if (row.status === 'finished' || row.status === 'aborted') return { settled: false, result: await readResultInTx(tx, matchId) };
      if (row.status !== 'in_progress') throw new AppError('MATCH_NOT_OVER', 'the match has not started', { matchId });
      const { written } = await settleLockedInTx(tx, issuer, row, actions, content);
      // The result is read behind the settlement's writes, in the same round trip.
      const [, result] = await Promise.all([written, issuer.issue(() => readResultInTx(tx, matchId))]);
      return { settled: true, result };
    },
    { connectTimeoutMs: SETTLE_TIMEOUT_MS },
  );
}

async function matchContentVersion(db: Db, matchId: string): Promise<number> {
  if (!isUuid(matchId)) throw new AppError('MATCH_NOT_FOUND', 'no such match');
  const rows = await pipelinedReader(db).$queryRaw<Array<{ content_version: number }>>`
    SELECT content_version FROM matches WHERE id = ${matchId}::uuid`;
  const row = rows[0];
  if (!row) throw new AppError('MATCH_NOT_FOUND', 'no such match', { matchId });
  return row.content_version;
}

/**
 * Finishes a match whose room is gone (its process died), by the rules and exactly once:
 * - `pending` (the battle never started): aborted, cards released, nothing paid, no rating change;
 * - `in_progress`: the stored transcript is replayed, then the room clock is played forward with nobody at the
 *   table: each turn runs out its timer and is timed out (`timeout` at `turnStartedAt + turnSeconds`), until the
 *   rules end the match (three timeouts in a row forfeit, or the turn limit); those actions are stored, and the match
 *   is settled like any other (rewards, ratings, cards, `game_ended`), so the transcript still replays to the result.
 * A match that is over already, or whose heartbeat is newer than `staleBefore` (its room came back), is left alone
 * and reported with `settled: false`.
 */
export async function settleAbandonedMatch(db: Db, input: { matchId: string; staleBefore: Date }): Promise<Settlement> {
  const version = await matchContentVersion(db, input.matchId);
  const content = await getGameDataVersion(db, version);
  return db.$transaction(
    async (tx) => {
      const row = await lockMatchInTx(tx, input.matchId);
      const fresh = row.heartbeat_at !== null && row.heartbeat_at >= input.staleBefore;
      if (row.status === 'finished' || row.status === 'aborted' || fresh) {
        return { settled: false, result: await readResultInTx(tx, input.matchId) };
      }
      if (row.status === 'pending') {
        await tx.$executeRaw`UPDATE matches SET status = 'aborted', ended_at = now() WHERE id = ${row.id}::uuid`;
        await leaveMatchInTx(tx, { matchId: row.id });
        return { settled: true, result: await readResultInTx(tx, input.matchId) };
      }
      const actions = await readActions(tx, row.id);
      // Replay with a live generator, so the timeouts below draw where the stored transcript left the stream.
      const rng = createRngFromSeed(row.seed_secret ?? '');
      const started = createBattle(row.setup, { rng, now: Number(row.started_at_ms) });
      if (!started.ok) throw new AppError('INTERNAL', `match ${row.id}: the stored setup does not start`);
      let state = started.state;
      for (const entry of actions) {
        const step = applyBattle(state, entry.action, { rng, now: entry.at });
        if (!step.ok) throw new AppError('INTERNAL', `match ${row.id}: a stored action does not replay (${step.violation.code})`);
        state = step.state;
      }
      const added: MatchActionRow[] = [];
      while (state.outcome === null) {
        const at = state.turnStartedAt + state.config.turnSeconds * 1000;
        const action: BattleAction = { type: 'timeout', seat: state.active };
        const step = applyBattle(state, action, { rng, now: at });
        if (!step.ok) throw new AppError('INTERNAL', `timeout refused: ${step.violation.code}`);
        state = step.state;
        added.push({ matchId: row.id, seq: actions.length + added.length, at, action });
      }
      await appendMatchActions(tx, added);
      const entries = [...actions, ...added.map((a) => ({ at: a.at, action: a.action }))];
      await (await settleLockedInTx(tx, sequentialIssuer(), row, entries, content)).written;
      return { settled: true, result: await readResultInTx(tx, input.matchId) };
    },
    { timeout: SETTLE_TIMEOUT_MS, maxWait: SETTLE_TIMEOUT_MS },
  );
}

/** Matches that are not over and whose room has not beaten since `staleBefore` (or never did), oldest first. */
export async function findAbandonedMatches(db: Db, input: { staleBefore: Date; limit?: number }): Promise<string[]> {
  const rows = await db.$queryRaw<Array<{ id: string }>>`
    SELECT id::text FROM matches
    WHERE status IN ('pending', 'in_progress') AND coalesce(heartbeat_at, created_at) < ${input.staleBefore}
    ORDER BY coalesce(heartbeat_at, created_at) LIMIT ${input.limit ?? 100}`;
  return rows.map((r) => r.id);
}

/** The match a player is seated in and that has not ended (to send them back to it), or null. */
export async function findActiveMatch(
  db: Pick<Db, '$queryRaw'>,
  playerId: string,
): Promise<{ matchId: string; roomId: string | null; status: 'pending' | 'in_progress' } | null> {
  if (!isUuid(playerId)) return null;
  const rows = await db.$queryRaw<Array<{ id: string; room_id: string | null; status: 'pending' | 'in_progress' }>>`
    SELECT m.id::text, m.room_id, m.status::text AS status FROM match_players mp JOIN matches m ON m.id = mp.match_id
    WHERE mp.player_id = ${playerId}::uuid AND m.status IN ('pending', 'in_progress') ORDER BY m.created_at DESC LIMIT 1`;
  const row = rows[0];
  return row ? { matchId: row.id, roomId: row.room_id, status: row.status } : null;
}

/** A player's ranked rating (the default for a player who never played ranked). */
export async function getRating(db: Pick<Db, '$queryRaw'>, playerId: string): Promise<Glicko2Rating & { games: number }> {
  if (!isUuid(playerId)) return { ...GLICKO2_DEFAULT, games: 0 };
  const rows = await db.$queryRaw<Array<{ rating: number; rd: number; volatility: number; games: number }>>`
    SELECT rating, rd, volatility, games FROM player_ratings WHERE player_id = ${playerId}::uuid`;
  return rows[0] ?? { ...GLICKO2_DEFAULT, games: 0 };
}

/** One row of the ranked ladder. */
export interface LadderEntry {
  rank: number;
  playerId: string;
  displayName: string | null;
  rating: number;
  rd: number;
  games: number;
  wins: number;
  losses: number;
  draws: number;
}

/** Options of {@link listLadder}. */
export interface ListLadderOptions {
  limit: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string | undefined;
  /** Only these players (a friends ladder: the caller and their friends). */
  playerIds?: readonly string[] | undefined;
}

/**
 * The ranked ladder: players with at least one ranked game, best rating first (ties by player id), a page at a
 * time (keyset on rating and id, so a page is stable while ratings change elsewhere). Ranks count from the top of
 * the list asked for (global, or the friends ladder). CURSOR_INVALID for a cursor this function did not issue.
 */
export async function listLadder(
  db: Pick<Db, '$queryRaw'>,
  options: ListLadderOptions,
): Promise<{ entries: LadderEntry[]; nextCursor: string | null }> {
  let after: { rating: number; playerId: string; rank: number } | null = null;
  if (options.cursor !== undefined) {
    const m = /^([0-9]+):(-?[0-9.e+-]+):([0-9a-f-]{36})$/i.exec(Buffer.from(options.cursor, 'base64url').toString('utf8'));
    if (!m || !isUuid(m[3] as string) || !Number.isFinite(Number(m[2]))) throw new AppError('CURSOR_INVALID', 'not a ladder cursor');
    after = { rank: Number(m[1]), rating: Number(m[2]), playerId: (m[3] as string).toLowerCase() };
  }
  const only = options.playerIds ? options.playerIds.filter(isUuid) : null;
  const rows = await db.$queryRaw<
    Array<{
      player_id: string;
      display_name: string | null;
      rating: number;
      rd: number;
      games: number;
      wins: number;
      losses: number;
      draws: number;
    }>
  >`
    SELECT r.player_id::text, p.display_name, r.rating, r.rd, r.games, r.wins, r.losses, r.draws
    FROM player_ratings r JOIN players p ON p.id = r.player_id
    WHERE r.games > 0
      AND (${only}::uuid[] IS NULL OR r.player_id = ANY(${only}::uuid[]))
      AND (${after?.rating ?? null}::float8 IS NULL OR (r.rating, r.player_id) < (${after?.rating ?? 0}::float8, ${after?.playerId ?? null}::uuid))
    ORDER BY r.rating DESC, r.player_id DESC LIMIT ${options.limit + 1}`;
  const page = rows.slice(0, options.limit);
  const start = after?.rank ?? 0;
  const entries = page.map((r, i) => ({
    rank: start + i + 1,
    playerId: r.player_id,
    displayName: r.display_name,
    rating: r.rating,
    rd: r.rd,
    games: r.games,
    wins: r.wins,
    losses: r.losses,
    draws: r.draws,
  }));
  const last = entries[entries.length - 1];
  const nextCursor =
    rows.length > options.limit && last ? Buffer.from(`${last.rank}:${last.rating}:${last.playerId}`).toString('base64url') : null;
  return { entries, nextCursor };
}
