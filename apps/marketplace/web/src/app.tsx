/**
 * The marketplace front end: browse and search, token detail, my items (SIWE sign-in through the game API), list,
 * buy, cancel, activity. Hash routes (#/token/<collection>/<id>, #/me, #/activity) so the server serves one page.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { getAddress, type Hex } from 'viem';
import { api, explain, type MarketConfig } from './api.ts';
import { ActivityPage } from './pages/activity.tsx';
import { BrowsePage } from './pages/browse.tsx';
import { MyItemsPage } from './pages/me.tsx';
import { TokenPage } from './pages/token.tsx';
import { discoverWallets, siweMessage, type Wallet, type WalletChoice, walletOf } from './wallet.ts';

/** What every page gets: config, the connected wallet, the session and a way to report outcomes. */
export interface Ctx {
  config: MarketConfig;
  wallet: Wallet | null;
  account: Hex | null;
  /** The wallet is connected to the marketplace's chain. */
  onChain: boolean;
  token: string | null;
  connect(): Promise<void>;
  signIn(): Promise<string | null>;
  /** Makes sure the wallet is connected and on the right chain; false (with a notice) when it is not. */
  ready(): Promise<boolean>;
  notify(kind: 'info' | 'error', text: string): void;
  fail(error: unknown): void;
}

