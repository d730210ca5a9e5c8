/**
 * Publishing and rolling back game data against real PostgreSQL: versions, the active flag, the derived tables, the
 * outbox event, refusals that write nothing, and failures in the middle of a publish that leave nothing behind.
 * The tests in this file run in order on one database (each builds on the history the previous ones left).
 */
import { publishGameData, rollbackGameData } from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import { AppError } from '@harvest/shared/errors';
import { contentHash, verifyRelease } from '@harvest/shared/gamedata';
import { describe, expect, it } from 'vitest';
import { counts, heliosAttack, publishedEvents, repoGameData, withCard, withExtraCard } from './helpers.ts';

const database = useTestDatabase();

/** Expects `promise` to reject with an AppError of `code`. */
async function expectAppError(promise: Promise<unknown>, code: string): Promise<AppError> {
  const error = await promise.then(
    () => {
      throw new Error(`expected ${code}, but it succeeded`);
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
  return error as AppError;
}

describe('publishGameData', () => {
  it('publishes version 1: the version row, the derived tables and the gamedata_published event', async () => {
    const { db } = database;
    const data = repoGameData();
    const result = await publishGameData(db, { content: data, author: 'fern', message: 'launch' });
    expect(result).toMatchObject({ version: 1, contentHash: contentHash(data), parent: null, restoresVersion: null, author: 'fern' });
    expect(result.summary.cards?.added).toBe(data.cards.length);

    const row = await db.gameDataVersion.findUniqueOrThrow({ where: { version: 1 } });
    expect(row).toMatchObject({ contentHash: contentHash(data), author: 'fern', message: 'launch', active: true, restoresVersion: null });
    expect(row.publishedAt).toBeInstanceOf(Date);
    const stored = verifyRelease({ contentHash: row.contentHash, content: row.content });
    expect(stored.ok && contentHash(stored.content)).toBe(contentHash(data));

    expect(await publishedEvents(db)).toEqual([
      { key: 'gamedata', version: 1, payload: { version: 1, contentHash: contentHash(data), author: 'fern', message: 'launch' } },
    ]);

    expect(await db.cardDefinition.count({ where: { contentVersion: 1, retiredInVersion: null } })).toBe(data.cards.length);
    const helios = await db.cardDefinition.findUniqueOrThrow({ where: { id: 'helios-the-golden' } });
    expect(helios).toMatchObject({ name: 'Helios the Golden', rarity: 'legendary', element: 'sun', kind: 'unit', cost: 8, token: false });
    expect(helios.definition).toMatchObject({ attack: 7, health: 7, keywords: { swift: true, rally: true, shield: true } });
    expect(await db.recipe.count({ where: { contentVersion: 1 } })).toBe(data.recipes.length);
    const parcel = await db.landParcel.findUniqueOrThrow({ where: { id: 'meadow-2' } });
    expect(parcel).toMatchObject({ biome: 'meadow', plots: 6, fertility: 0.97, contentVersion: 1, ownerId: null });
    expect(parcel.perk).toMatchObject({ id: 'golden-wheat', kind: 'extra_yield', crop: 'wheat', amount: 2 });
  });

  it('refuses to publish the active content again (GAMEDATA_NO_CHANGES) and writes nothing', async () => {
    const { db } = database;
    const before = await counts(db);
    const error = await expectAppError(
      publishGameData(db, { content: repoGameData(), author: 'fern', message: 'again' }),
      'GAMEDATA_NO_CHANGES',
    );
    expect(error.category).toBe('conflict');
    expect(error.details).toMatchObject({ version: 1 });
    expect(await counts(db)).toEqual(before);
  });

  it('refuses content that does not validate, and a missing author or message, before writing anything', async () => {
    const { db } = database;
    const before = await counts(db);
    const broken = withCard(heliosAttack(6), 'helios-the-golden', (card) => ({ ...card, cost: 11 }));
    const invalid = await expectAppError(publishGameData(db, { content: broken, author: 'fern', message: 'm' }), 'GAMEDATA_INVALID');
    expect(JSON.stringify(invalid.details)).toContain('cost');
    const dangling = structuredClone(heliosAttack(6));
    (dangling.recipes[0] as { output: unknown }).output = { card: 'no-such-card' };
    const xref = await expectAppError(publishGameData(db, { content: dangling, author: 'fern', message: 'm' }), 'GAMEDATA_INVALID');
    expect(JSON.stringify(xref.details)).toContain('no-such-card');
    await expectAppError(publishGameData(db, { content: heliosAttack(6), author: ' ', message: 'm' }), 'VALIDATION_FAILED');
    await expectAppError(publishGameData(db, { content: heliosAttack(6), author: 'fern', message: '' }), 'VALIDATION_FAILED');
    expect(await counts(db)).toEqual(before);
  });

  it('publishes a change as version 2: only the changed definition moves to version 2, the active flag moves', async () => {
    const { db } = database;
    const result = await publishGameData(db, { content: heliosAttack(6), author: 'reed', message: 'nerf Helios' });
    expect(result).toMatchObject({ version: 2, parent: { version: 1 }, summary: { cards: { added: 0, removed: 0, changed: 1 } } });
    expect(result.diff.entries).toEqual([
      { section: 'cards', id: 'helios-the-golden', kind: 'changed', fields: [{ path: 'attack', before: 7, after: 6 }] },
    ]);
    expect(result.derived.cards).toEqual({ upserted: 1, retired: 0 });
    expect(result.derived.recipes.upserted + result.derived.parcels.upserted).toBe(0);

    const versions = await db.gameDataVersion.findMany({ orderBy: { version: 'asc' }, select: { version: true, active: true } });
    expect(versions).toEqual([
      { version: 1, active: null },
      { version: 2, active: true },
    ]);
    const helios = await db.cardDefinition.findUniqueOrThrow({ where: { id: 'helios-the-golden' } });
    expect(helios.contentVersion).toBe(2);
    expect(helios.definition).toMatchObject({ attack: 6 });
    expect(await db.cardDefinition.count({ where: { contentVersion: 2 } })).toBe(1);
    expect((await publishedEvents(db)).map((e) => (e.payload as { version: number }).version)).toEqual([1, 2]);
  });

  it('keeps a removed definition that cards still reference (retired, not deleted) and brings it back when restored', async () => {
    const { db } = database;
    await publishGameData(db, { content: withExtraCard(heliosAttack(6), 'test-sapling'), author: 'reed', message: 'add a sapling' });
    const player = await db.player.create({ data: {} });
    const card = await db.cardInstance.create({
      data: { definitionId: 'test-sapling', ownerId: player.id, origin: 'reward', contentVersion: 3 },
    });

    const removed = await publishGameData(db, { content: heliosAttack(6), author: 'reed', message: 'remove the sapling' });
    expect(removed.version).toBe(4);
    expect(removed.derived.cards).toEqual({ upserted: 0, retired: 1 });
    expect(await db.cardDefinition.findUniqueOrThrow({ where: { id: 'test-sapling' } })).toMatchObject({
      contentVersion: 3,
      retiredInVersion: 4,
    });
    expect(await db.cardInstance.findUniqueOrThrow({ where: { id: card.id } })).toMatchObject({ definitionId: 'test-sapling' });

    const restored = await rollbackGameData(db, { version: 3, author: 'reed', message: 'the sapling was fine' });
    expect(restored).toMatchObject({ version: 5, restoresVersion: 3, summary: { cards: { added: 1 } } });
    expect(await db.cardDefinition.findUniqueOrThrow({ where: { id: 'test-sapling' } })).toMatchObject({
      contentVersion: 5,
      retiredInVersion: null,
    });
  });
});

describe('rollbackGameData', () => {
  it('creates a new version whose content equals the restored one, records restores_version, and emits the event', async () => {
    const { db } = database;
    const v1 = await db.gameDataVersion.findUniqueOrThrow({ where: { version: 1 } });
    const result = await rollbackGameData(db, { version: 1, author: 'fern', message: 'back to launch' });
    expect(result).toMatchObject({ version: 6, contentHash: v1.contentHash, restoresVersion: 1, parent: { version: 5 } });
    const row = await db.gameDataVersion.findUniqueOrThrow({ where: { version: 6 } });
    expect(row).toMatchObject({ contentHash: v1.contentHash, restoresVersion: 1, active: true, author: 'fern' });
    expect(await db.gameDataVersion.count({ where: { active: true } })).toBe(1);
    expect((await db.cardDefinition.findUniqueOrThrow({ where: { id: 'helios-the-golden' } })).definition).toMatchObject({ attack: 7 });
    expect((await db.cardDefinition.findUniqueOrThrow({ where: { id: 'test-sapling' } })).retiredInVersion).toBe(6);
    expect((await publishedEvents(db)).at(-1)?.payload).toEqual({
      version: 6,
      contentHash: v1.contentHash,
      author: 'fern',
      message: 'back to launch',
    });
  });

  it('refuses an unknown version, the active content, and a missing message, writing nothing', async () => {
    const { db } = database;
    const before = await counts(db);
    await expectAppError(rollbackGameData(db, { version: 99, author: 'fern', message: 'm' }), 'GAMEDATA_VERSION_NOT_FOUND');
    await expectAppError(rollbackGameData(db, { version: 0, author: 'fern', message: 'm' }), 'GAMEDATA_VERSION_NOT_FOUND');
    await expectAppError(rollbackGameData(db, { version: 6, author: 'fern', message: 'm' }), 'GAMEDATA_NO_CHANGES');
    // Version 1 has the same content as the active version 6.
    await expectAppError(rollbackGameData(db, { version: 1, author: 'fern', message: 'm' }), 'GAMEDATA_NO_CHANGES');
    await expectAppError(rollbackGameData(db, { version: 2, author: 'fern', message: ' ' }), 'VALIDATION_FAILED');
    expect(await counts(db)).toEqual(before);
  });

  it('refuses a stored version whose content no longer matches its hash (GAMEDATA_CORRUPT)', async () => {
    const { db } = database;
    await db.$executeRaw`UPDATE game_data_versions SET content = jsonb_set(content, '{battle,heroHealth}', '99') WHERE version = 2`;
    try {
      await expectAppError(rollbackGameData(db, { version: 2, author: 'fern', message: 'm' }), 'GAMEDATA_CORRUPT');
    } finally {
      await db.$executeRaw`UPDATE game_data_versions SET content = jsonb_set(content, '{battle,heroHealth}', '25') WHERE version = 2`;
    }
    const v2 = await db.gameDataVersion.findUniqueOrThrow({ where: { version: 2 } });
    expect(verifyRelease({ contentHash: v2.contentHash, content: v2.content }).ok).toBe(true);
  });
});

describe('a failure in the middle of a publish', () => {
  it('a CHECK violation in the derived rows leaves no version, no derived change and no event', async () => {
    const { db } = database;
    // Stands for any constraint the derived rows can break after the version row is written.
    await db.$executeRawUnsafe(`ALTER TABLE card_definitions ADD CONSTRAINT test_no_forbidden_name CHECK (name <> 'Forbidden')`);
    try {
      const before = await counts(db);
      const renamed = withCard(heliosAttack(5), 'helios-the-golden', (card) => ({ ...card, name: 'Forbidden' }));
      await expect(publishGameData(db, { content: renamed, author: 'fern', message: 'rename' })).rejects.toThrow(
        /test_no_forbidden_name|23514/,
      );
      expect(await counts(db)).toEqual(before);
      expect(await db.gameDataVersion.findUnique({ where: { version: before.versions + 1 } })).toBeNull();
      const helios = await db.cardDefinition.findUniqueOrThrow({ where: { id: 'helios-the-golden' } });
      expect(helios).toMatchObject({ name: 'Helios the Golden', contentVersion: 6 });
    } finally {
      await db.$executeRawUnsafe('ALTER TABLE card_definitions DROP CONSTRAINT test_no_forbidden_name');
    }
  });

  it('a failure appending the event (the last step) leaves no version and no derived change', async () => {
    const { db } = database;
    await db.$executeRawUnsafe(`ALTER TABLE outbox ADD CONSTRAINT test_no_boom CHECK (payload->>'message' IS DISTINCT FROM 'boom')`);
    try {
      const before = await counts(db);
      await expect(publishGameData(db, { content: heliosAttack(5), author: 'fern', message: 'boom' })).rejects.toThrow(
        /test_no_boom|23514/,
      );
      expect(await counts(db)).toEqual(before);
      expect((await db.cardDefinition.findUniqueOrThrow({ where: { id: 'helios-the-golden' } })).definition).toMatchObject({ attack: 7 });
    } finally {
      await db.$executeRawUnsafe('ALTER TABLE outbox DROP CONSTRAINT test_no_boom');
    }
    // The same publish goes through once nothing is in the way.
    expect((await publishGameData(db, { content: heliosAttack(5), author: 'fern', message: 'boom' })).version).toBe(7);
  });
});
