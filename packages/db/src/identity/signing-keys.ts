/**
 * The store of access-token signing keys (see apps/game-api/src/auth/keys.ts for the rotation policy). Rows hold
 * the public JWK and the sealed private key; nothing here can decrypt them.
 */
import type { Db } from '../index.ts';

/** A stored signing key. */
export interface SigningKeyRecord {
  kid: string;
  alg: string;
  publicJwk: Record<string, unknown>;
  /** AES-256-GCM sealed PKCS#8 PEM (see @harvest/auth/signing `sealPrivateKey`). */
  privateKeySealed: Uint8Array;
  createdAt: Date;
  /** From when it signs. */
  activatesAt: Date;
  /** Until when it is published (null: no successor yet). */
  retiresAt: Date | null;
}

/** A key to add by rotation. */
export type NewSigningKey = Omit<SigningKeyRecord, 'createdAt' | 'retiresAt'>;

/** Reads and rotates signing keys. */
export interface SigningKeyStore {
  /** Keys still published at `now` (not retired), newest activation first. */
  listPublished(now: Date): Promise<SigningKeyRecord[]>;
  /**
   * Adds `key` and sets `retirePreviousAt` on every key without a retirement time, provided the newest such key is
   * still `expectedCurrentKid` (null: there is none). Otherwise another replica rotated first and nothing changes.
   */
  rotate(input: {
    key: NewSigningKey;
    expectedCurrentKid: string | null;
    retirePreviousAt: Date;
  }): Promise<{ rotated: boolean; currentKid: string }>;
}

/** How long retired keys stay in the table after they left the JWKS. */
const RETIRED_KEPT_MS = 30 * 24 * 60 * 60 * 1000;

/** Advisory lock key serialising rotations across replicas (any fixed 64-bit number). */
const ROTATION_LOCK = 4_711_002_281n;

/** The signing-key store on the game database. */
export function createSigningKeyStore(db: Db): SigningKeyStore {
  return {
    async listPublished(now) {
      const rows = await db.signingKey.findMany({
        where: { OR: [{ retiresAt: null }, { retiresAt: { gt: now } }] },
        orderBy: { activatesAt: 'desc' },
      });
      return rows.map((row) => ({ ...row, publicJwk: row.publicJwk as Record<string, unknown> }));
    },
    async rotate({ key, expectedCurrentKid, retirePreviousAt }) {
      return db.$transaction(async (tx) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(${ROTATION_LOCK})`;
        const newest = await tx.signingKey.findFirst({
          where: { retiresAt: null },
          orderBy: { activatesAt: 'desc' },
          select: { kid: true },
        });
        if ((newest?.kid ?? null) !== expectedCurrentKid) return { rotated: false, currentKid: newest?.kid ?? '' };
        await tx.signingKey.updateMany({ where: { retiresAt: null }, data: { retiresAt: retirePreviousAt } });
        // Keys retired long ago verify nothing any more; keep a month for audits, then drop them.
        await tx.signingKey.deleteMany({ where: { retiresAt: { lt: new Date(Date.now() - RETIRED_KEPT_MS) } } });
        await tx.signingKey.create({
          data: {
            kid: key.kid,
            alg: key.alg,
            publicJwk: key.publicJwk as object,
            privateKeySealed: Buffer.from(key.privateKeySealed),
            activatesAt: key.activatesAt,
          },
        });
        return { rotated: true, currentKid: key.kid };
      });
    },
  };
}
