/** Browse and search live listings: filters, sort, pages, card images. */
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { parseEther } from 'viem';
import { api, type Listing } from '../api.ts';
import type { Ctx } from '../app.tsx';
import { price, title } from '../format.ts';

const RARITIES = ['common', 'uncommon', 'rare', 'epic', 'legendary'];
const ELEMENTS = ['sun', 'rain', 'soil', 'frost'];
const BIOMES = ['meadow', 'orchard', 'marsh', 'highland'];

interface Filters {
  asset: string;
  rarity: string;
  element: string;
  biome: string;
  definition: string;
  seller: string;
  minPrice: string;
  maxPrice: string;
  sort: string;
}

const EMPTY: Filters = {
  asset: '',
  rarity: '',
  element: '',
  biome: '',
  definition: '',
  seller: '',
  minPrice: '',
  maxPrice: '',
  sort: 'newest',
};

function toQuery(filters: Filters, cursor: string | null): URLSearchParams {
  const query = new URLSearchParams({ sort: filters.sort, limit: '24' });
  for (const key of ['asset', 'rarity', 'element', 'biome', 'definition', 'seller'] as const)
    if (filters[key]) query.set(key, filters[key].trim());
  for (const key of ['minPrice', 'maxPrice'] as const) if (filters[key]) query.set(key, parseEther(filters[key].trim()).toString());
  if (cursor) query.set('cursor', cursor);
  return query;
}

export function ListingCard({ listing }: { listing: Listing }) {
  return (
    <li className="card">
      <a
        href={`#/token/${listing.collection}/${listing.tokenId}`}
        aria-label={`${listing.name}, ${price(listing.price, listing.currency)}`}
      >
        <img src={listing.imageUrl} alt="" width={160} height={240} loading="lazy" />
        <span className="name">{listing.name}</span>
        <span className="meta">
          {listing.asset === 'card' ? `${title(listing.rarity)} · ${title(listing.element)}` : title(listing.biome)}
        </span>
        <span className="price">{price(listing.price, listing.currency)}</span>
      </a>
    </li>
  );
}

export function BrowsePage({ ctx }: { ctx: Ctx }) {
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [applied, setApplied] = useState<Filters>(EMPTY);
  const [items, setItems] = useState<Listing[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);

  const load = useCallback(
    async (which: Filters, after: string | null) => {
      setLoading(true);
      try {
        const page = await api.search(toQuery(which, after));
        setItems((previous) => (after ? [...previous, ...page.items] : page.items));
        setCursor(page.nextCursor);
      } catch (error) {
        ctx.fail(error);
      } finally {
        setLoading(false);
      }
    },
    [ctx],
  );

  useEffect(() => {
    void load(applied, null);
  }, [applied, load]);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    try {
      toQuery(filters, null);
      setApplied({ ...filters });
    } catch {
      ctx.notify('error', 'Prices are in ETH, for example 0.05.');
    }
  };
  const field = (key: keyof Filters) => ({
    id: `filter-${key}`,
    value: filters[key],
    onChange: (event: { target: { value: string } }) => setFilters({ ...filters, [key]: event.target.value }),
  });

  return (
    <section aria-labelledby="browse-title">
      <h1 id="browse-title">Cards and land for sale</h1>
      <form className="filters" onSubmit={onSubmit} aria-label="Search listings">
        <label htmlFor="filter-asset">Type</label>
        <select {...field('asset')}>
          <option value="">Cards and land</option>
          <option value="card">Cards</option>
          <option value="land">Land</option>
        </select>
        <label htmlFor="filter-rarity">Rarity</label>
        <select {...field('rarity')}>
          <option value="">Any</option>
          {RARITIES.map((r) => (
            <option key={r} value={r}>
              {title(r)}
            </option>
          ))}
        </select>
        <label htmlFor="filter-element">Element</label>
        <select {...field('element')}>
          <option value="">Any</option>
          {ELEMENTS.map((e) => (
            <option key={e} value={e}>
              {title(e)}
            </option>
          ))}
        </select>
        <label htmlFor="filter-biome">Land biome</label>
        <select {...field('biome')}>
          <option value="">Any</option>
          {BIOMES.map((b) => (
            <option key={b} value={b}>
              {title(b)}
            </option>
          ))}
        </select>
        <label htmlFor="filter-definition">Card</label>
        <input {...field('definition')} placeholder="e.g. ember-finch" autoComplete="off" />
        <label htmlFor="filter-seller">Seller address</label>
        <input {...field('seller')} placeholder="0x…" autoComplete="off" />
        <label htmlFor="filter-minPrice">Min price (ETH)</label>
        <input {...field('minPrice')} inputMode="decimal" />
        <label htmlFor="filter-maxPrice">Max price (ETH)</label>
        <input {...field('maxPrice')} inputMode="decimal" />
        <label htmlFor="filter-sort">Sort by</label>
        <select {...field('sort')}>
          <option value="newest">Newest</option>
          <option value="price_asc">Price: low to high</option>
          <option value="price_desc">Price: high to low</option>
        </select>
        <button type="submit">Search</button>
      </form>
      <p className="count" aria-live="polite">
        {loading ? 'Loading…' : `${items.length} listing${items.length === 1 ? '' : 's'} shown`}
      </p>
      <ul className="grid" data-testid="listings">
        {items.map((listing) => (
          <ListingCard key={listing.orderHash} listing={listing} />
        ))}
      </ul>
      {cursor ? (
        <button type="button" onClick={() => void load(applied, cursor)} disabled={loading}>
          Show more
        </button>
      ) : null}
    </section>
  );
}
