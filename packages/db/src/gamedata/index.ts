/**
 * Game data in the database: publishing versions (publish, rollback, first seed), the derived tables, and reading
 * the active version on servers with an in-process cache reloaded by `gamedata_published`. See README.md here.
 */
export {
  type GetActiveGameDataOptions,
  gameDataReloadHandler,
  getActiveGameData,
  getGameDataVersion,
  type LoadedGameData,
} from './active.ts';
export { checkPublishableContent } from './content.ts';
export { type DerivedChanges, syncDerivedTablesInTx } from './derived.ts';
export {
  GAMEDATA_EVENT_KEY,
  GAMEDATA_LOCK,
  lockGameDataInTx,
  type PublishedGameData,
  type PublishGameDataInput,
  publishGameData,
  type RollbackGameDataInput,
  readGameDataHeadInTx,
  rollbackGameData,
  type SeedGameDataInput,
  type SeedGameDataResult,
  seedGameData,
  storeReleaseInTx,
} from './publish.ts';
export { type GameDataVersionInfo, type ListGameDataVersionsOptions, listGameDataVersions } from './versions.ts';
