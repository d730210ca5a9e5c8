/** The history of published game-data versions, newest first. */
import type { DiffSummary } from '@harvest/shared/gamedata';
import type { Db } from '../index.ts';

/** One version in the history (without its content). */
export interface GameDataVersionInfo {
  version: number;
  contentHash: string;
  author: string;
  message: string;
  /** For a rollback: the version whose content this one restores. */
  restoresVersion: number | null;
  /** True on the version servers use. */
  active: boolean;
  createdAt: Date;
  publishedAt: Date | null;
  /** Added/removed/changed counts per section against the previous version. */
  summary: DiffSummary;
}

/** Options of {@link listGameDataVersions}. */
export interface ListGameDataVersionsOptions {
  /** Most versions returned (1-1000, default 50). */
  limit?: number;
  /** Only versions below this one (paging: pass the last version of the previous page). */
  before?: number;
}

/** The history, newest first. */
export async function listGameDataVersions(db: Db, options: ListGameDataVersionsOptions = {}): Promise<GameDataVersionInfo[]> {
  const limit = Math.min(Math.max(Math.trunc(options.limit ?? 50), 1), 1000);
  const rows = await db.gameDataVersion.findMany({
    where: options.before === undefined ? {} : { version: { lt: options.before } },
    orderBy: { version: 'desc' },
    take: limit,
    select: {
      version: true,
      contentHash: true,
      author: true,
      message: true,
      restoresVersion: true,
      active: true,
      createdAt: true,
      publishedAt: true,
      summary: true,
    },
  });
  return rows.map((row) => ({ ...row, active: row.active === true, summary: (row.summary ?? {}) as DiffSummary }));
}
