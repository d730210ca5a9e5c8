/** The activity feed: listings, cancels, sales, invalidations. */
import { useCallback, useEffect, useState } from 'react';
import { type Activity, api } from '../api.ts';
import type { Ctx } from '../app.tsx';
import { price, shortAddress } from '../format.ts';

const WHAT: Record<Activity['kind'], string> = { listed: 'Listed', cancelled: 'Cancelled', sale: 'Sold', invalidated: 'Listing ended' };

export function ActivityPage({ ctx }: { ctx: Ctx }) {
  const [items, setItems] = useState<Activity[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const load = useCallback(
    async (after: string | null) => {
      try {
        const page = await api.activity(new URLSearchParams({ limit: '30', ...(after ? { cursor: after } : {}) }));
        setItems((previous) => (after ? [...previous, ...page.items] : page.items));
        setCursor(page.nextCursor);
      } catch (error) {
        ctx.fail(error);
      }
    },
    [ctx],
  );
  useEffect(() => {
    void load(null);
  }, [load]);
  return (
    <section aria-labelledby="activity-title">
      <h1 id="activity-title">Activity</h1>
      <div className="table-wrap">
        <table data-testid="activity">
          <caption className="visually-hidden">Latest marketplace activity, newest first</caption>
          <thead>
            <tr>
              <th scope="col">What</th>
              <th scope="col">Item</th>
              <th scope="col">Price</th>
              <th scope="col">Seller</th>
              <th scope="col">Buyer</th>
              <th scope="col">When</th>
            </tr>
          </thead>
          <tbody>
            {items.map((a) => (
              <tr key={a.id}>
                <td>
                  {WHAT[a.kind]}
                  {a.detail ? ` (${a.detail})` : ''}
                </td>
                <td>
                  <a href={`#/token/${a.collection}/${a.tokenId}`}>{a.name ?? `#${a.tokenId.slice(-6)}`}</a>
                </td>
                <td>{price(a.price)}</td>
                <td>{shortAddress(a.maker)}</td>
                <td>{shortAddress(a.taker)}</td>
                <td>
                  <time dateTime={a.at}>{new Date(a.at).toLocaleString()}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {items.length === 0 ? <p>No activity yet.</p> : null}
      {cursor ? (
        <button type="button" onClick={() => void load(cursor)}>
          Show more
        </button>
      ) : null}
    </section>
  );
}
