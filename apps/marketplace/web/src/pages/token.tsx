/** One card or parcel: image, attributes, holder, provenance, history, sales; buy it, or cancel your listing. */
import { useCallback, useEffect, useState } from 'react';
import type { Hex } from 'viem';
import { api, type ListingDetail, type TokenDetail } from '../api.ts';
import type { Ctx } from '../app.tsx';
import { price, shortAddress, title } from '../format.ts';

const HISTORY: Record<string, string> = { mint: 'Minted', transfer: 'Transferred', burn: 'Burned', sale: 'Sold' };

/** Soft (signed, off chain) and hard (on chain) cancel of a listing, shared with "my items". */
export async function cancelListing(ctx: Ctx, listing: ListingDetail, how: 'soft' | 'hard'): Promise<boolean> {
  if (!(await ctx.ready()) || !ctx.wallet || !ctx.account) return false;
  try {
    if (how === 'soft') {
      const signature = await ctx.wallet.signTypedData(ctx.account, {
        domain: ctx.config.domain,
        types: { EIP712Domain: DOMAIN_TYPES, ...ctx.config.cancelTypes },
        primaryType: 'CancelListing',
        message: { orderHash: listing.orderHash },
      });
      await api.cancelListing(listing.orderHash, signature);
      ctx.notify('info', 'Listing withdrawn. Anyone who already saw it could still buy it until you cancel it on chain.');
    } else {
      const hash = await ctx.wallet.send(ctx.account, {
        to: ctx.config.contracts.marketplace,
        data: ctx.wallet.cancelData(BigInt(listing.salt)),
      });
      ctx.notify('info', 'Cancelling on chain…');
      if (!(await ctx.wallet.waitForReceipt(hash))) throw new Error('The cancel transaction failed.');
      ctx.notify('info', 'Listing cancelled on chain. It disappears as soon as the marketplace sees the block.');
    }
    return true;
  } catch (error) {
    ctx.fail(error);
    return false;
  }
}

/** EIP-712 domain fields, in the order wallets expect them. */
export const DOMAIN_TYPES = [
  { name: 'name', type: 'string' },
  { name: 'version', type: 'string' },
  { name: 'chainId', type: 'uint256' },
  { name: 'verifyingContract', type: 'address' },
];

export function TokenPage({ ctx, collection, tokenId }: { ctx: Ctx; collection: string; tokenId: string }) {
  const [token, setToken] = useState<TokenDetail | null>(null);
  const [busy, setBusy] = useState(false);
  const [missing, setMissing] = useState(false);

  const load = useCallback(async () => {
    try {
      setToken(await api.token(collection, tokenId));
    } catch (error) {
      setMissing(true);
      ctx.fail(error);
    }
  }, [collection, tokenId, ctx]);
  useEffect(() => {
    void load();
  }, [load]);

  const buy = async (listing: ListingDetail) => {
    if (!(await ctx.ready()) || !ctx.wallet || !ctx.account) return;
    setBusy(true);
    try {
      const fresh = await api.listing(listing.orderHash);
      if (fresh.blockers.length > 0 || fresh.status !== 'active') {
        ctx.notify('error', 'This listing can no longer be bought.');
        await load();
        return;
      }
      const hash = await ctx.wallet.send(ctx.account, {
        to: ctx.config.contracts.marketplace,
        data: ctx.wallet.fillData(fresh.order as unknown as Record<string, string>, fresh.signature as Hex),
        value: BigInt(fresh.price),
      });
      ctx.notify('info', 'Purchase sent. Waiting for the block…');
      if (!(await ctx.wallet.waitForReceipt(hash))) {
        ctx.notify('error', 'The purchase failed on chain: someone else probably bought it first. You were not charged.');
      } else {
        ctx.notify('info', 'Bought! It will show in your items (and your game inventory) in a moment.');
      }
      await load();
    } catch (error) {
      ctx.fail(error);
    } finally {
      setBusy(false);
    }
  };

  if (missing && !token) return <p>This item is not available.</p>;
  if (!token) return <p>Loading…</p>;
  const listing = token.listing;
  const mine = ctx.account !== null && listing !== null && listing.maker === ctx.account.toLowerCase();
  return (
    <article aria-labelledby="token-title" className="token">
      <img src={token.imageUrl} alt={`${token.name} artwork`} width={320} height={480} />
      <div>
        <h1 id="token-title">{token.name}</h1>
        <p>{token.description}</p>
        <section aria-labelledby="buy-title" className="buybox">
          <h2 id="buy-title">{listing ? 'For sale' : 'Not for sale'}</h2>
          {listing ? (
            <>
              <p className="price" data-testid="price">
                {price(listing.price, listing.currency)}
              </p>
              <p>Seller: {shortAddress(listing.maker)}</p>
              {mine ? (
                <div className="actions">
                  <button type="button" disabled={busy} onClick={() => void cancelListing(ctx, listing, 'soft').then(load)}>
                    Withdraw listing
                  </button>
                  <button type="button" disabled={busy} onClick={() => void cancelListing(ctx, listing, 'hard').then(load)}>
                    Cancel on chain
                  </button>
                </div>
              ) : (
                <button type="button" disabled={busy} onClick={() => void buy(listing)}>
                  {busy ? 'Buying…' : `Buy for ${price(listing.price, listing.currency)}`}
                </button>
              )}
            </>
          ) : null}
        </section>
        <h2>Details</h2>
        <dl className="attributes">
          {token.attributes.map((a) => (
            <div key={`${a.trait_type}:${a.value}`}>
              <dt>{a.trait_type}</dt>
              <dd>
                {a.display_type === 'date' && typeof a.value === 'number' ? new Date(a.value * 1000).toLocaleDateString() : String(a.value)}
              </dd>
            </div>
          ))}
          <div>
            <dt>Owner</dt>
            <dd data-testid="owner">
              {token.owner ? `${token.owner.displayName ?? 'a wallet'} (${shortAddress(token.owner.address)})` : 'Unknown'}
            </dd>
          </div>
        </dl>
        <h2>Provenance</h2>
        <p>
          Origin: {title(token.provenance.origin)}
          {token.provenance.craftedBy ? `, crafted by ${token.provenance.craftedBy}` : ''}
          {token.provenance.recipe ? ` with ${token.provenance.recipe}` : ''}
          {token.provenance.craftedAt ? ` on ${new Date(token.provenance.craftedAt).toLocaleDateString()}` : ''}.
        </p>
        <div className="table-wrap">
          <table>
            <caption>History (oldest first)</caption>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">From</th>
                <th scope="col">To</th>
                <th scope="col">Price</th>
                <th scope="col">Block</th>
              </tr>
            </thead>
            <tbody data-testid="history">
              {token.history.map((h) => (
                <tr key={`${h.txHash}-${h.kind}-${h.blockNumber}`}>
                  <td>{HISTORY[h.kind]}</td>
                  <td>{shortAddress(h.from)}</td>
                  <td>{shortAddress(h.to)}</td>
                  <td>{price(h.price)}</td>
                  <td>{h.blockNumber}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <p>Sales: {token.sales.length}</p>
      </div>
    </article>
  );
}
