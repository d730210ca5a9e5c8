-- CreateEnum
CREATE TYPE "role" AS ENUM ('player', 'designer', 'admin');

-- CreateEnum
CREATE TYPE "card_origin" AS ENUM ('starter', 'crafted', 'reward');

-- CreateEnum
CREATE TYPE "card_state" AS ENUM ('in_game', 'in_match', 'minting', 'on_chain', 'consumed', 'burned');

-- CreateEnum
CREATE TYPE "ledger_asset" AS ENUM ('gold', 'item');

-- CreateEnum
CREATE TYPE "plot_source" AS ENUM ('starter', 'land');

-- CreateEnum
CREATE TYPE "match_status" AS ENUM ('pending', 'in_progress', 'finished', 'aborted');

-- CreateTable
CREATE TABLE "players" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "display_name" TEXT,
    "is_guest" BOOLEAN NOT NULL DEFAULT false,
    "roles" "role"[] DEFAULT ARRAY['player']::"role"[],
    "gold" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "players_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "wallets" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "address" TEXT NOT NULL,
    "player_id" UUID NOT NULL,
    "linked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "wallets_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "refresh_token_families" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "player_id" UUID NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "refresh_token_families_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "refresh_tokens" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "family_id" UUID NOT NULL,
    "token_hash" TEXT NOT NULL,
    "issued_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "used_at" TIMESTAMPTZ(3),
    "revoked" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "refresh_tokens_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "card_definitions" (
    "id" TEXT NOT NULL,
    "content_version" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "card_definitions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "card_instances" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "definition_id" TEXT NOT NULL,
    "owner_id" UUID,
    "origin" "card_origin" NOT NULL,
    "crafted_by_id" UUID,
    "recipe_id" TEXT,
    "crafted_at" TIMESTAMPTZ(3),
    "state" "card_state" NOT NULL DEFAULT 'in_game',
    "token_id" DECIMAL(78,0),
    "content_version" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "card_instances_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "recipes" (
    "id" TEXT NOT NULL,
    "content_version" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "recipes_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "resources" (
    "player_id" UUID NOT NULL,
    "item_id" TEXT NOT NULL,
    "quantity" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "resources_pkey" PRIMARY KEY ("player_id","item_id")
);

