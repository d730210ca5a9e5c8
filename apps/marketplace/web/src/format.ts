import { formatEther } from 'viem';

const ZERO = '0x0000000000000000000000000000000000000000';

/** A price in the native currency (ETH) or raw units of an ERC-20. */
export function price(wei: string | null, currency: string | null = ZERO): string {
  if (wei === null) return '—';
  return currency === null || currency.toLowerCase() === ZERO ? `${formatEther(BigInt(wei))} ETH` : `${wei} units`;
}

/** 0x1234…abcd */
export function shortAddress(address: string | null): string {
  return address ? `${address.slice(0, 6)}…${address.slice(-4)}` : '—';
}

/** A word from an id: `ember-finch` -> `Ember Finch`. */
export function title(id: string | null): string {
  return id ? id.replace(/(^|-)([a-z])/g, (_, sep: string, c: string) => `${sep ? ' ' : ''}${c.toUpperCase()}`) : '—';
}
