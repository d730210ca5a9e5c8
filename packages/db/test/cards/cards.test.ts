import { randomUUID } from 'node:crypto';
import {
  burnCard,
  CARD_MOVES,
  type CardMove,
  type CardState,
  canMove,
  confirmMint,
  failMint,
  joinMatch,
  leaveMatch,
  requestMint,
  revertBurn,
  revertMint,
  transferCard,
} from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { beforeAll, describe, expect, it } from 'vitest';

const database = useTestDatabase();
const STATES: CardState[] = ['in_game', 'in_match', 'minting', 'on_chain', 'consumed', 'burned'];
let tokens = 1000;

beforeAll(async () => {
  await database.db.cardDefinition.create({ data: { id: 'test-card', contentVersion: 1 } });
});

/** A card of a new player in `state`, with the columns that state requires. */
async function cardIn(state: CardState) {
  const player = await database.db.player.create({ data: {} });
  const tokenId = state === 'on_chain' || state === 'burned' || state === 'minting' ? String(tokens++) : null;
  const card = await database.db.cardInstance.create({
    data: {
      definitionId: 'test-card',
      ownerId: state === 'burned' ? null : player.id,
      origin: 'starter',
      contentVersion: 1,
      state,
      tokenId,
      matchId: state === 'in_match' ? randomUUID() : null,
    },
  });
  return { playerId: player.id, card };
}

/** Runs `move` on a card the way its caller would. */
function run(move: CardMove, c: Awaited<ReturnType<typeof cardIn>>) {
  const db = database.db;
  const tokenId = c.card.tokenId?.toString() ?? String(tokens++);
  switch (move) {
    case 'join_match':
      return joinMatch(db, { playerId: c.playerId, matchId: randomUUID(), cardIds: [c.card.id] });
    case 'leave_match':
      return leaveMatch(db, { matchId: c.card.matchId ?? randomUUID() }).then((moved) => {
        if (moved.length === 0) throw Object.assign(new Error('nothing moved'), { code: 'ILLEGAL_CARD_TRANSITION' });
        return moved;
      });
    case 'request_mint':
      return requestMint(db, { playerId: c.playerId, cardId: c.card.id });
    case 'confirm_mint':
      return confirmMint(db, { cardId: c.card.id, tokenId, ownerId: c.playerId });
    case 'fail_mint':
      return failMint(db, { cardId: c.card.id });
    case 'transfer':
      return c.card.tokenId ? transferCard(db, { tokenId, ownerId: null }) : Promise.reject({ code: 'ILLEGAL_CARD_TRANSITION' });
    case 'burn':
      return c.card.tokenId ? burnCard(db, { tokenId }) : Promise.reject({ code: 'ILLEGAL_CARD_TRANSITION' });
    case 'revert_mint':
      return c.card.tokenId ? revertMint(db, { tokenId, ownerId: c.playerId }) : Promise.reject({ code: 'ILLEGAL_CARD_TRANSITION' });
    case 'revert_burn':
      return c.card.tokenId ? revertBurn(db, { tokenId, ownerId: c.playerId }) : Promise.reject({ code: 'ILLEGAL_CARD_TRANSITION' });
    case 'consume':
      return database.db.$transaction(async (tx) => {
        const { consumeCardsInTx, lockCardsInTx } = await import('@harvest/db');
        return consumeCardsInTx(tx, await lockCardsInTx(tx, [c.card.id], { ownerId: c.playerId }));
      });
  }
}

