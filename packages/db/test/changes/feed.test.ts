/**
 * The inventory change feed against real PostgreSQL: the migration's triggers notify what the inventory shows (and
 * nothing for a rolled-back transaction), and the feed reports a lost connection, reconnects and listens again.
 */
import { CHANGE_FEED_APPLICATION_NAME, type PlayerChangeFeed, startPlayerChangeFeed } from '@harvest/db';
import { useTestDatabase } from '@harvest/db/testing';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const database = useTestDatabase();
let other: pg.Client;
let feed: PlayerChangeFeed | undefined;

beforeAll(async () => {
  // Writes come from a separate plain connection: another process as far as the feed can tell.
  other = new pg.Client({ connectionString: database.url });
  await other.connect();
  await database.db.cardDefinition.create({ data: { id: 'feed-test-card', contentVersion: 1 } });
});
afterAll(async () => {
  await other?.end();
});
afterEach(async () => {
  await feed?.close();
  feed = undefined;
});

/** A started feed recording what it reports, resolved once it listens. */
async function listen() {
  const log = { changes: [] as string[], resets: 0, readies: 0 };
  feed = startPlayerChangeFeed(
    database.db,
    {
      onChange: (id) => log.changes.push(id),
      onReset: () => log.resets++,
      onReady: () => log.readies++,
    },
    { retryMs: 20, maxRetryMs: 100 },
  );
  await until(() => log.readies === 1);
  return log;
}

async function until(condition: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The id of the one row a statement returned. */
const idOf = (result: pg.QueryResult<{ id: string }>) => {
  const row = result.rows[0];
  if (!row) throw new Error('no row returned');
  return row.id;
};
const newPlayerId = async () => idOf(await other.query<{ id: string }>('INSERT INTO players DEFAULT VALUES RETURNING id::text'));

/** A marker change that is always notified: after it arrives, everything committed before it has arrived too. */
async function settle(log: { changes: string[] }): Promise<void> {
  const marker = await newPlayerId();
  await other.query('UPDATE players SET gold = gold + 1 WHERE id = $1', [marker]);
  await until(() => log.changes.includes(marker));
  log.changes.splice(log.changes.indexOf(marker), 1);
}

describe('inventory change feed', () => {
  it('reports gold and starter-grant changes, not other player columns, and nothing for a rollback', async () => {
    const log = await listen();
    const player = await newPlayerId();
    await settle(log);
    expect(log.changes).toEqual([]);

    await other.query('UPDATE players SET avatar_id = $2, is_guest = true WHERE id = $1', [player, 'fox']);
    await other.query('BEGIN');
    await other.query('UPDATE players SET gold = 500 WHERE id = $1', [player]);
    await other.query('ROLLBACK');
    await settle(log);
    expect(log.changes).toEqual([]);

    const started = performance.now();
    await other.query('UPDATE players SET gold = 10 WHERE id = $1', [player]);
    await until(() => log.changes.includes(player));
    // Delivered after commit, within a bound well under a second (the figure in apps/game-api/README.md).
    expect(performance.now() - started).toBeLessThan(1_000);
    log.changes.length = 0;

    await other.query('UPDATE players SET starter_granted_at = now() WHERE id = $1', [player]);
    await settle(log);
    expect(log.changes).toEqual([player]);
  });

  it('reports resources and cards (insert, update, delete), one notification per player per transaction', async () => {
    const log = await listen();
    const [a, b] = [await newPlayerId(), await newPlayerId()];
    await other.query("INSERT INTO resources (player_id, item_id, quantity) VALUES ($1, 'wheat', 5)", [a]);
    await settle(log);
    expect(log.changes).toEqual([a]);
    log.changes.length = 0;

    // Three rows of one player in one transaction: NOTIFY folds identical payloads.
    await other.query('BEGIN');
    await other.query("UPDATE resources SET quantity = 4 WHERE player_id = $1 AND item_id = 'wheat'", [a]);
    await other.query("INSERT INTO resources (player_id, item_id, quantity) VALUES ($1, 'wood', 1), ($1, 'stone', 2)", [a]);
    await other.query('COMMIT');
    await settle(log);
    expect(log.changes).toEqual([a]);
    log.changes.length = 0;

    await other.query("DELETE FROM resources WHERE player_id = $1 AND item_id = 'wood'", [a]);
    await settle(log);
    expect(log.changes).toEqual([a]);
    log.changes.length = 0;

    const card = idOf(
      await other.query<{ id: string }>(
        "INSERT INTO card_instances (definition_id, owner_id, origin, content_version) VALUES ('feed-test-card', $1, 'reward', 1) RETURNING id::text",
        [a],
      ),
    );
    await settle(log);
    expect(log.changes).toEqual([a]);
    log.changes.length = 0;

    await other.query("UPDATE card_instances SET state = 'minting' WHERE id = $1", [card]);
    await settle(log);
    expect(log.changes).toEqual([a]);
    log.changes.length = 0;

    // A card that changes hands: both inventories changed.
    await other.query('UPDATE card_instances SET owner_id = $2 WHERE id = $1', [card, b]);
    await settle(log);
    expect(log.changes.sort()).toEqual([a, b].sort());
    log.changes.length = 0;

    // To nobody (a wallet no player linked), then deleted: the last owner each time.
    await other.query("UPDATE card_instances SET owner_id = NULL, state = 'on_chain', token_id = 7 WHERE id = $1", [card]);
    await settle(log);
    expect(log.changes).toEqual([b]);
    log.changes.length = 0;
    await other.query('UPDATE card_instances SET owner_id = $2 WHERE id = $1', [card, a]);
    await other.query('DELETE FROM card_instances WHERE id = $1', [card]);
    await settle(log);
    expect(log.changes).toEqual([a, a]);
  });

  it('reports a killed connection as a reset, reconnects with LISTEN again and reports changes after that', async () => {
    const log = await listen();
    expect(feed?.listening).toBe(true);
    const killed = await other.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1',
      [CHANGE_FEED_APPLICATION_NAME],
    );
    expect(killed.rowCount).toBe(1);
    await until(() => log.resets === 1);
    await until(() => log.readies === 2);
    expect(feed?.listening).toBe(true);
    const player = await newPlayerId();
    await other.query('UPDATE players SET gold = 1 WHERE id = $1', [player]);
    await until(() => log.changes.includes(player));
    expect(log.resets).toBe(1);
  });

  it('close() stops it: no listener is left and nothing is reported', async () => {
    const log = await listen();
    await feed?.close();
    expect(feed?.listening).toBe(false);
    // The backend exits shortly after the connection closes.
    const listeners = async () =>
      (
        await other.query('SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1', [
          CHANGE_FEED_APPLICATION_NAME,
        ])
      ).rowCount;
    let left = await listeners();
    for (let i = 0; i < 100 && left !== 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      left = await listeners();
    }
    expect(left).toBe(0);
    const player = await newPlayerId();
    await other.query('UPDATE players SET gold = 1 WHERE id = $1', [player]);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(log).toEqual({ changes: [], resets: 0, readies: 1 });
  });
});
