-- CreateEnum
CREATE TYPE "mint_asset_kind" AS ENUM ('card', 'land');

-- CreateEnum
CREATE TYPE "mint_request_status" AS ENUM ('pending', 'confirmed', 'failed', 'partial');

-- CreateEnum
CREATE TYPE "mint_item_status" AS ENUM ('queued', 'batched', 'submitted', 'mined', 'confirmed', 'failed');

-- CreateTable
CREATE TABLE "mint_requests" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "player_id" UUID NOT NULL,
    "kind" "mint_asset_kind" NOT NULL,
    "chain_id" INTEGER NOT NULL,
    "wallet_address" TEXT NOT NULL,
    "status" "mint_request_status" NOT NULL DEFAULT 'pending',
    "failure_reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "mint_requests_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "mint_items" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "request_id" UUID NOT NULL,
    "position" INTEGER NOT NULL,
    "card_id" UUID,
    "land_id" TEXT,
    "chain_id" INTEGER NOT NULL,
    "contract" TEXT NOT NULL,
    "token_id" DECIMAL(78,0) NOT NULL,
    "status" "mint_item_status" NOT NULL DEFAULT 'queued',
    "live" BOOLEAN DEFAULT true,
    "batch_id" UUID,
    "tx_hash" TEXT,
    "block_number" BIGINT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "failure_code" TEXT,
    "failure_reason" TEXT,
    "confirmed_by" TEXT,
    "confirmed_at" TIMESTAMPTZ(3),
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "mint_items_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "mint_batches" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "chain_id" INTEGER NOT NULL,
    "contract" TEXT NOT NULL,
    "provider" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "mint_batches_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "mint_transactions" (
    "hash" TEXT NOT NULL,
    "chain_id" INTEGER NOT NULL,
    "from_address" TEXT NOT NULL,
    "nonce" BIGINT NOT NULL,
    "batch_id" UUID NOT NULL,
    "raw" TEXT NOT NULL,
    "gas_limit" DECIMAL(78,0) NOT NULL,
    "max_fee_per_gas" DECIMAL(78,0) NOT NULL,
    "max_priority_fee_per_gas" DECIMAL(78,0) NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'signed',
    "replaces_hash" TEXT,
    "block_number" BIGINT,
    "gas_used" DECIMAL(78,0),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMPTZ(3),

    CONSTRAINT "mint_transactions_pkey" PRIMARY KEY ("hash")
);

-- CreateIndex
CREATE INDEX "mint_requests_player_id_created_at_id_idx" ON "mint_requests"("player_id", "created_at", "id");

-- CreateIndex
CREATE INDEX "mint_requests_status_created_at_idx" ON "mint_requests"("status", "created_at");

-- CreateIndex
CREATE INDEX "mint_items_status_chain_id_contract_idx" ON "mint_items"("status", "chain_id", "contract");

-- CreateIndex
CREATE INDEX "mint_items_batch_id_idx" ON "mint_items"("batch_id");

-- CreateIndex
CREATE INDEX "mint_items_card_id_idx" ON "mint_items"("card_id");

-- CreateIndex
CREATE UNIQUE INDEX "mint_items_request_id_position_key" ON "mint_items"("request_id", "position");

-- CreateIndex
CREATE UNIQUE INDEX "mint_items_chain_id_contract_token_id_live_key" ON "mint_items"("chain_id", "contract", "token_id", "live");

-- CreateIndex
CREATE INDEX "mint_batches_status_created_at_idx" ON "mint_batches"("status", "created_at");

-- CreateIndex
CREATE INDEX "mint_transactions_chain_id_from_address_nonce_idx" ON "mint_transactions"("chain_id", "from_address", "nonce");

-- CreateIndex
CREATE INDEX "mint_transactions_batch_id_idx" ON "mint_transactions"("batch_id");

-- CreateIndex
CREATE INDEX "mint_transactions_status_idx" ON "mint_transactions"("status");

-- AddForeignKey
ALTER TABLE "mint_requests" ADD CONSTRAINT "mint_requests_player_id_fkey" FOREIGN KEY ("player_id") REFERENCES "players"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "mint_items" ADD CONSTRAINT "mint_items_request_id_fkey" FOREIGN KEY ("request_id") REFERENCES "mint_requests"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "mint_items" ADD CONSTRAINT "mint_items_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "mint_batches"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "mint_transactions" ADD CONSTRAINT "mint_transactions_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "mint_batches"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- ---------------------------------------------------------------------------------------------------------------
-- Hand-written CHECK constraints (listed in the models' doc comments in schema.prisma).

ALTER TABLE "mint_requests"
  ADD CONSTRAINT "mint_requests_wallet_lower_address" CHECK ("wallet_address" ~ '^0x[0-9a-f]{40}$'),
  ADD CONSTRAINT "mint_requests_failure_reason_when_failed" CHECK (("status" = 'failed') = ("failure_reason" IS NOT NULL));

ALTER TABLE "mint_items"
  ADD CONSTRAINT "mint_items_one_asset" CHECK (("card_id" IS NULL) <> ("land_id" IS NULL)),
  ADD CONSTRAINT "mint_items_contract_lower_address" CHECK ("contract" ~ '^0x[0-9a-f]{40}$'),
  ADD CONSTRAINT "mint_items_token_id_nonnegative" CHECK ("token_id" >= 0),
  ADD CONSTRAINT "mint_items_attempts_nonnegative" CHECK ("attempts" >= 0),
  ADD CONSTRAINT "mint_items_live_until_failed" CHECK ("live" IS TRUE OR "live" IS NULL),
  ADD CONSTRAINT "mint_items_live_null_when_failed" CHECK (("status" = 'failed') = ("live" IS NULL)),
  ADD CONSTRAINT "mint_items_failure_reason_when_failed" CHECK (("status" = 'failed') = ("failure_reason" IS NOT NULL));

ALTER TABLE "mint_batches"
  ADD CONSTRAINT "mint_batches_status_known" CHECK ("status" IN ('pending', 'sent', 'done', 'dead'));

ALTER TABLE "mint_transactions"
  ADD CONSTRAINT "mint_transactions_nonce_nonnegative" CHECK ("nonce" >= 0),
  ADD CONSTRAINT "mint_transactions_status_known" CHECK ("status" IN ('signed', 'sent', 'mined', 'reverted', 'replaced')),
  ADD CONSTRAINT "mint_transactions_from_lower_address" CHECK ("from_address" ~ '^0x[0-9a-f]{40}$');
