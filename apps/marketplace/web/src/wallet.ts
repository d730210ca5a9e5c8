/**
 * Wallets in the browser: EIP-6963 discovery (every injected wallet announces itself) with window.ethereum
 * (EIP-1193) as the fallback, and the few calls the marketplace makes through the chosen provider: accounts, chain
 * (and switching it), typed-data and personal signatures, transactions and their receipts, read-only calls.
 */
import { decodeFunctionResult, encodeFunctionData, getAddress, type Hex, numberToHex, parseAbi, stringToHex } from 'viem';

/** An EIP-1193 provider. */
export interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] | object }): Promise<unknown>;
  on?(event: string, listener: (...args: unknown[]) => void): void;
  removeListener?(event: string, listener: (...args: unknown[]) => void): void;
}

/** A wallet found through EIP-6963 (or the legacy injected provider). */
export interface WalletChoice {
  uuid: string;
  name: string;
  icon: string;
  provider: Eip1193Provider;
}

/** Asks injected wallets to announce themselves and collects them for `waitMs`. */
export function discoverWallets(waitMs = 300): Promise<WalletChoice[]> {
  return new Promise((resolve) => {
    const found = new Map<string, WalletChoice>();
    const onAnnounce = (event: Event) => {
      const detail = (event as CustomEvent<{ info: { uuid: string; name: string; icon: string }; provider: Eip1193Provider }>).detail;
      if (detail?.info?.uuid && detail.provider) found.set(detail.info.uuid, { ...detail.info, provider: detail.provider });
    };
    window.addEventListener('eip6963:announceProvider', onAnnounce);
    window.dispatchEvent(new Event('eip6963:requestProvider'));
    setTimeout(() => {
      window.removeEventListener('eip6963:announceProvider', onAnnounce);
      const legacy = (window as unknown as { ethereum?: Eip1193Provider }).ethereum;
      if (found.size === 0 && legacy) found.set('injected', { uuid: 'injected', name: 'Browser wallet', icon: '', provider: legacy });
      resolve([...found.values()]);
    }, waitMs);
  });
}

const marketAbi = parseAbi([
  'struct Order { address maker; address collection; uint256 tokenId; uint256 price; address currency; uint256 startTime; uint256 endTime; uint256 salt; uint256 counter; }',
  'function fill(Order order, bytes signature) payable returns (bytes32)',
  'function cancel(uint256 salt)',
  'function counterOf(address maker) view returns (uint256)',
  'function isSaltUsed(address maker, uint256 salt) view returns (bool)',
]);
const erc721Abi = parseAbi([
  'function isApprovedForAll(address owner, address operator) view returns (bool)',
  'function setApprovalForAll(address operator, bool approved)',
]);

/** A wallet error with its EIP-1193 code (4001: the user declined). */
export class WalletError extends Error {
  readonly code: string;
  constructor(code: string | number, message: string) {
    super(message);
    this.code = String(code);
  }
}

function asWalletError(error: unknown): WalletError {
  const e = error as { code?: number | string; message?: string };
  return new WalletError(e?.code ?? 'WALLET', e?.message ?? 'the wallet refused');
}

