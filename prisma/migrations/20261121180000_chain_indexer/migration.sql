-- CreateTable
CREATE TABLE "chain_checkpoints" (
    "chain_id" INTEGER NOT NULL,
    "finalized_block" BIGINT NOT NULL,
    "finalized_hash" TEXT,
    "head_block" BIGINT NOT NULL,
    "head_hash" TEXT,
    "epoch" INTEGER NOT NULL DEFAULT 0,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "chain_checkpoints_pkey" PRIMARY KEY ("chain_id")
);

-- CreateTable
CREATE TABLE "chain_blocks" (
    "chain_id" INTEGER NOT NULL,
    "number" BIGINT NOT NULL,
    "hash" TEXT NOT NULL,
    "parent_hash" TEXT NOT NULL,
    "timestamp" BIGINT NOT NULL,

    CONSTRAINT "chain_blocks_pkey" PRIMARY KEY ("chain_id","number")
);

-- CreateTable
CREATE TABLE "chain_transfers" (
    "chain_id" INTEGER NOT NULL,
    "tx_hash" TEXT NOT NULL,
    "log_index" INTEGER NOT NULL,
    "block_number" BIGINT NOT NULL,
    "block_hash" TEXT NOT NULL,
    "contract" TEXT NOT NULL,
    "token_id" DECIMAL(78,0) NOT NULL,
    "from_address" TEXT NOT NULL,
    "to_address" TEXT NOT NULL,

    CONSTRAINT "chain_transfers_pkey" PRIMARY KEY ("chain_id","tx_hash","log_index")
);

-- CreateTable
CREATE TABLE "chain_token_owners" (
    "chain_id" INTEGER NOT NULL,
    "contract" TEXT NOT NULL,
    "token_id" DECIMAL(78,0) NOT NULL,
    "owner" TEXT NOT NULL,
    "since_block" BIGINT NOT NULL,
    "since_log_index" INTEGER NOT NULL,
    "since_tx_hash" TEXT NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "chain_token_owners_pkey" PRIMARY KEY ("chain_id","contract","token_id")
);

-- CreateTable
CREATE TABLE "chain_pending_mints" (
    "chain_id" INTEGER NOT NULL,
    "tx_hash" TEXT NOT NULL,
    "log_index" INTEGER NOT NULL,
    "block_number" BIGINT NOT NULL,
    "contract" TEXT NOT NULL,
    "token_id" DECIMAL(78,0) NOT NULL,

    CONSTRAINT "chain_pending_mints_pkey" PRIMARY KEY ("chain_id","tx_hash","log_index")
);

-- CreateTable
CREATE TABLE "chain_sales" (
    "chain_id" INTEGER NOT NULL,
    "tx_hash" TEXT NOT NULL,
    "log_index" INTEGER NOT NULL,
    "block_number" BIGINT NOT NULL,
    "block_hash" TEXT NOT NULL,
    "marketplace" TEXT NOT NULL,
    "order_hash" TEXT NOT NULL,
    "maker" TEXT NOT NULL,
    "taker" TEXT NOT NULL,
    "collection" TEXT NOT NULL,
    "token_id" DECIMAL(78,0) NOT NULL,
    "currency" TEXT NOT NULL,
    "price" DECIMAL(78,0) NOT NULL,

    CONSTRAINT "chain_sales_pkey" PRIMARY KEY ("chain_id","tx_hash","log_index")
);

-- CreateTable
CREATE TABLE "chain_order_cancels" (
    "chain_id" INTEGER NOT NULL,
    "tx_hash" TEXT NOT NULL,
    "log_index" INTEGER NOT NULL,
    "block_number" BIGINT NOT NULL,
    "block_hash" TEXT NOT NULL,
    "marketplace" TEXT NOT NULL,
    "maker" TEXT NOT NULL,
    "salt" DECIMAL(78,0) NOT NULL,

    CONSTRAINT "chain_order_cancels_pkey" PRIMARY KEY ("chain_id","tx_hash","log_index")
);

-- CreateTable
CREATE TABLE "chain_counter_increments" (
    "chain_id" INTEGER NOT NULL,
    "tx_hash" TEXT NOT NULL,
    "log_index" INTEGER NOT NULL,
    "block_number" BIGINT NOT NULL,
    "block_hash" TEXT NOT NULL,
    "marketplace" TEXT NOT NULL,
    "maker" TEXT NOT NULL,
    "new_counter" DECIMAL(78,0) NOT NULL,

    CONSTRAINT "chain_counter_increments_pkey" PRIMARY KEY ("chain_id","tx_hash","log_index")
);