describe('card state machine', () => {
  const cases = STATES.flatMap((state) => (Object.keys(CARD_MOVES) as CardMove[]).map((move) => [state, move] as const));
  it.each(cases)('from %s, %s is allowed exactly when the table says so', async (state, move) => {
    const c = await cardIn(state);
    const outcome = await run(move, c).then(
      () => 'moved',
      (error: { code?: string }) => error.code,
    );
    const after = await database.db.cardInstance.findUniqueOrThrow({ where: { id: c.card.id } });
    if (canMove(state, move)) {
      expect(outcome).toBe('moved');
      expect(after.state).toBe(CARD_MOVES[move].to);
    } else {
      // Player-scoped moves cannot even see a burned card (it has no owner any more).
      const playerScoped = ['join_match', 'request_mint', 'consume'].includes(move);
      expect(outcome).toBe(state === 'burned' && playerScoped ? 'CARD_NOT_FOUND' : 'ILLEGAL_CARD_TRANSITION');
      expect(after.state).toBe(state);
      expect(after.updatedAt).toEqual(c.card.updatedAt);
    }
  });

  it('a match locks its cards and gives them all back when it ends; another player’s card is CARD_NOT_FOUND', async () => {
    const a = await cardIn('in_game');
    const b = await database.db.cardInstance.create({
      data: { definitionId: 'test-card', ownerId: a.playerId, origin: 'starter', contentVersion: 1 },
    });
    const stranger = await cardIn('in_game');
    const matchId = randomUUID();
    await expect(joinMatch(database.db, { playerId: a.playerId, matchId, cardIds: [a.card.id, stranger.card.id] })).rejects.toMatchObject({
      code: 'CARD_NOT_FOUND',
    });
    expect((await database.db.cardInstance.findUniqueOrThrow({ where: { id: a.card.id } })).state).toBe('in_game');
    const joined = await joinMatch(database.db, { playerId: a.playerId, matchId, cardIds: [b.id, a.card.id] });
    expect(joined.map((c) => [c.state, c.matchId])).toEqual([
      ['in_match', matchId],
      ['in_match', matchId],
    ]);
    await expect(requestMint(database.db, { playerId: a.playerId, cardId: a.card.id })).rejects.toMatchObject({
      code: 'ILLEGAL_CARD_TRANSITION',
      details: { cardId: a.card.id, state: 'in_match', move: 'request_mint' },
    });
    expect((await leaveMatch(database.db, { matchId })).map((c) => [c.state, c.matchId])).toEqual([
      ['in_game', null],
      ['in_game', null],
    ]);
    expect(await leaveMatch(database.db, { matchId })).toEqual([]);
  });

  it('row locks serialise racing moves: 10 parallel mint requests of one card, exactly one wins', async () => {
    const c = await cardIn('in_game');
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => requestMint(database.db, { playerId: c.playerId, cardId: c.card.id })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'ILLEGAL_CARD_TRANSITION' });
  });

  it('on chain: the holder changes with transfers (null for an unlinked wallet), a burn clears it, reorgs run moves backwards', async () => {
    const c = await cardIn('in_game');
    await requestMint(database.db, { playerId: c.playerId, cardId: c.card.id });
    const minted = await confirmMint(database.db, { cardId: c.card.id, tokenId: '424242', ownerId: c.playerId });
    expect(minted).toMatchObject({ state: 'on_chain', tokenId: '424242', ownerId: c.playerId });
    expect(await transferCard(database.db, { tokenId: '424242', ownerId: null })).toMatchObject({ state: 'on_chain', ownerId: null });
    expect(await burnCard(database.db, { tokenId: '424242' })).toMatchObject({ state: 'burned', ownerId: null });
    expect(await revertBurn(database.db, { tokenId: '424242', ownerId: null })).toMatchObject({ state: 'on_chain' });
    expect(await revertMint(database.db, { tokenId: '424242', ownerId: c.playerId })).toMatchObject({
      state: 'minting',
      ownerId: c.playerId,
    });
    expect(await failMint(database.db, { cardId: c.card.id })).toMatchObject({ state: 'in_game', tokenId: null });
    await expect(transferCard(database.db, { tokenId: '999999999', ownerId: null })).rejects.toMatchObject({ code: 'CARD_NOT_FOUND' });
    await expect(transferCard(database.db, { tokenId: '-1', ownerId: null })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});