-- CreateTable
CREATE TABLE "ledger_entries" (
    "id" BIGSERIAL NOT NULL,
    "player_id" UUID NOT NULL,
    "asset" "ledger_asset" NOT NULL,
    "item_id" TEXT,
    "delta" INTEGER NOT NULL,
    "reason" TEXT NOT NULL,
    "reference_id" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ledger_entries_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "land_parcels" (
    "id" TEXT NOT NULL,
    "biome" TEXT NOT NULL,
    "plots" INTEGER NOT NULL,
    "fertility" INTEGER NOT NULL,
    "perk" JSONB,
    "owner_id" UUID,
    "token_id" DECIMAL(78,0),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "land_parcels_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "farm_plots" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "source" "plot_source" NOT NULL,
    "player_id" UUID,
    "land_id" TEXT,
    "plot_index" INTEGER NOT NULL,
    "crop_id" TEXT,
    "planted_at" TIMESTAMPTZ(3),
    "waterings" JSONB NOT NULL DEFAULT '[]',
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "farm_plots_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "matches" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "mode" TEXT NOT NULL,
    "status" "match_status" NOT NULL DEFAULT 'pending',
    "seed_commitment" TEXT NOT NULL,
    "seed" TEXT,
    "winner_id" UUID,
    "result" JSONB,
    "transcript" JSONB,
    "content_version" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "ended_at" TIMESTAMPTZ(3),

    CONSTRAINT "matches_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "match_players" (
    "match_id" UUID NOT NULL,
    "player_id" UUID NOT NULL,
    "seat" INTEGER NOT NULL,

    CONSTRAINT "match_players_pkey" PRIMARY KEY ("match_id","player_id")
);

-- CreateTable
CREATE TABLE "outbox" (
    "id" BIGSERIAL NOT NULL,
    "event_id" UUID NOT NULL,
    "type" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "key" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL,
    "published_at" TIMESTAMPTZ(3),

    CONSTRAINT "outbox_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "processed_events" (
    "consumer" TEXT NOT NULL,
    "event_id" UUID NOT NULL,
    "processed_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "processed_events_pkey" PRIMARY KEY ("consumer","event_id")
);

-- CreateTable
CREATE TABLE "idempotency_keys" (
    "player_id" UUID NOT NULL,
    "key" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "response_status" INTEGER,
    "response_body" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("player_id","key")
);

-- CreateTable
CREATE TABLE "game_data_versions" (
    "version" INTEGER NOT NULL,
    "content_hash" TEXT NOT NULL,
    "author" TEXT NOT NULL,
    "message" TEXT NOT NULL,
    "content" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "published_at" TIMESTAMPTZ(3),
    "active" BOOLEAN,

    CONSTRAINT "game_data_versions_pkey" PRIMARY KEY ("version")
);

-- CreateIndex
CREATE UNIQUE INDEX "players_display_name_key" ON "players"("display_name");

-- CreateIndex
CREATE UNIQUE INDEX "wallets_address_key" ON "wallets"("address");

-- CreateIndex
CREATE INDEX "wallets_player_id_idx" ON "wallets"("player_id");

-- CreateIndex
CREATE INDEX "refresh_token_families_player_id_idx" ON "refresh_token_families"("player_id");

-- CreateIndex
CREATE UNIQUE INDEX "refresh_tokens_token_hash_key" ON "refresh_tokens"("token_hash");

-- CreateIndex
CREATE INDEX "refresh_tokens_family_id_idx" ON "refresh_tokens"("family_id");

-- CreateIndex
CREATE UNIQUE INDEX "card_instances_token_id_key" ON "card_instances"("token_id");

-- CreateIndex
CREATE INDEX "card_instances_owner_id_state_idx" ON "card_instances"("owner_id", "state");

-- CreateIndex
CREATE INDEX "card_instances_definition_id_idx" ON "card_instances"("definition_id");

-- CreateIndex
CREATE INDEX "ledger_entries_player_id_created_at_idx" ON "ledger_entries"("player_id", "created_at");

-- CreateIndex
CREATE INDEX "ledger_entries_reference_id_idx" ON "ledger_entries"("reference_id");

-- CreateIndex
CREATE UNIQUE INDEX "land_parcels_token_id_key" ON "land_parcels"("token_id");

-- CreateIndex
CREATE INDEX "land_parcels_owner_id_idx" ON "land_parcels"("owner_id");

-- CreateIndex
CREATE UNIQUE INDEX "farm_plots_player_id_plot_index_key" ON "farm_plots"("player_id", "plot_index");

-- CreateIndex
CREATE UNIQUE INDEX "farm_plots_land_id_plot_index_key" ON "farm_plots"("land_id", "plot_index");

-- CreateIndex
CREATE INDEX "matches_status_created_at_idx" ON "matches"("status", "created_at");

-- CreateIndex
CREATE INDEX "match_players_player_id_idx" ON "match_players"("player_id");

-- CreateIndex
CREATE UNIQUE INDEX "match_players_match_id_seat_key" ON "match_players"("match_id", "seat");

-- CreateIndex
CREATE UNIQUE INDEX "outbox_event_id_key" ON "outbox"("event_id");

-- CreateIndex
CREATE INDEX "outbox_published_at_id_idx" ON "outbox"("published_at", "id");

-- CreateIndex
CREATE INDEX "idempotency_keys_created_at_idx" ON "idempotency_keys"("created_at");

-- CreateIndex
CREATE UNIQUE INDEX "game_data_versions_active_key" ON "game_data_versions"("active");

-- AddForeignKey
ALTER TABLE "wallets" ADD CONSTRAINT "wallets_player_id_fkey" FOREIGN KEY ("player_id") REFERENCES "players"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "refresh_token_families" ADD CONSTRAINT "refresh_token_families_player_id_fkey" FOREIGN KEY ("player_id") REFERENCES "players"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "refresh_tokens" ADD CONSTRAINT "refresh_tokens_family_id_fkey" FOREIGN KEY ("family_id") REFERENCES "refresh_token_families"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "card_instances" ADD CONSTRAINT "card_instances_definition_id_fkey" FOREIGN KEY ("definition_id") REFERENCES "card_definitions"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "card_instances" ADD CONSTRAINT "card_instances_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "players"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "card_instances" ADD CONSTRAINT "card_instances_crafted_by_id_fkey" FOREIGN KEY ("crafted_by_id") REFERENCES "players"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "card_instances" ADD CONSTRAINT "card_instances_recipe_id_fkey" FOREIGN KEY ("recipe_id") REFERENCES "recipes"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "resources" ADD CONSTRAINT "resources_player_id_fkey" FOREIGN KEY ("player_id") REFERENCES "players"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ledger_entries" ADD CONSTRAINT "ledger_entries_player_id_fkey" FOREIGN KEY ("player_id") REFERENCES "players"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "land_parcels" ADD CONSTRAINT "land_parcels_owner_id_fkey" FOREIGN KEY ("owner_id") REFERENCES "players"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "farm_plots" ADD CONSTRAINT "farm_plots_player_id_fkey" FOREIGN KEY ("player_id") REFERENCES "players"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "farm_plots" ADD CONSTRAINT "farm_plots_land_id_fkey" FOREIGN KEY ("land_id") REFERENCES "land_parcels"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "matches" ADD CONSTRAINT "matches_winner_id_fkey" FOREIGN KEY ("winner_id") REFERENCES "players"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "match_players" ADD CONSTRAINT "match_players_match_id_fkey" FOREIGN KEY ("match_id") REFERENCES "matches"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "match_players" ADD CONSTRAINT "match_players_player_id_fkey" FOREIGN KEY ("player_id") REFERENCES "players"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_player_id_fkey" FOREIGN KEY ("player_id") REFERENCES "players"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- ---------------------------------------------------------------------------------------------------------------
-- CHECK constraints (written by hand: Prisma's schema language cannot express them and its diff ignores them,
-- so keep each one listed in the doc comment of its model in schema.prisma).

ALTER TABLE "players" ADD CONSTRAINT "players_gold_nonnegative" CHECK ("gold" >= 0);

ALTER TABLE "wallets" ADD CONSTRAINT "wallets_address_lowercase" CHECK ("address" = lower("address"));

ALTER TABLE "card_instances"
  ADD CONSTRAINT "card_instances_crafted_fields" CHECK (
    ("origin" = 'crafted') = ("recipe_id" IS NOT NULL AND "crafted_at" IS NOT NULL)
  ),
  ADD CONSTRAINT "card_instances_owner_required" CHECK (
    "owner_id" IS NOT NULL OR "state" IN ('on_chain', 'burned')
  ),
  ADD CONSTRAINT "card_instances_token_when_minted" CHECK (
    "token_id" IS NOT NULL OR "state" NOT IN ('on_chain', 'burned')
  ),
  ADD CONSTRAINT "card_instances_token_id_nonnegative" CHECK ("token_id" >= 0),
  ADD CONSTRAINT "card_instances_content_version_positive" CHECK ("content_version" >= 1);

ALTER TABLE "resources" ADD CONSTRAINT "resources_quantity_nonnegative" CHECK ("quantity" >= 0);

ALTER TABLE "ledger_entries"
  ADD CONSTRAINT "ledger_entries_item_iff_item_asset" CHECK (("asset" = 'item') = ("item_id" IS NOT NULL)),
  ADD CONSTRAINT "ledger_entries_delta_nonzero" CHECK ("delta" <> 0);

ALTER TABLE "land_parcels"
  ADD CONSTRAINT "land_parcels_plots_positive" CHECK ("plots" > 0),
  ADD CONSTRAINT "land_parcels_fertility_nonnegative" CHECK ("fertility" >= 0),
  ADD CONSTRAINT "land_parcels_token_id_nonnegative" CHECK ("token_id" >= 0);

ALTER TABLE "farm_plots"
  ADD CONSTRAINT "farm_plots_one_farm" CHECK (num_nonnulls("player_id", "land_id") = 1),
  ADD CONSTRAINT "farm_plots_source_matches_farm" CHECK (("source" = 'starter') = ("player_id" IS NOT NULL)),
  ADD CONSTRAINT "farm_plots_plot_index_nonnegative" CHECK ("plot_index" >= 0),
  ADD CONSTRAINT "farm_plots_crop_planted" CHECK ("crop_id" IS NULL OR "planted_at" IS NOT NULL),
  ADD CONSTRAINT "farm_plots_waterings_array" CHECK (jsonb_typeof("waterings") = 'array');

ALTER TABLE "match_players" ADD CONSTRAINT "match_players_seat_nonnegative" CHECK ("seat" >= 0);

ALTER TABLE "outbox" ADD CONSTRAINT "outbox_version_positive" CHECK ("version" >= 1);

ALTER TABLE "idempotency_keys"
  ADD CONSTRAINT "idempotency_keys_response_status_http" CHECK ("response_status" BETWEEN 100 AND 599);

ALTER TABLE "game_data_versions"
  ADD CONSTRAINT "game_data_versions_active_true_or_null" CHECK ("active" IS NOT FALSE),
  ADD CONSTRAINT "game_data_versions_version_positive" CHECK ("version" >= 1);
