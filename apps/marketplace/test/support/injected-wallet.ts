/// <reference lib="dom" />
/**
 * An EIP-1193 wallet injected into a browser context for end-to-end tests, announced through EIP-6963 (and as
 * window.ethereum). It holds one of the Hardhat node's unlocked accounts and forwards every request to the node
 * through a Playwright binding (so the page never talks to the node itself). It starts on chain 1, so the page has
 * to offer a network switch, and answers wallet_switchEthereumChain like a real wallet (chainChanged event).
 */
import type { BrowserContext } from 'playwright-core';

/** The browser side: defines the provider and announces it. Runs before any page script. */
function installProvider(): void {
  const w = window as unknown as {
    __harvestWallet(method: string, params: unknown[]): Promise<{ result?: unknown; error?: { code: number; message: string } }>;
    ethereum?: unknown;
  };
  // Like a real wallet, it remembers its network across reloads (per tab); a fresh tab starts on chain 1.
  let chainId = sessionStorage.getItem('harvestTestWallet.chainId') ?? '0x1';
  const listeners = new Map<string, Array<(value: unknown) => void>>();
  const emit = (event: string, value: unknown) => {
    for (const listener of listeners.get(event) ?? []) listener(value);
  };
  const provider = {
    isHarvestTestWallet: true,
    async request({ method, params }: { method: string; params?: unknown[] }) {
      if (method === 'eth_chainId') return chainId;
      if (method === 'wallet_switchEthereumChain') {
        chainId = String((params?.[0] as { chainId?: string } | undefined)?.chainId ?? chainId);
        sessionStorage.setItem('harvestTestWallet.chainId', chainId);
        emit('chainChanged', chainId);
        return null;
      }
      const answer = await w.__harvestWallet(method, params ?? []);
      if (answer.error) throw Object.assign(new Error(answer.error.message), { code: answer.error.code });
      return answer.result;
    },
    on(event: string, listener: (value: unknown) => void) {
      listeners.set(event, [...(listeners.get(event) ?? []), listener]);
    },
    removeListener(event: string, listener: (value: unknown) => void) {
      listeners.set(
        event,
        (listeners.get(event) ?? []).filter((l) => l !== listener),
      );
    },
  };
  const info = Object.freeze({
    uuid: '6d1f2b5e-8c3a-4e0f-9b7d-1a2b3c4d5e6f',
    name: 'Harvest Test Wallet',
    icon: 'data:image/svg+xml,%3Csvg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/%3E',
    rdns: 'dev.harvest.test-wallet',
  });
  const announce = () => window.dispatchEvent(new CustomEvent('eip6963:announceProvider', { detail: Object.freeze({ info, provider }) }));
  window.addEventListener('eip6963:requestProvider', announce);
  w.ethereum = provider;
  announce();
}

/** Injects a wallet holding `account` (an unlocked account of the node at `rpcUrl`) into every page of `context`. */
export async function injectWallet(
  context: BrowserContext,
  input: { rpcUrl: string; account: `0x${string}`; log?: string[] },
): Promise<void> {
  const account = input.account.toLowerCase();
  let id = 0;
  await context.exposeFunction('__harvestWallet', async (method: string, params: unknown[]) => {
    input.log?.push(method);
    if (method === 'eth_requestAccounts' || method === 'eth_accounts') return { result: [input.account] };
    if (method === 'eth_sendTransaction') {
      const tx = params[0] as { from?: string };
      if (tx.from?.toLowerCase() !== account) return { error: { code: 4100, message: 'the wallet holds another account' } };
    }
    if (method === 'eth_signTypedData_v4' && String(params[0]).toLowerCase() !== account) {
      return { error: { code: 4100, message: 'the wallet holds another account' } };
    }
    if (method === 'personal_sign' && String(params[1]).toLowerCase() !== account) {
      return { error: { code: 4100, message: 'the wallet holds another account' } };
    }
    const response = await fetch(input.rpcUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
    });
    const body = (await response.json()) as { result?: unknown; error?: { code: number; message: string } };
    return body.error ? { error: body.error } : { result: body.result ?? null };
  });
  await context.addInitScript(installProvider);
}
