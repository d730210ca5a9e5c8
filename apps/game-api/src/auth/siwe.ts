/**
 * Sign-In with Ethereum (EIP-4361) checks. Every check has its own error code (see @harvest/shared/errors), in the
 * order: message shape, domain, URI, chain id, time window, then the signature. Ordinary wallets are checked by
 * public-key recovery in native code (libsecp256k1: about 25x faster than the JS recovery, which would cap a core
 * near 600 logins/s); smart-contract wallets (EIP-1271) by an `isValidSignature` call on the configured chain.
 * The nonce is checked by the caller (it lives in Redis), after the signature: see nonces.ts.
 */
import { createRequire } from 'node:module';
import { AppError } from '@harvest/shared/errors';
import { type Address, getAddress, type Hex, hashMessage, hexToBytes, isHex, keccak256, type PublicClient } from 'viem';
import { parseSiweMessage, validateSiweMessage } from 'viem/siwe';

// secp256k1 is CommonJS with a native binding (prebuilt for linux-x64; falls back to the `elliptic` JS code).
const secp256k1 = createRequire(import.meta.url)('secp256k1') as typeof import('secp256k1');

/** A SIWE message after every check but the nonce. */
export interface VerifiedSiwe {
  /** Checksummed signer address. */
  address: Address;
  chainId: number;
  nonce: string;
  /** How the signature was proved. */
  walletKind: 'eoa' | 'contract';
  issuedAt: Date;
}

/** What the game accepts in a SIWE message. */
export interface SiwePolicy {
  /** RFC 3986 authorities (host[:port]) a message may name, e.g. `game.harvest.example`. */
  domains: readonly string[];
  /** URIs a message may name: exact, or a prefix when the entry ends with `/`. */
  uris: readonly string[];
  /** Chain ids a message may name. */
  chainIds: readonly number[];
  /** Seconds of clock skew tolerated on `Issued At` and `Not Before` in the future (default 5). */
  clockSkewSeconds?: number;
}

/** Checks an EIP-1271 signature for a contract account; false when the account has no code there. */
export type ContractSignatureCheck = (chainId: number, address: Address, hash: Hex, signature: Hex) => Promise<boolean>;

export interface SiweVerifierDeps {
  policy: SiwePolicy;
  /** Absent: contract wallets are refused (SIWE_SIGNATURE_INVALID). */
  contractSignatures?: ContractSignatureCheck;
  /** Epoch milliseconds. */
  now?: () => number;
}

/** Largest SIWE message accepted, in characters (a real one is about 400). */
export const SIWE_MESSAGE_MAX_LENGTH = 4096;

// The EIP-4361 grammar, anchored at both ends (viem's parser is not anchored at the end, so trailing text would
// otherwise be ignored by the field checks while still being signed).
const MESSAGE_SHAPE = new RegExp(
  [
    '^(?:[a-zA-Z][a-zA-Z0-9+\\-.]*://)?[a-zA-Z0-9+\\-.]+(?::[0-9]{1,5})? wants you to sign in with your Ethereum account:\\n',
    '0x[a-fA-F0-9]{40}\\n\\n',
    '(?:[^\\n]+\\n\\n|\\n)?',
    'URI: [^\\n]+\\nVersion: 1\\nChain ID: [0-9]+\\nNonce: [a-zA-Z0-9]{8,}\\nIssued At: [^\\n]+',
    '(?:\\nExpiration Time: [^\\n]+)?(?:\\nNot Before: [^\\n]+)?(?:\\nRequest ID: [^\\n]*)?(?:\\nResources:(?:\\n- [^\\n]+)*)?$',
  ].join(''),
);

const invalidMessage = (why: string) => new AppError('SIWE_MESSAGE_INVALID', `the SIWE message is malformed: ${why}`);
const isValidDate = (value: Date | undefined): value is Date => value instanceof Date && !Number.isNaN(value.getTime());

function uriAllowed(uri: string, allowed: readonly string[]): boolean {
  return allowed.some((entry) => uri === entry || (entry.endsWith('/') && uri.startsWith(entry)));
}

/** The signer of an EIP-191 personal message from a 65-byte signature, or undefined when it does not recover. */
export function recoverPersonalSigner(message: string, signature: Hex): Address | undefined {
  if (!isHex(signature) || signature.length !== 132) return undefined;
  const bytes = hexToBytes(signature);
  const v = bytes[64] as number;
  const recovery = v >= 27 ? v - 27 : v;
  if (recovery !== 0 && recovery !== 1) return undefined;
  try {
    const publicKey = secp256k1.ecdsaRecover(bytes.subarray(0, 64), recovery, hexToBytes(hashMessage(message)), false);
    return getAddress(`0x${keccak256(publicKey.subarray(1)).slice(-40)}`);
  } catch {
    return undefined;
  }
}

