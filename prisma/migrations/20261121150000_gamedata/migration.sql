-- AlterTable
ALTER TABLE "card_definitions" ADD COLUMN     "cost" INTEGER,
ADD COLUMN     "definition" JSONB,
ADD COLUMN     "element" TEXT,
ADD COLUMN     "kind" TEXT,
ADD COLUMN     "name" TEXT,
ADD COLUMN     "rarity" TEXT,
ADD COLUMN     "retired_in_version" INTEGER,
ADD COLUMN     "token" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- AlterTable
ALTER TABLE "game_data_versions" ADD COLUMN     "restores_version" INTEGER,
ADD COLUMN     "summary" JSONB NOT NULL DEFAULT '{}';

-- AlterTable
ALTER TABLE "land_parcels" ADD COLUMN     "content_version" INTEGER,
ADD COLUMN     "retired_in_version" INTEGER,
ALTER COLUMN "fertility" SET DATA TYPE DOUBLE PRECISION;

-- AlterTable
ALTER TABLE "recipes" ADD COLUMN     "definition" JSONB,
ADD COLUMN     "exclusive" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "name" TEXT,
ADD COLUMN     "retired_in_version" INTEGER,
ADD COLUMN     "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- CreateIndex
CREATE INDEX "card_definitions_rarity_element_idx" ON "card_definitions"("rarity", "element");

-- AddForeignKey
ALTER TABLE "game_data_versions" ADD CONSTRAINT "game_data_versions_restores_version_fkey" FOREIGN KEY ("restores_version") REFERENCES "game_data_versions"("version") ON DELETE RESTRICT ON UPDATE CASCADE;

-- ---------------------------------------------------------------------------------------------------------------
-- Hand-written CHECK constraints (listed in the models' doc comments in schema.prisma).

ALTER TABLE "game_data_versions"
  ADD CONSTRAINT "game_data_versions_content_hash_hex" CHECK ("content_hash" ~ '^[0-9a-f]{64}$'),
  ADD CONSTRAINT "game_data_versions_author_present" CHECK (btrim("author") <> ''),
  ADD CONSTRAINT "game_data_versions_message_present" CHECK (btrim("message") <> ''),
  ADD CONSTRAINT "game_data_versions_restores_earlier" CHECK ("restores_version" < "version");

ALTER TABLE "card_definitions"
  ADD CONSTRAINT "card_definitions_content_version_positive" CHECK ("content_version" >= 1),
  ADD CONSTRAINT "card_definitions_rarity_known" CHECK ("rarity" IN ('common', 'uncommon', 'rare', 'epic', 'legendary')),
  ADD CONSTRAINT "card_definitions_element_known" CHECK ("element" IN ('sun', 'rain', 'soil', 'frost')),
  ADD CONSTRAINT "card_definitions_kind_known" CHECK ("kind" IN ('unit', 'spell')),
  ADD CONSTRAINT "card_definitions_cost_range" CHECK ("cost" BETWEEN 0 AND 10),
  ADD CONSTRAINT "card_definitions_retired_in_version_positive" CHECK ("retired_in_version" >= 1);

ALTER TABLE "recipes"
  ADD CONSTRAINT "recipes_content_version_positive" CHECK ("content_version" >= 1),
  ADD CONSTRAINT "recipes_retired_in_version_positive" CHECK ("retired_in_version" >= 1);

-- fertility is now the game data's multiplier (0.8-1.0 in GAME.md), not an integer; land_parcels_fertility_nonnegative
-- stays (implied by the range).
ALTER TABLE "land_parcels"
  ADD CONSTRAINT "land_parcels_fertility_range" CHECK ("fertility" > 0 AND "fertility" <= 1),
  ADD CONSTRAINT "land_parcels_content_version_positive" CHECK ("content_version" >= 1),
  ADD CONSTRAINT "land_parcels_retired_in_version_positive" CHECK ("retired_in_version" >= 1);

ALTER TABLE "matches" ADD CONSTRAINT "matches_content_version_positive" CHECK ("content_version" >= 1);
