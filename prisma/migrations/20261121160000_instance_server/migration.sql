-- AlterTable
ALTER TABLE "match_players" ADD COLUMN     "deck_id" UUID,
ADD COLUMN     "gold_reward" INTEGER,
ADD COLUMN     "rating_after" DOUBLE PRECISION,
ADD COLUMN     "rating_before" DOUBLE PRECISION,
ADD COLUMN     "rd_after" DOUBLE PRECISION,
ADD COLUMN     "result" TEXT;

-- AlterTable
ALTER TABLE "matches" ADD COLUMN     "heartbeat_at" TIMESTAMPTZ(3),
ADD COLUMN     "region" TEXT,
ADD COLUMN     "room_id" TEXT,
ADD COLUMN     "seed_secret" TEXT,
ADD COLUMN     "setup" JSONB,
ADD COLUMN     "started_at_ms" BIGINT;

-- CreateTable
CREATE TABLE "match_actions" (
    "match_id" UUID NOT NULL,
    "seq" INTEGER NOT NULL,
    "at_ms" BIGINT NOT NULL,
    "action" JSONB NOT NULL,

    CONSTRAINT "match_actions_pkey" PRIMARY KEY ("match_id","seq")
);

-- CreateTable
CREATE TABLE "player_ratings" (
    "player_id" UUID NOT NULL,
    "rating" DOUBLE PRECISION NOT NULL DEFAULT 1500,
    "rd" DOUBLE PRECISION NOT NULL DEFAULT 350,
    "volatility" DOUBLE PRECISION NOT NULL DEFAULT 0.06,
    "games" INTEGER NOT NULL DEFAULT 0,
    "wins" INTEGER NOT NULL DEFAULT 0,
    "losses" INTEGER NOT NULL DEFAULT 0,
    "draws" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "player_ratings_pkey" PRIMARY KEY ("player_id")
);

-- CreateTable
CREATE TABLE "friendships" (
    "player_low" UUID NOT NULL,
    "player_high" UUID NOT NULL,
    "requested_by" UUID NOT NULL,
    "status" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "accepted_at" TIMESTAMPTZ(3),

    CONSTRAINT "friendships_pkey" PRIMARY KEY ("player_low","player_high")
);

-- CreateIndex
CREATE INDEX "player_ratings_rating_player_id_idx" ON "player_ratings"("rating" DESC, "player_id");

-- CreateIndex
CREATE INDEX "friendships_player_high_idx" ON "friendships"("player_high");

-- CreateIndex
CREATE INDEX "matches_status_heartbeat_at_idx" ON "matches"("status", "heartbeat_at");

-- AddForeignKey
ALTER TABLE "match_actions" ADD CONSTRAINT "match_actions_match_id_fkey" FOREIGN KEY ("match_id") REFERENCES "matches"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "player_ratings" ADD CONSTRAINT "player_ratings_player_id_fkey" FOREIGN KEY ("player_id") REFERENCES "players"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "friendships" ADD CONSTRAINT "friendships_player_low_fkey" FOREIGN KEY ("player_low") REFERENCES "players"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "friendships" ADD CONSTRAINT "friendships_player_high_fkey" FOREIGN KEY ("player_high") REFERENCES "players"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- CHECK constraints (written by hand; Prisma cannot express them)
ALTER TABLE "matches"
  ADD CONSTRAINT "matches_mode_known" CHECK ("mode" IN ('ranked', 'casual', 'private')),
  ADD CONSTRAINT "matches_seed_revealed_when_finished" CHECK (("status" = 'finished') = ("seed" IS NOT NULL)),
  ADD CONSTRAINT "matches_ended_when_over" CHECK (("status" IN ('finished', 'aborted')) = ("ended_at" IS NOT NULL));

ALTER TABLE "match_players"
  ADD CONSTRAINT "match_players_result_known" CHECK ("result" IS NULL OR "result" IN ('win', 'loss', 'draw'));

ALTER TABLE "match_actions" ADD CONSTRAINT "match_actions_seq_nonnegative" CHECK ("seq" >= 0);

ALTER TABLE "player_ratings"
  ADD CONSTRAINT "player_ratings_rd_positive" CHECK ("rd" > 0),
  ADD CONSTRAINT "player_ratings_volatility_positive" CHECK ("volatility" > 0),
  ADD CONSTRAINT "player_ratings_counts_nonnegative" CHECK ("games" >= 0 AND "wins" >= 0 AND "losses" >= 0 AND "draws" >= 0);

ALTER TABLE "friendships"
  ADD CONSTRAINT "friendships_pair_ordered" CHECK ("player_low" < "player_high"),
  ADD CONSTRAINT "friendships_requester_in_pair" CHECK ("requested_by" IN ("player_low", "player_high")),
  ADD CONSTRAINT "friendships_status_known" CHECK ("status" IN ('pending', 'accepted')),
  ADD CONSTRAINT "friendships_accepted_at_when_accepted" CHECK (("status" = 'accepted') = ("accepted_at" IS NOT NULL));
