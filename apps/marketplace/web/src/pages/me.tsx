/** My items: sign in with the wallet (SIWE through the game API), list what I hold (approve + sign), my listings. */
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { type Hex, parseEther } from 'viem';
import { api, type MyItems } from '../api.ts';
import type { Ctx } from '../app.tsx';
import { price } from '../format.ts';
import { cancelListing, DOMAIN_TYPES } from './token.tsx';

const ZERO = '0x0000000000000000000000000000000000000000';
const DAY = 86_400;

function ListForm({ ctx, item, mine, onListed }: { ctx: Ctx; item: MyItems['items'][number]; mine: MyItems; onListed: () => void }) {
  const [amount, setAmount] = useState('');
  const [days, setDays] = useState('7');
  const [step, setStep] = useState<string | null>(null);
  const id = `${item.collection}-${item.tokenId}`;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!(await ctx.ready()) || !ctx.wallet || !ctx.account) return;
    let wei: bigint;
    try {
      wei = parseEther(amount.trim());
    } catch {
      ctx.notify('error', 'Enter the price in ETH, for example 0.05.');
      return;
    }
    if (wei <= 0n) {
      ctx.notify('error', 'Enter a price above zero.');
      return;
    }
    const wallet = ctx.wallet;
    const account = ctx.account;
    const { marketplace } = ctx.config.contracts;
    try {
      if (!(await wallet.isApprovedForAll(item.collection as Hex, account, marketplace))) {
        setStep('Approve the marketplace in your wallet (once per collection)…');
        const hash = await wallet.send(account, { to: item.collection as Hex, data: wallet.approveAllData(marketplace) });
        if (!(await wallet.waitForReceipt(hash))) throw new Error('The approval transaction failed.');
      }
      setStep('Sign the listing in your wallet…');
      const counter = await wallet.counterOf(marketplace, account);
      const taken = new Set(mine.listings.filter((l) => l.status === 'active').map((l) => l.salt));
      let salt = 0n;
      while (taken.has(salt.toString()) || (await wallet.isSaltUsed(marketplace, account, salt))) salt++;
      const now = Math.floor(Date.now() / 1000);
      const order = {
        maker: account,
        collection: item.collection,
        tokenId: item.tokenId,
        price: wei.toString(),
        currency: ZERO,
        startTime: String(now - 60),
        endTime: String(now + Math.max(1, Math.min(180, Number(days) || 7)) * DAY),
        salt: salt.toString(),
        counter: counter.toString(),
      };
      const signature = await wallet.signTypedData(account, {
        domain: ctx.config.domain,
        types: { EIP712Domain: DOMAIN_TYPES, ...ctx.config.orderTypes },
        primaryType: 'Order',
        message: order,
      });
      await api.createListing({ chainId: ctx.config.chainId, order, signature });
      ctx.notify('info', `${item.name} is listed for ${price(wei.toString())}.`);
      onListed();
    } catch (error) {
      ctx.fail(error);
    } finally {
      setStep(null);
    }
  };

  return (
    <form onSubmit={(event) => void submit(event)} className="list-form" aria-label={`List ${item.name}`}>
      <label htmlFor={`price-${id}`}>Price (ETH)</label>
      <input id={`price-${id}`} value={amount} onChange={(e) => setAmount(e.target.value)} inputMode="decimal" required />
      <label htmlFor={`days-${id}`}>Days</label>
      <input id={`days-${id}`} value={days} onChange={(e) => setDays(e.target.value)} inputMode="numeric" />
      <button type="submit" disabled={step !== null}>
        List for sale
      </button>
      {step ? <span role="status">{step}</span> : null}
    </form>
  );
}

export function MyItemsPage({ ctx }: { ctx: Ctx }) {
  const [mine, setMine] = useState<MyItems | null>(null);
  const load = useCallback(async () => {
    if (!ctx.token) return;
    try {
      setMine(await api.me(ctx.token));
    } catch (error) {
      ctx.fail(error);
      setMine(null);
    }
  }, [ctx]);
  useEffect(() => {
    void load();
  }, [load]);

  if (!ctx.account) {
    return (
      <section aria-labelledby="me-title">
        <h1 id="me-title">My items</h1>
        <p>Connect your wallet to see and sell your cards and land.</p>
        <button type="button" onClick={() => void ctx.connect()}>
          Connect wallet
        </button>
      </section>
    );
  }
  if (!ctx.token) {
    return (
      <section aria-labelledby="me-title">
        <h1 id="me-title">My items</h1>
        <p>Sign in with your wallet to see the items of your game account.</p>
        <button type="button" onClick={() => void ctx.signIn()}>
          Sign in with wallet
        </button>
      </section>
    );
  }
  const live = mine?.listings.filter((l) => l.status === 'active' && l.blockers.length === 0) ?? [];
  const listed = new Set(live.map((l) => `${l.collection}:${l.tokenId}`));
  return (
    <section aria-labelledby="me-title">
      <h1 id="me-title">My items</h1>
      {!mine ? <p>Loading…</p> : null}
      {mine && mine.items.length === 0 ? <p>Your wallets hold no minted cards or land yet. Mint them in the game first.</p> : null}
      <ul className="grid" data-testid="my-items">
        {mine?.items.map((item) => (
          <li key={`${item.collection}:${item.tokenId}`} className="card">
            <a href={`#/token/${item.collection}/${item.tokenId}`}>
              <img src={item.imageUrl} alt="" width={160} height={240} loading="lazy" />
              <span className="name">{item.name}</span>
            </a>
            {listed.has(`${item.collection}:${item.tokenId}`) ? (
              <p>Listed</p>
            ) : item.state !== null && item.state !== 'on_chain' ? (
              <p>Not tradeable now ({item.state.replace('_', ' ')})</p>
            ) : mine ? (
              <ListForm ctx={ctx} item={item} mine={mine} onListed={() => void load()} />
            ) : null}
          </li>
        ))}
      </ul>
      <h2>My listings</h2>
      {live.length === 0 ? <p>No live listings.</p> : null}
      <ul className="rows" data-testid="my-listings">
        {live.map((l) => (
          <li key={l.orderHash}>
            <a href={`#/token/${l.collection}/${l.tokenId}`}>{l.name}</a> — {price(l.price, l.currency)}{' '}
            <button type="button" onClick={() => void cancelListing(ctx, l, 'soft').then(load)}>
              Withdraw
            </button>{' '}
            <button type="button" onClick={() => void cancelListing(ctx, l, 'hard').then(load)}>
              Cancel on chain
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