/** The marketplace's calls through one provider. */
export function walletOf(provider: Eip1193Provider) {
  const call = async <T>(method: string, params?: unknown[]): Promise<T> => {
    try {
      return (await provider.request(params === undefined ? { method } : { method, params })) as T;
    } catch (error) {
      throw asWalletError(error);
    }
  };
  const read = async (to: Hex, data: Hex): Promise<Hex> => call<Hex>('eth_call', [{ to, data }, 'latest']);
  return {
    provider,
    async connect(): Promise<Hex> {
      const accounts = await call<string[]>('eth_requestAccounts');
      if (!accounts[0]) throw new WalletError('NO_ACCOUNT', 'the wallet has no account');
      return getAddress(accounts[0]);
    },
    async chainId(): Promise<number> {
      return Number(await call<string>('eth_chainId'));
    },
    async switchChain(chainId: number, chainName: string): Promise<void> {
      try {
        await call('wallet_switchEthereumChain', [{ chainId: numberToHex(chainId) }]);
      } catch (error) {
        if ((error as WalletError).code !== '4902') throw error;
        await call('wallet_addEthereumChain', [
          { chainId: numberToHex(chainId), chainName, nativeCurrency: { name: 'Ether', symbol: 'ETH', decimals: 18 }, rpcUrls: [] },
        ]);
      }
    },
    signTypedData: (account: Hex, typedData: object) => call<Hex>('eth_signTypedData_v4', [account, JSON.stringify(typedData)]),
    personalSign: (account: Hex, message: string) => call<Hex>('personal_sign', [stringToHex(message), account]),
    async send(account: Hex, tx: { to: Hex; data: Hex; value?: bigint }): Promise<Hex> {
      return call<Hex>('eth_sendTransaction', [
        { from: account, to: tx.to, data: tx.data, ...(tx.value ? { value: numberToHex(tx.value) } : {}) },
      ]);
    },
    /** Polls for the receipt; true when the transaction succeeded. */
    async waitForReceipt(hash: Hex, timeoutMs = 120_000): Promise<boolean> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const receipt = await call<{ status: Hex } | null>('eth_getTransactionReceipt', [hash]);
        if (receipt) return receipt.status === '0x1';
        if (Date.now() > deadline) throw new WalletError('TIMEOUT', 'the transaction was not mined in time');
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    },
    async isApprovedForAll(collection: Hex, owner: Hex, operator: Hex): Promise<boolean> {
      const data = encodeFunctionData({ abi: erc721Abi, functionName: 'isApprovedForAll', args: [owner, operator] });
      return decodeFunctionResult({ abi: erc721Abi, functionName: 'isApprovedForAll', data: await read(collection, data) });
    },
    approveAllData: (operator: Hex) => encodeFunctionData({ abi: erc721Abi, functionName: 'setApprovalForAll', args: [operator, true] }),
    async counterOf(marketplace: Hex, maker: Hex): Promise<bigint> {
      const data = encodeFunctionData({ abi: marketAbi, functionName: 'counterOf', args: [maker] });
      return decodeFunctionResult({ abi: marketAbi, functionName: 'counterOf', data: await read(marketplace, data) });
    },
    async isSaltUsed(marketplace: Hex, maker: Hex, salt: bigint): Promise<boolean> {
      const data = encodeFunctionData({ abi: marketAbi, functionName: 'isSaltUsed', args: [maker, salt] });
      return decodeFunctionResult({ abi: marketAbi, functionName: 'isSaltUsed', data: await read(marketplace, data) });
    },
    fillData: (order: Record<string, string>, signature: Hex) =>
      encodeFunctionData({
        abi: marketAbi,
        functionName: 'fill',
        args: [
          {
            maker: order.maker as Hex,
            collection: order.collection as Hex,
            tokenId: BigInt(order.tokenId as string),
            price: BigInt(order.price as string),
            currency: order.currency as Hex,
            startTime: BigInt(order.startTime as string),
            endTime: BigInt(order.endTime as string),
            salt: BigInt(order.salt as string),
            counter: BigInt(order.counter as string),
          },
          signature,
        ],
      }),
    cancelData: (salt: bigint) => encodeFunctionData({ abi: marketAbi, functionName: 'cancel', args: [salt] }),
  };
}

/** The wallet helper type. */
export type Wallet = ReturnType<typeof walletOf>;

/** An EIP-4361 (SIWE) message for this page's origin. */
export function siweMessage(input: { address: Hex; chainId: number; nonce: string; issuedAt: Date }): string {
  return [
    `${window.location.host} wants you to sign in with your Ethereum account:`,
    input.address,
    '',
    'Sign in to the Harvest Battles marketplace to see your items.',
    '',
    `URI: ${window.location.origin}/`,
    'Version: 1',
    `Chain ID: ${input.chainId}`,
    `Nonce: ${input.nonce}`,
    `Issued At: ${input.issuedAt.toISOString()}`,
  ].join('\n');
}
