import { recoverMessageAddress, verifyMessage } from 'viem';
import { describe, expect, it } from 'vitest';
import { createSiweVerifier, recoverPersonalSigner } from '../../src/auth/siwe.ts';
import { CHAIN_ID, DOMAIN, newWallet, siweMessage, URI } from '../helpers.ts';

describe('native signer recovery', () => {
  it('agrees with viem on random keys and messages, for v = 27/28 and v = 0/1', async () => {
    for (let i = 0; i < 25; i++) {
      const wallet = newWallet();
      const message = `message ${i} ${'x'.repeat(i * 7)}`;
      const signature = await wallet.signMessage({ message });
      expect(await recoverMessageAddress({ message, signature })).toBe(wallet.address);
      expect(await verifyMessage({ address: wallet.address, message, signature })).toBe(true);
      expect(recoverPersonalSigner(message, signature)).toBe(wallet.address);
      const v = Number.parseInt(signature.slice(-2), 16);
      const compactV = `${signature.slice(0, -2)}${(v - 27).toString(16).padStart(2, '0')}` as `0x${string}`;
      expect(recoverPersonalSigner(message, compactV)).toBe(wallet.address);
      expect(recoverPersonalSigner(`${message}!`, signature)).not.toBe(wallet.address);
    }
  });

  it('returns undefined for signatures that cannot recover', () => {
    expect(recoverPersonalSigner('m', '0x1234')).toBeUndefined();
    expect(recoverPersonalSigner('m', `0x${'00'.repeat(65)}`)).toBeUndefined();
    expect(recoverPersonalSigner('m', `0x${'11'.repeat(64)}05`)).toBeUndefined();
  });
});

describe('SIWE policy checks', () => {
  const verifier = createSiweVerifier({
    policy: { domains: [DOMAIN], uris: [URI, 'https://play.harvest.test/app/'], chainIds: [CHAIN_ID] },
  });

  it('accepts a URI under an allowed prefix entry, not one merely starting like it', async () => {
    const wallet = newWallet();
    const under = siweMessage(wallet.address, 'abcdef0123456789', { uri: 'https://play.harvest.test/app/login' });
    await expect(verifier.verify(under, await wallet.signMessage({ message: under }))).resolves.toMatchObject({
      address: wallet.address,
      walletKind: 'eoa',
    });
    const beside = siweMessage(wallet.address, 'abcdef0123456789', { uri: 'https://play.harvest.test/application' });
    await expect(verifier.verify(beside, await wallet.signMessage({ message: beside }))).rejects.toMatchObject({
      code: 'SIWE_URI_NOT_ALLOWED',
    });
  });

  it('tolerates 5 s of clock skew on Not Before and refuses a message expiring now', async () => {
    const wallet = newWallet();
    const soon = siweMessage(wallet.address, 'abcdef0123456789', { notBefore: new Date(Date.now() + 3_000) });
    await expect(verifier.verify(soon, await wallet.signMessage({ message: soon }))).resolves.toMatchObject({ address: wallet.address });
    const now = siweMessage(wallet.address, 'abcdef0123456789', {
      issuedAt: new Date(Date.now() - 1000),
      expirationTime: new Date(Date.now() - 1),
    });
    await expect(verifier.verify(now, await wallet.signMessage({ message: now }))).rejects.toMatchObject({ code: 'SIWE_EXPIRED' });
  });

  it('refuses a message with a short nonce or another version as malformed', async () => {
    const wallet = newWallet();
    const good = siweMessage(wallet.address, 'abcdef0123456789');
    for (const bad of [good.replace('Nonce: abcdef0123456789', 'Nonce: abc'), good.replace('Version: 1', 'Version: 2')]) {
      await expect(verifier.verify(bad, await wallet.signMessage({ message: bad }))).rejects.toMatchObject({
        code: 'SIWE_MESSAGE_INVALID',
      });
    }
  });

  it('without a chain client, a signature that does not recover to the address is refused', async () => {
    const wallet = newWallet();
    const message = siweMessage(wallet.address, 'abcdef0123456789');
    await expect(verifier.verify(message, await newWallet().signMessage({ message }))).rejects.toMatchObject({
      code: 'SIWE_SIGNATURE_INVALID',
    });
  });
});
