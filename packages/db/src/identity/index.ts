/**
 * Identity services: players, wallets, guests, sessions (refresh-token families), profiles, roles and the
 * access-token signing-key store. Used by game-api's auth routes and its roles CLI.
 */
export {
  createGuest,
  type LinkedWallet,
  linkWallet,
  listWallets,
  normalizeAddress,
  type SignedIn,
  signInGuest,
  signInWithWallet,
  unlinkWallet,
} from './accounts.ts';
export { getProfile, type PlayerRef, type Profile, resolvePlayer, setRole, updateProfile } from './profile.ts';
export {
  createSessionInTx,
  ENDED_SESSION_KEPT_MS,
  type NewRefreshToken,
  pruneEndedSessions,
  REFRESH_TOKEN_TTL_MS,
  type RefreshOutcome,
  revokePlayerSessionsInTx,
  revokeSession,
  rotateRefreshToken,
  type SessionPlayer,
} from './sessions.ts';
export { createSigningKeyStore, type NewSigningKey, type SigningKeyRecord, type SigningKeyStore } from './signing-keys.ts';
