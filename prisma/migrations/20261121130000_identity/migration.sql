-- AlterTable
ALTER TABLE "players" ADD COLUMN     "avatar_id" TEXT,
ADD COLUMN     "display_name_key" TEXT;

-- AlterTable
ALTER TABLE "refresh_token_families" ADD COLUMN     "revoked_reason" TEXT;

-- CreateTable
CREATE TABLE "guest_devices" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "player_id" UUID NOT NULL,
    "secret_hash" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "guest_devices_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "signing_keys" (
    "kid" TEXT NOT NULL,
    "alg" TEXT NOT NULL,
    "public_jwk" JSONB NOT NULL,
    "private_key_sealed" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "activates_at" TIMESTAMPTZ(3) NOT NULL,
    "retires_at" TIMESTAMPTZ(3),

    CONSTRAINT "signing_keys_pkey" PRIMARY KEY ("kid")
);

-- CreateIndex
CREATE INDEX "guest_devices_player_id_idx" ON "guest_devices"("player_id");

-- CreateIndex
CREATE INDEX "signing_keys_retires_at_idx" ON "signing_keys"("retires_at");

-- CreateIndex
CREATE UNIQUE INDEX "players_display_name_key_key" ON "players"("display_name_key");

-- AddForeignKey
ALTER TABLE "guest_devices" ADD CONSTRAINT "guest_devices_player_id_fkey" FOREIGN KEY ("player_id") REFERENCES "players"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Hand-written (Prisma cannot express these): names are unique regardless of case through display_name_key,
-- which must be lower(display_name) and set exactly when display_name is.
UPDATE "players" SET "display_name_key" = lower("display_name") WHERE "display_name" IS NOT NULL;
ALTER TABLE "players" ADD CONSTRAINT "players_display_name_key_check" CHECK (("display_name" IS NULL AND "display_name_key" IS NULL) OR "display_name_key" = lower("display_name"));
ALTER TABLE "signing_keys" ADD CONSTRAINT "signing_keys_alg_check" CHECK ("alg" IN ('EdDSA', 'ES256'));
ALTER TABLE "refresh_token_families" ADD CONSTRAINT "refresh_token_families_revoked_reason_check" CHECK (("revoked_at" IS NULL) = ("revoked_reason" IS NULL));