-- CreateTable
CREATE TABLE "chain_approvals" (
    "chain_id" INTEGER NOT NULL,
    "tx_hash" TEXT NOT NULL,
    "log_index" INTEGER NOT NULL,
    "block_number" BIGINT NOT NULL,
    "block_hash" TEXT NOT NULL,
    "contract" TEXT NOT NULL,
    "owner" TEXT NOT NULL,
    "operator" TEXT NOT NULL,
    "approved" BOOLEAN NOT NULL,

    CONSTRAINT "chain_approvals_pkey" PRIMARY KEY ("chain_id","tx_hash","log_index")
);

-- CreateTable
CREATE TABLE "chain_land_users" (
    "chain_id" INTEGER NOT NULL,
    "tx_hash" TEXT NOT NULL,
    "log_index" INTEGER NOT NULL,
    "block_number" BIGINT NOT NULL,
    "block_hash" TEXT NOT NULL,
    "contract" TEXT NOT NULL,
    "token_id" DECIMAL(78,0) NOT NULL,
    "user" TEXT NOT NULL,
    "expires" BIGINT NOT NULL,

    CONSTRAINT "chain_land_users_pkey" PRIMARY KEY ("chain_id","tx_hash","log_index")
);

-- CreateTable
CREATE TABLE "chain_fee_sweeps" (
    "chain_id" INTEGER NOT NULL,
    "tx_hash" TEXT NOT NULL,
    "log_index" INTEGER NOT NULL,
    "block_number" BIGINT NOT NULL,
    "block_hash" TEXT NOT NULL,
    "marketplace" TEXT NOT NULL,
    "currency" TEXT NOT NULL,
    "recipient" TEXT NOT NULL,
    "amount" DECIMAL(78,0) NOT NULL,

    CONSTRAINT "chain_fee_sweeps_pkey" PRIMARY KEY ("chain_id","tx_hash","log_index")
);

-- CreateIndex
CREATE INDEX "chain_transfers_chain_id_contract_token_id_block_number_log_idx" ON "chain_transfers"("chain_id", "contract", "token_id", "block_number", "log_index");

-- CreateIndex
CREATE INDEX "chain_transfers_chain_id_block_number_idx" ON "chain_transfers"("chain_id", "block_number");

-- CreateIndex
CREATE INDEX "chain_token_owners_chain_id_owner_contract_idx" ON "chain_token_owners"("chain_id", "owner", "contract");

-- CreateIndex
CREATE INDEX "chain_sales_chain_id_collection_token_id_block_number_idx" ON "chain_sales"("chain_id", "collection", "token_id", "block_number");

-- CreateIndex
CREATE INDEX "chain_sales_chain_id_order_hash_idx" ON "chain_sales"("chain_id", "order_hash");

-- CreateIndex
CREATE INDEX "chain_sales_chain_id_block_number_idx" ON "chain_sales"("chain_id", "block_number");

-- CreateIndex
CREATE INDEX "chain_order_cancels_chain_id_marketplace_maker_salt_idx" ON "chain_order_cancels"("chain_id", "marketplace", "maker", "salt");

-- CreateIndex
CREATE INDEX "chain_order_cancels_chain_id_block_number_idx" ON "chain_order_cancels"("chain_id", "block_number");

-- CreateIndex
CREATE INDEX "chain_counter_increments_chain_id_marketplace_maker_new_cou_idx" ON "chain_counter_increments"("chain_id", "marketplace", "maker", "new_counter");

-- CreateIndex
CREATE INDEX "chain_counter_increments_chain_id_block_number_idx" ON "chain_counter_increments"("chain_id", "block_number");

-- CreateIndex
CREATE INDEX "chain_approvals_chain_id_contract_owner_operator_block_numb_idx" ON "chain_approvals"("chain_id", "contract", "owner", "operator", "block_number", "log_index");

-- CreateIndex
CREATE INDEX "chain_approvals_chain_id_block_number_idx" ON "chain_approvals"("chain_id", "block_number");

-- CreateIndex
CREATE INDEX "chain_land_users_chain_id_contract_token_id_block_number_lo_idx" ON "chain_land_users"("chain_id", "contract", "token_id", "block_number", "log_index");

-- CreateIndex
CREATE INDEX "chain_land_users_chain_id_block_number_idx" ON "chain_land_users"("chain_id", "block_number");

-- CreateIndex
CREATE INDEX "chain_fee_sweeps_chain_id_block_number_idx" ON "chain_fee_sweeps"("chain_id", "block_number");