function useHashRoute(): string[] {
  const [hash, setHash] = useState(() => window.location.hash);
  useEffect(() => {
    const onChange = () => {
      setHash(window.location.hash);
      document.getElementById('main')?.focus();
    };
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return hash.replace(/^#\/?/, '').split('/').filter(Boolean);
}

const short = (address: string) => `${address.slice(0, 6)}…${address.slice(-4)}`;

export function App() {
  const [config, setConfig] = useState<MarketConfig | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [choices, setChoices] = useState<WalletChoice[]>([]);
  const [wallet, setWallet] = useState<Wallet | null>(null);
  const [account, setAccount] = useState<Hex | null>(null);
  const [chainId, setChainId] = useState<number | null>(null);
  const [token, setToken] = useState<string | null>(() => sessionStorage.getItem('harvest.accessToken'));
  const [notice, setNotice] = useState<{ kind: 'info' | 'error'; text: string } | null>(null);
  const route = useHashRoute();

  useEffect(() => {
    api.config().then(setConfig, (error: unknown) => setLoadError(explain(error)));
    // A wallet connected before is reconnected without a prompt (eth_accounts), so a reload keeps the session.
    void discoverWallets().then(async (found) => {
      setChoices(found);
      const choice = found.find((c) => c.uuid === localStorage.getItem('harvest.wallet'));
      if (!choice) return;
      try {
        const accounts = (await choice.provider.request({ method: 'eth_accounts' })) as string[];
        if (!accounts[0]) return;
        const w = walletOf(choice.provider);
        const address = getAddress(accounts[0]);
        if (sessionStorage.getItem('harvest.accessTokenAccount') !== address) {
          sessionStorage.removeItem('harvest.accessToken');
          setToken(null);
        }
        setWallet(w);
        setAccount(address);
        setChainId(await w.chainId());
      } catch {
        // Not connected any more: the user connects again.
      }
    });
  }, []);

  const notify = useCallback((kind: 'info' | 'error', text: string) => setNotice({ kind, text }), []);
  const fail = useCallback((error: unknown) => setNotice({ kind: 'error', text: explain(error) }), []);

  useEffect(() => {
    if (!wallet?.provider.on) return;
    const onChain = (id: unknown) => setChainId(Number(id));
    const onAccounts = (accounts: unknown) => {
      const next = (accounts as string[])[0];
      setAccount(next ? (next as Hex) : null);
      setToken(null);
      sessionStorage.removeItem('harvest.accessToken');
    };
    wallet.provider.on('chainChanged', onChain);
    wallet.provider.on('accountsChanged', onAccounts);
    return () => {
      wallet.provider.removeListener?.('chainChanged', onChain);
      wallet.provider.removeListener?.('accountsChanged', onAccounts);
    };
  }, [wallet]);

  const connectWith = useCallback(
    async (choice: WalletChoice) => {
      const w = walletOf(choice.provider);
      try {
        const address = await w.connect();
        localStorage.setItem('harvest.wallet', choice.uuid);
        if (sessionStorage.getItem('harvest.accessTokenAccount') !== address) {
          sessionStorage.removeItem('harvest.accessToken');
          setToken(null);
        }
        setWallet(w);
        setAccount(address);
        setChainId(await w.chainId());
        setNotice(null);
      } catch (error) {
        fail(error);
      }
    },
    [fail],
  );

  const connect = useCallback(async () => {
    const found = choices.length > 0 ? choices : await discoverWallets();
    setChoices(found);
    const first = found[0];
    if (!first) {
      notify('error', 'No wallet found. Install a browser wallet (any EIP-6963 wallet works) and reload the page.');
      return;
    }
    await connectWith(first);
  }, [choices, connectWith, notify]);

  const switchNetwork = useCallback(async () => {
    if (!wallet || !config) return;
    try {
      await wallet.switchChain(config.chainId, config.chainName);
      setChainId(await wallet.chainId());
      setNotice({ kind: 'info', text: `Switched to ${config.chainName}.` });
    } catch (error) {
      fail(error);
    }
  }, [wallet, config, fail]);

  const onChain = config !== null && chainId === config.chainId;

  const ready = useCallback(async () => {
    if (!wallet || !account) {
      notify('error', 'Connect a wallet first.');
      return false;
    }
    if (!onChain) {
      notify('error', `Your wallet is on another network. Switch to ${config?.chainName ?? 'the marketplace network'} to continue.`);
      return false;
    }
    return true;
  }, [wallet, account, onChain, config, notify]);

  const signIn = useCallback(async (): Promise<string | null> => {
    if (!(await ready()) || !wallet || !account || !config) return null;
    try {
      const { nonce, nonceSession } = await api.nonce();
      const message = siweMessage({ address: account, chainId: config.chainId, nonce, issuedAt: new Date() });
      const signature = await wallet.personalSign(account, message);
      const session = await api.signIn({ message, signature, nonceSession });
      sessionStorage.setItem('harvest.accessToken', session.accessToken);
      sessionStorage.setItem('harvest.accessTokenAccount', account);
      setToken(session.accessToken);
      setNotice({ kind: 'info', text: 'Signed in.' });
      return session.accessToken;
    } catch (error) {
      fail(error);
      return null;
    }
  }, [ready, wallet, account, config, fail]);

  const ctx: Ctx | null = useMemo(
    () => (config ? { config, wallet, account, onChain, token, connect, signIn, ready, notify, fail } : null),
    [config, wallet, account, onChain, token, connect, signIn, ready, notify, fail],
  );

  const [page, ...args] = route;
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <a className="brand" href="#/">
          Harvest Market
        </a>
        <nav aria-label="Main">
          <a href="#/" aria-current={page === undefined ? 'page' : undefined}>
            Browse
          </a>
          <a href="#/me" aria-current={page === 'me' ? 'page' : undefined}>
            My items
          </a>
          <a href="#/activity" aria-current={page === 'activity' ? 'page' : undefined}>
            Activity
          </a>
        </nav>
        <div className="wallet">
          {account ? (
            <span className="account" title={account}>
              Connected: <span data-testid="account">{short(account)}</span>
            </span>
          ) : (
            <button type="button" onClick={() => void connect()}>
              Connect wallet
            </button>
          )}
          {account && config && !onChain ? (
            <button type="button" className="warn" onClick={() => void switchNetwork()}>
              Switch to {config.chainName}
            </button>
          ) : null}
        </div>
      </header>
      {account && config && !onChain ? (
        <p className="banner" role="alert">
          Wrong network: your wallet is on chain {chainId}. This marketplace uses {config.chainName}.{' '}
          <button type="button" onClick={() => void switchNetwork()}>
            Switch network
          </button>
        </p>
      ) : null}
      <div className="notices" aria-live="polite">
        {notice ? (
          <p className={`notice ${notice.kind}`} role={notice.kind === 'error' ? 'alert' : 'status'}>
            {notice.text}{' '}
            <button type="button" className="link" onClick={() => setNotice(null)} aria-label="Dismiss message">
              ×
            </button>
          </p>
        ) : null}
      </div>
      <main id="main" tabIndex={-1}>
        {loadError ? <p role="alert">The marketplace could not load: {loadError}</p> : null}
        {!ctx && !loadError ? <p>Loading…</p> : null}
        {ctx && page === undefined ? <BrowsePage ctx={ctx} /> : null}
        {ctx && page === 'token' && args[0] && args[1] ? <TokenPage ctx={ctx} collection={args[0]} tokenId={args[1]} /> : null}
        {ctx && page === 'me' ? <MyItemsPage ctx={ctx} /> : null}
        {ctx && page === 'activity' ? <ActivityPage ctx={ctx} /> : null}
      </main>
    </>
  );
}