/** EIP-1271 through a viem public client per chain: `isValidSignature(hash, signature)` must return the magic value. */
export function createContractSignatureCheck(
  clients: ReadonlyMap<number, Pick<PublicClient, 'getCode' | 'readContract'>>,
): ContractSignatureCheck {
  const abi = [
    {
      type: 'function',
      name: 'isValidSignature',
      stateMutability: 'view',
      inputs: [
        { name: 'hash', type: 'bytes32' },
        { name: 'signature', type: 'bytes' },
      ],
      outputs: [{ name: '', type: 'bytes4' }],
    },
  ] as const;
  return async (chainId, address, hash, signature) => {
    const client = clients.get(chainId);
    if (!client) return false;
    let code: Hex | undefined;
    try {
      code = await client.getCode({ address });
    } catch (error) {
      throw new AppError('SERVICE_UNAVAILABLE', 'the chain could not be reached to check a contract wallet', { cause: String(error) });
    }
    if (!code || code === '0x') return false;
    try {
      const result = await client.readContract({ address, abi, functionName: 'isValidSignature', args: [hash, signature] });
      return result.toLowerCase() === '0x1626ba7e';
    } catch {
      // A revert or a wallet without the function is a refusal, not an outage.
      return false;
    }
  };
}

/** The SIWE checks, bound to a policy. */
export interface SiweVerifier {
  /** Parses and checks everything but the nonce; throws the AppError of the first failed check. */
  verify(message: string, signature: Hex): Promise<VerifiedSiwe>;
  /** Only the parse step (for per-address rate limits before the signature work). */
  parseAddress(message: string): Address | undefined;
}

/** A SIWE verifier for one policy. */
export function createSiweVerifier(deps: SiweVerifierDeps): SiweVerifier {
  const { policy } = deps;
  const now = deps.now ?? Date.now;
  const skewMs = (policy.clockSkewSeconds ?? 5) * 1000;
  const domains = new Set(policy.domains.map((d) => d.toLowerCase()));
  const chainIds = new Set(policy.chainIds);

  return {
    parseAddress(message) {
      if (message.length > SIWE_MESSAGE_MAX_LENGTH) return undefined;
      const address = parseSiweMessage(message).address;
      return address && /^0x[a-fA-F0-9]{40}$/.test(address) ? getAddress(address) : undefined;
    },

    async verify(message, signature) {
      if (message.length > SIWE_MESSAGE_MAX_LENGTH) throw invalidMessage('too long');
      if (!MESSAGE_SHAPE.test(message)) throw invalidMessage('it does not follow the EIP-4361 layout');
      const parsed = parseSiweMessage(message);
      if (!parsed.address || !parsed.domain || !parsed.uri || !parsed.nonce || parsed.chainId === undefined) {
        throw invalidMessage('a required field is missing');
      }
      if (!isValidDate(parsed.issuedAt)) throw invalidMessage('Issued At is not an RFC 3339 date-time');
      if (parsed.expirationTime !== undefined && !isValidDate(parsed.expirationTime))
        throw invalidMessage('Expiration Time is not a date-time');
      if (parsed.notBefore !== undefined && !isValidDate(parsed.notBefore)) throw invalidMessage('Not Before is not a date-time');
      if (parsed.scheme !== undefined && parsed.scheme !== 'https' && parsed.scheme !== 'http') throw invalidMessage('unsupported scheme');

      if (!domains.has(parsed.domain.toLowerCase())) {
        throw new AppError('SIWE_DOMAIN_NOT_ALLOWED', `sign-in requests for ${parsed.domain} are not accepted here`, {
          domain: parsed.domain,
        });
      }
      if (!uriAllowed(parsed.uri, policy.uris)) {
        throw new AppError('SIWE_URI_NOT_ALLOWED', 'the message URI is not one this game accepts', { uri: parsed.uri });
      }
      if (!chainIds.has(parsed.chainId)) {
        throw new AppError('SIWE_CHAIN_NOT_ALLOWED', `chain ${parsed.chainId} is not accepted for sign-in`, {
          chainId: parsed.chainId,
          allowed: [...chainIds],
        });
      }
      const at = now();
      if (parsed.expirationTime && at >= parsed.expirationTime.getTime()) {
        throw new AppError('SIWE_EXPIRED', 'the sign-in message has expired', { expirationTime: parsed.expirationTime.toISOString() });
      }
      if (parsed.notBefore && at + skewMs < parsed.notBefore.getTime()) {
        throw new AppError('SIWE_NOT_YET_VALID', 'the sign-in message is not valid yet', { notBefore: parsed.notBefore.toISOString() });
      }
      if (at + skewMs < parsed.issuedAt.getTime()) {
        throw new AppError('SIWE_NOT_YET_VALID', 'the sign-in message was issued in the future', {
          issuedAt: parsed.issuedAt.toISOString(),
        });
      }

      // Second opinion of viem's validator on the fields other than time (checked above with the skew): nonce format,
      // version, address.
      const { expirationTime: _expires, notBefore: _notBefore, ...untimed } = parsed;
      if (!validateSiweMessage({ message: untimed, domain: parsed.domain })) {
        throw invalidMessage('it does not pass EIP-4361 validation');
      }

      const address = getAddress(parsed.address);
      const base = { address, chainId: parsed.chainId, nonce: parsed.nonce, issuedAt: parsed.issuedAt };
      if (recoverPersonalSigner(message, signature) === address) return { ...base, walletKind: 'eoa' };
      if (deps.contractSignatures && isHex(signature) && signature.length <= 2 + 2 * 4096) {
        if (await deps.contractSignatures(parsed.chainId, address, hashMessage(message), signature))
          return { ...base, walletKind: 'contract' };
      }
      throw new AppError('SIWE_SIGNATURE_INVALID', 'the signature does not prove the message address');
    },
  };
}