-- ---------------------------------------------------------------------------------------------------------------
-- Hand-written CHECK constraints (listed in the models' doc comments in schema.prisma).

ALTER TABLE "chain_checkpoints"
  ADD CONSTRAINT "chain_checkpoints_finalized_from_minus_one" CHECK ("finalized_block" >= -1),
  ADD CONSTRAINT "chain_checkpoints_head_not_below_finalized" CHECK ("head_block" >= "finalized_block"),
  ADD CONSTRAINT "chain_checkpoints_epoch_nonnegative" CHECK ("epoch" >= 0),
  ADD CONSTRAINT "chain_checkpoints_finalized_hash_hex" CHECK ("finalized_hash" IS NULL OR "finalized_hash" ~ '^0x[0-9a-f]{64}$'),
  ADD CONSTRAINT "chain_checkpoints_head_hash_hex" CHECK ("head_hash" IS NULL OR "head_hash" ~ '^0x[0-9a-f]{64}$');

ALTER TABLE "chain_blocks"
  ADD CONSTRAINT "chain_blocks_number_nonnegative" CHECK ("number" >= 0),
  ADD CONSTRAINT "chain_blocks_hash_hex" CHECK ("hash" ~ '^0x[0-9a-f]{64}$'),
  ADD CONSTRAINT "chain_blocks_parent_hash_hex" CHECK ("parent_hash" ~ '^0x[0-9a-f]{64}$');

ALTER TABLE "chain_transfers"
  ADD CONSTRAINT "chain_transfers_addresses_lower" CHECK ("contract" ~ '^0x[0-9a-f]{40}$' AND "from_address" ~ '^0x[0-9a-f]{40}$' AND "to_address" ~ '^0x[0-9a-f]{40}$'),
  ADD CONSTRAINT "chain_transfers_token_id_nonnegative" CHECK ("token_id" >= 0),
  ADD CONSTRAINT "chain_transfers_position_nonnegative" CHECK ("block_number" >= 0 AND "log_index" >= 0);

ALTER TABLE "chain_token_owners"
  ADD CONSTRAINT "chain_token_owners_addresses_lower" CHECK ("contract" ~ '^0x[0-9a-f]{40}$' AND "owner" ~ '^0x[0-9a-f]{40}$'),
  ADD CONSTRAINT "chain_token_owners_token_id_nonnegative" CHECK ("token_id" >= 0),
  ADD CONSTRAINT "chain_token_owners_since_nonnegative" CHECK ("since_block" >= 0 AND "since_log_index" >= 0);

ALTER TABLE "chain_pending_mints"
  ADD CONSTRAINT "chain_pending_mints_contract_lower" CHECK ("contract" ~ '^0x[0-9a-f]{40}$'),
  ADD CONSTRAINT "chain_pending_mints_token_id_nonnegative" CHECK ("token_id" >= 0);

ALTER TABLE "chain_sales"
  ADD CONSTRAINT "chain_sales_addresses_lower" CHECK ("marketplace" ~ '^0x[0-9a-f]{40}$' AND "maker" ~ '^0x[0-9a-f]{40}$' AND "taker" ~ '^0x[0-9a-f]{40}$' AND "collection" ~ '^0x[0-9a-f]{40}$' AND "currency" ~ '^0x[0-9a-f]{40}$'),
  ADD CONSTRAINT "chain_sales_order_hash_hex" CHECK ("order_hash" ~ '^0x[0-9a-f]{64}$'),
  ADD CONSTRAINT "chain_sales_price_nonnegative" CHECK ("price" >= 0 AND "token_id" >= 0);

ALTER TABLE "chain_order_cancels"
  ADD CONSTRAINT "chain_order_cancels_addresses_lower" CHECK ("marketplace" ~ '^0x[0-9a-f]{40}$' AND "maker" ~ '^0x[0-9a-f]{40}$'),
  ADD CONSTRAINT "chain_order_cancels_salt_nonnegative" CHECK ("salt" >= 0);

ALTER TABLE "chain_counter_increments"
  ADD CONSTRAINT "chain_counter_increments_addresses_lower" CHECK ("marketplace" ~ '^0x[0-9a-f]{40}$' AND "maker" ~ '^0x[0-9a-f]{40}$'),
  ADD CONSTRAINT "chain_counter_increments_counter_positive" CHECK ("new_counter" >= 1);

ALTER TABLE "chain_approvals"
  ADD CONSTRAINT "chain_approvals_addresses_lower" CHECK ("contract" ~ '^0x[0-9a-f]{40}$' AND "owner" ~ '^0x[0-9a-f]{40}$' AND "operator" ~ '^0x[0-9a-f]{40}$');

ALTER TABLE "chain_land_users"
  ADD CONSTRAINT "chain_land_users_addresses_lower" CHECK ("contract" ~ '^0x[0-9a-f]{40}$' AND "user" ~ '^0x[0-9a-f]{40}$'),
  ADD CONSTRAINT "chain_land_users_token_id_nonnegative" CHECK ("token_id" >= 0 AND "expires" >= 0);

ALTER TABLE "chain_fee_sweeps"
  ADD CONSTRAINT "chain_fee_sweeps_addresses_lower" CHECK ("marketplace" ~ '^0x[0-9a-f]{40}$' AND "currency" ~ '^0x[0-9a-f]{40}$' AND "recipient" ~ '^0x[0-9a-f]{40}$'),
  ADD CONSTRAINT "chain_fee_sweeps_amount_nonnegative" CHECK ("amount" >= 0);
