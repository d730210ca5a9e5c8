/**
 * The derived tables: the parts of a published version that other tables reference or that other parts query
 * without loading the whole content (card definitions, recipes, land parcels).
 *
 * Each publish upserts every entry of the new content (set-based, one statement per table) and marks the entries it
 * no longer has as retired. Rows are never deleted: card instances reference definitions and recipes (foreign keys,
 * ON DELETE RESTRICT) and land parcels are NFTs with owners, and a delete could race with a craft still running on
 * the previous version. A rollback that brings an entry back clears its retirement.
 */
import type { GameData } from '@harvest/shared/gamedata';
import type { DbTransaction } from '../index.ts';

/** What a publish changed in the derived tables (rows inserted or updated, rows newly retired), per table. */
export interface DerivedChanges {
  cards: { upserted: number; retired: number };
  recipes: { upserted: number; retired: number };
  parcels: { upserted: number; retired: number };
}

/** The parcels with their perk resolved to its definition (what `land_parcels.perk` stores). */
function parcelRows(content: GameData): unknown[] {
  const perks = new Map(content.perks.map((perk) => [perk.id, perk]));
  return content.parcels.map((parcel) => ({ ...parcel, perk: parcel.perk === null ? null : (perks.get(parcel.perk) ?? null) }));
}

/**
 * Makes card_definitions, recipes and land_parcels describe `content`, published as `version`. Unchanged rows are
 * left alone (their content_version keeps naming the version that last changed them); changed, new and re-added
 * rows get `version`. Owner and token columns of parcels are never touched.
 */
export async function syncDerivedTablesInTx(tx: DbTransaction, content: GameData, version: number): Promise<DerivedChanges> {
  const cards = JSON.stringify(content.cards);
  const cardIds = content.cards.map((c) => c.id);
  const cardsUpserted = await tx.$executeRaw`
    INSERT INTO "card_definitions" AS d
      ("id", "content_version", "name", "rarity", "element", "kind", "cost", "token", "definition", "retired_in_version", "updated_at")
    SELECT c->>'id', ${version}, c->>'name', c->>'rarity', c->>'element', c->>'kind', (c->>'cost')::int,
           coalesce((c->>'token')::boolean, false), c, NULL, now()
    FROM jsonb_array_elements(${cards}::jsonb) AS c
    ON CONFLICT ("id") DO UPDATE SET
      "content_version" = EXCLUDED."content_version", "name" = EXCLUDED."name", "rarity" = EXCLUDED."rarity",
      "element" = EXCLUDED."element", "kind" = EXCLUDED."kind", "cost" = EXCLUDED."cost", "token" = EXCLUDED."token",
      "definition" = EXCLUDED."definition", "retired_in_version" = NULL, "updated_at" = now()
    WHERE d."definition" IS DISTINCT FROM EXCLUDED."definition" OR d."retired_in_version" IS NOT NULL`;
  const cardsRetired = await tx.$executeRaw`
    UPDATE "card_definitions" SET "retired_in_version" = ${version}, "updated_at" = now()
    WHERE "retired_in_version" IS NULL AND NOT ("id" = ANY(${cardIds}::text[]))`;

  const recipes = JSON.stringify(content.recipes);
  const recipeIds = content.recipes.map((r) => r.id);
  const recipesUpserted = await tx.$executeRaw`
    INSERT INTO "recipes" AS d ("id", "content_version", "name", "exclusive", "definition", "retired_in_version", "updated_at")
    SELECT r->>'id', ${version}, r->>'name', coalesce((r->>'exclusive')::boolean, false), r, NULL, now()
    FROM jsonb_array_elements(${recipes}::jsonb) AS r
    ON CONFLICT ("id") DO UPDATE SET
      "content_version" = EXCLUDED."content_version", "name" = EXCLUDED."name", "exclusive" = EXCLUDED."exclusive",
      "definition" = EXCLUDED."definition", "retired_in_version" = NULL, "updated_at" = now()
    WHERE d."definition" IS DISTINCT FROM EXCLUDED."definition" OR d."retired_in_version" IS NOT NULL`;
  const recipesRetired = await tx.$executeRaw`
    UPDATE "recipes" SET "retired_in_version" = ${version}, "updated_at" = now()
    WHERE "retired_in_version" IS NULL AND NOT ("id" = ANY(${recipeIds}::text[]))`;

  const parcels = JSON.stringify(parcelRows(content));
  const parcelIds = content.parcels.map((p) => p.id);
  const parcelsUpserted = await tx.$executeRaw`
    INSERT INTO "land_parcels" AS d ("id", "biome", "plots", "fertility", "perk", "content_version", "retired_in_version", "updated_at")
    SELECT p->>'id', p->>'biome', (p->>'plots')::int, (p->>'fertility')::double precision,
           nullif(p->'perk', 'null'::jsonb), ${version}, NULL, now()
    FROM jsonb_array_elements(${parcels}::jsonb) AS p
    ON CONFLICT ("id") DO UPDATE SET
      "biome" = EXCLUDED."biome", "plots" = EXCLUDED."plots", "fertility" = EXCLUDED."fertility", "perk" = EXCLUDED."perk",
      "content_version" = EXCLUDED."content_version", "retired_in_version" = NULL, "updated_at" = now()
    WHERE (d."biome", d."plots", d."fertility") IS DISTINCT FROM (EXCLUDED."biome", EXCLUDED."plots", EXCLUDED."fertility")
       OR d."perk" IS DISTINCT FROM EXCLUDED."perk" OR d."content_version" IS NULL OR d."retired_in_version" IS NOT NULL`;
  const parcelsRetired = await tx.$executeRaw`
    UPDATE "land_parcels" SET "retired_in_version" = ${version}, "updated_at" = now()
    WHERE "retired_in_version" IS NULL AND NOT ("id" = ANY(${parcelIds}::text[]))`;

  return {
    cards: { upserted: cardsUpserted, retired: cardsRetired },
    recipes: { upserted: recipesUpserted, retired: recipesRetired },
    parcels: { upserted: parcelsUpserted, retired: parcelsRetired },
  };
}
