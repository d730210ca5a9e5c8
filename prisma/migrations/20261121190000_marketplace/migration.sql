-- CreateTable
CREATE TABLE "market_listings" (
    "order_hash" TEXT NOT NULL,
    "chain_id" INTEGER NOT NULL,
    "marketplace" TEXT NOT NULL,
    "maker" TEXT NOT NULL,
    "collection" TEXT NOT NULL,
    "asset" TEXT NOT NULL,
    "token_id" DECIMAL(78,0) NOT NULL,
    "price" DECIMAL(78,0) NOT NULL,
    "currency" TEXT NOT NULL,
    "start_time" BIGINT NOT NULL,
    "end_time" BIGINT NOT NULL,
    "salt" DECIMAL(78,0) NOT NULL,
    "counter" DECIMAL(78,0) NOT NULL,
    "signature" TEXT NOT NULL,
    "approval" TEXT NOT NULL,
    "card_id" UUID,
    "parcel_id" TEXT,
    "definition_id" TEXT,
    "name" TEXT NOT NULL,
    "rarity" TEXT,
    "element" TEXT,
    "biome" TEXT,
    "status" TEXT NOT NULL DEFAULT 'active',
    "closed_reason" TEXT,
    "closed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "market_listings_pkey" PRIMARY KEY ("order_hash")
);

-- CreateTable
CREATE TABLE "market_activity" (
    "id" BIGSERIAL NOT NULL,
    "chain_id" INTEGER NOT NULL,
    "kind" TEXT NOT NULL,
    "order_hash" TEXT,
    "collection" TEXT NOT NULL,
    "token_id" DECIMAL(78,0) NOT NULL,
    "maker" TEXT,
    "taker" TEXT,
    "price" DECIMAL(78,0),
    "currency" TEXT,
    "detail" TEXT,
    "tx_hash" TEXT,
    "log_index" INTEGER,
    "block_number" BIGINT,
    "at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "market_activity_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "market_listings_chain_id_status_price_order_hash_idx" ON "market_listings"("chain_id", "status", "price", "order_hash");

-- CreateIndex
CREATE INDEX "market_listings_chain_id_status_created_at_order_hash_idx" ON "market_listings"("chain_id", "status", "created_at", "order_hash");

-- CreateIndex
CREATE INDEX "market_listings_chain_id_maker_status_idx" ON "market_listings"("chain_id", "maker", "status");

-- CreateIndex
CREATE INDEX "market_listings_chain_id_collection_token_id_idx" ON "market_listings"("chain_id", "collection", "token_id");

-- CreateIndex
CREATE INDEX "market_activity_chain_id_id_idx" ON "market_activity"("chain_id", "id");

-- CreateIndex
CREATE INDEX "market_activity_chain_id_collection_token_id_id_idx" ON "market_activity"("chain_id", "collection", "token_id", "id");

-- CreateIndex
CREATE INDEX "market_activity_chain_id_maker_id_idx" ON "market_activity"("chain_id", "maker", "id");

-- CreateIndex
CREATE UNIQUE INDEX "market_activity_chain_id_kind_tx_hash_log_index_key" ON "market_activity"("chain_id", "kind", "tx_hash", "log_index");

-- ---------------------------------------------------------------------------------------------------------------
-- Hand-written CHECK constraints (listed in the models' doc comments in schema.prisma).

ALTER TABLE "market_listings"
  ADD CONSTRAINT "market_listings_addresses_lower" CHECK ("marketplace" ~ '^0x[0-9a-f]{40}$' AND "maker" ~ '^0x[0-9a-f]{40}$' AND "collection" ~ '^0x[0-9a-f]{40}$' AND "currency" ~ '^0x[0-9a-f]{40}$'),
  ADD CONSTRAINT "market_listings_hex" CHECK ("order_hash" ~ '^0x[0-9a-f]{64}$' AND "signature" ~ '^0x([0-9a-f]{2})+$'),
  ADD CONSTRAINT "market_listings_price_positive" CHECK ("price" > 0),
  ADD CONSTRAINT "market_listings_uints_nonnegative" CHECK ("token_id" >= 0 AND "salt" >= 0 AND "counter" >= 0),
  ADD CONSTRAINT "market_listings_window" CHECK ("start_time" >= 0 AND "end_time" > "start_time"),
  ADD CONSTRAINT "market_listings_asset" CHECK (("asset" = 'card' AND "card_id" IS NOT NULL AND "parcel_id" IS NULL) OR ("asset" = 'land' AND "parcel_id" IS NOT NULL AND "card_id" IS NULL)),
  ADD CONSTRAINT "market_listings_approval" CHECK ("approval" IN ('all', 'token')),
  ADD CONSTRAINT "market_listings_status" CHECK ("status" IN ('active', 'cancelled', 'filled', 'invalid', 'expired')),
  ADD CONSTRAINT "market_listings_closed_iff_not_active" CHECK (("status" = 'active') = ("closed_at" IS NULL AND "closed_reason" IS NULL));

ALTER TABLE "market_activity"
  ADD CONSTRAINT "market_activity_kind" CHECK ("kind" IN ('listed', 'cancelled', 'sale', 'invalidated')),
  ADD CONSTRAINT "market_activity_addresses_lower" CHECK ("collection" ~ '^0x[0-9a-f]{40}$' AND ("maker" IS NULL OR "maker" ~ '^0x[0-9a-f]{40}$') AND ("taker" IS NULL OR "taker" ~ '^0x[0-9a-f]{40}$') AND ("currency" IS NULL OR "currency" ~ '^0x[0-9a-f]{40}$')),
  ADD CONSTRAINT "market_activity_price_positive" CHECK ("price" IS NULL OR "price" > 0),
  ADD CONSTRAINT "market_activity_chain_position" CHECK (("tx_hash" IS NULL) = ("log_index" IS NULL) AND ("tx_hash" IS NULL) = ("block_number" IS NULL));
