-- AlterTable
ALTER TABLE "card_instances" ADD COLUMN     "match_id" UUID;

-- AlterTable
ALTER TABLE "farm_plots" ADD COLUMN     "crop_spec" JSONB;

-- AlterTable
ALTER TABLE "players" ADD COLUMN     "starter_granted_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "decks" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "player_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "decks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "deck_cards" (
    "deck_id" UUID NOT NULL,
    "card_id" UUID NOT NULL,
    "position" INTEGER NOT NULL,

    CONSTRAINT "deck_cards_pkey" PRIMARY KEY ("deck_id","card_id")
);

-- CreateIndex
CREATE INDEX "decks_player_id_created_at_idx" ON "decks"("player_id", "created_at");

-- CreateIndex
CREATE INDEX "deck_cards_card_id_idx" ON "deck_cards"("card_id");

-- CreateIndex
CREATE UNIQUE INDEX "deck_cards_deck_id_position_key" ON "deck_cards"("deck_id", "position");

-- CreateIndex
CREATE INDEX "card_instances_owner_id_created_at_id_idx" ON "card_instances"("owner_id", "created_at", "id");

-- CreateIndex
CREATE INDEX "card_instances_match_id_idx" ON "card_instances"("match_id");

-- CreateIndex
CREATE INDEX "ledger_entries_player_id_id_idx" ON "ledger_entries"("player_id", "id");

-- AddForeignKey
ALTER TABLE "decks" ADD CONSTRAINT "decks_player_id_fkey" FOREIGN KEY ("player_id") REFERENCES "players"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deck_cards" ADD CONSTRAINT "deck_cards_deck_id_fkey" FOREIGN KEY ("deck_id") REFERENCES "decks"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "deck_cards" ADD CONSTRAINT "deck_cards_card_id_fkey" FOREIGN KEY ("card_id") REFERENCES "card_instances"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- ---------------------------------------------------------------------------------------------------------------
-- CHECK constraints (by hand; listed in the models' doc comments in schema.prisma).

ALTER TABLE "card_instances"
  ADD CONSTRAINT "card_instances_match_iff_in_match" CHECK (("state" = 'in_match') = ("match_id" IS NOT NULL));

ALTER TABLE "farm_plots"
  ADD CONSTRAINT "farm_plots_crop_spec_with_crop" CHECK (("crop_id" IS NULL) = ("crop_spec" IS NULL));

ALTER TABLE "decks" ADD CONSTRAINT "decks_name_length" CHECK (char_length("name") BETWEEN 1 AND 40);

ALTER TABLE "deck_cards" ADD CONSTRAINT "deck_cards_position_nonnegative" CHECK ("position" >= 0);
