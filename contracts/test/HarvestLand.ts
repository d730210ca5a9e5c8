import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { network } from 'hardhat';
import { getAddress, zeroAddress } from 'viem';
import { deployHarvest, type Harvest, LAND_BASE_URI, LAND_CONTRACT_URI, LAND_ROYALTY_BPS } from './helpers/fixture.ts';

const connection = await network.create();
const { viem, networkHelpers } = connection;

async function deploy() {
  return deployHarvest(connection);
}

describe('HarvestLand', () => {
  const PARCEL = 1_001n;
  let h: Harvest;
  const getAs = (wallet: Harvest['minter']) => viem.getContractAt('HarvestLand', h.land.address, { client: { wallet } });

  /** A parcel owned by the seller. */
  async function withParcel() {
    h = await networkHelpers.loadFixture(deploy);
    await (await getAs(h.minter)).write.mint([h.seller.account.address, PARCEL]);
    return { asSeller: await getAs(h.seller), asStranger: await getAs(h.stranger) };
  }

  it('is ERC-721 + ERC-4907 + ERC-2981 with metadata URIs', async () => {
    await withParcel();
    assert.equal(await h.land.read.name(), 'Harvest Battles Land');
    for (const id of ['0x80ac58cd', '0xad092b5c', '0x2a55205a', '0x49064906', '0x7965db0b'] as const) {
      assert.equal(await h.land.read.supportsInterface([id]), true, id);
    }
    assert.equal(await h.land.read.supportsInterface(['0xffffffff']), false);
    assert.equal(await h.land.read.tokenURI([PARCEL]), `${LAND_BASE_URI}${PARCEL.toString()}`);
    assert.equal(await h.land.read.contractURI(), LAND_CONTRACT_URI);
    const [receiver, amount] = await h.land.read.royaltyInfo([PARCEL, 10_000n]);
    assert.equal(receiver, getAddress(h.treasury.account.address));
    assert.equal(amount, LAND_ROYALTY_BPS);
  });

  it('batch mints parcels to many owners, for the minter only, never twice', async () => {
    await withParcel();
    const asMinter = await getAs(h.minter);
    await asMinter.write.mintBatch([
      [h.buyer.account.address, h.artist.account.address],
      [1n, 2n],
    ]);
    assert.equal(await h.land.read.ownerOf([2n]), getAddress(h.artist.account.address));
    await viem.assertions.revertWithCustomError(asMinter.write.mintBatch([[h.buyer.account.address], [2n]]), h.land, 'ERC721InvalidSender');
    await viem.assertions.revertWithCustomError(asMinter.write.mint([h.buyer.account.address, PARCEL]), h.land, 'ERC721InvalidSender');
    await viem.assertions.revertWithCustomErrorWithArgs(
      asMinter.write.mintBatch([[h.buyer.account.address, h.buyer.account.address], [3n]]),
      h.land,
      'HarvestERC721LengthMismatch',
      [2n, 1n],
    );
    await viem.assertions.revertWithCustomError(
      (await getAs(h.stranger)).write.mint([h.stranger.account.address, 9n]),
      h.land,
      'AccessControlUnauthorizedAccount',
    );
  });

  describe('rentals (ERC-4907)', () => {
    it('lets the owner set a user until an expiry, after which userOf is empty', async () => {
      const { asSeller } = await withParcel();
      const now = BigInt(await networkHelpers.time.latest());
      const expires = now + 3_600n;
      await viem.assertions.emitWithArgs(asSeller.write.setUser([PARCEL, h.buyer.account.address, expires]), h.land, 'UpdateUser', [
        PARCEL,
        getAddress(h.buyer.account.address),
        expires,
      ]);
      assert.equal(await h.land.read.userOf([PARCEL]), getAddress(h.buyer.account.address));
      assert.equal(await h.land.read.userExpires([PARCEL]), expires);
      await networkHelpers.time.increaseTo(expires);
      assert.equal(await h.land.read.userOf([PARCEL]), getAddress(h.buyer.account.address), 'still the user at the expiry second');
      await networkHelpers.time.increase(1);
      assert.equal(await h.land.read.userOf([PARCEL]), zeroAddress);
      assert.equal(await h.land.read.userExpires([PARCEL]), expires);
    });

    it('lets an approved operator or an operator for all set the user; nobody else', async () => {
      const { asSeller, asStranger } = await withParcel();
      const expires = BigInt(await networkHelpers.time.latest()) + 100n;
      await viem.assertions.revertWithCustomErrorWithArgs(
        asStranger.write.setUser([PARCEL, h.stranger.account.address, expires]),
        h.land,
        'ERC721InsufficientApproval',
        [getAddress(h.stranger.account.address), PARCEL],
      );
      await asSeller.write.approve([h.stranger.account.address, PARCEL]);
      await asStranger.write.setUser([PARCEL, h.stranger.account.address, expires]);
      assert.equal(await h.land.read.userOf([PARCEL]), getAddress(h.stranger.account.address));
      await asSeller.write.approve([zeroAddress, PARCEL]);
      await asSeller.write.setApprovalForAll([h.artist.account.address, true]);
      await (await getAs(h.artist)).write.setUser([PARCEL, h.artist.account.address, expires]);
      assert.equal(await h.land.read.userOf([PARCEL]), getAddress(h.artist.account.address));
    });

    it('refuses a rental of a parcel that does not exist or with an expiry already passed', async () => {
      const { asSeller } = await withParcel();
      const now = BigInt(await networkHelpers.time.latest());
      await viem.assertions.revertWithCustomErrorWithArgs(
        asSeller.write.setUser([PARCEL + 1n, h.buyer.account.address, now + 10n]),
        h.land,
        'ERC721NonexistentToken',
        [PARCEL + 1n],
      );
      await viem.assertions.revertWithCustomError(
        asSeller.write.setUser([PARCEL, h.buyer.account.address, now]),
        h.land,
        'HarvestLandRentalExpiryPassed',
      );
    });

    it('clears a rental with a zero user, whatever the expiry', async () => {
      const { asSeller } = await withParcel();
      const now = BigInt(await networkHelpers.time.latest());
      await asSeller.write.setUser([PARCEL, h.buyer.account.address, now + 100n]);
      await viem.assertions.emitWithArgs(asSeller.write.setUser([PARCEL, zeroAddress, 0n]), h.land, 'UpdateUser', [
        PARCEL,
        zeroAddress,
        0n,
      ]);
      assert.equal(await h.land.read.userOf([PARCEL]), zeroAddress);
    });

    it('ends the rental when the parcel changes hands, and only then', async () => {
      const { asSeller } = await withParcel();
      const now = BigInt(await networkHelpers.time.latest());
      await asSeller.write.setUser([PARCEL, h.buyer.account.address, now + 1_000n]);
      await viem.assertions.emitWithArgs(
        asSeller.write.transferFrom([h.seller.account.address, h.artist.account.address, PARCEL]),
        h.land,
        'UpdateUser',
        [PARCEL, zeroAddress, 0n],
      );
      assert.equal(await h.land.read.userOf([PARCEL]), zeroAddress);
      assert.equal(await h.land.read.userExpires([PARCEL]), 0n);
      // A transfer with no rental leaves no UpdateUser event behind.
      const asArtist = await getAs(h.artist);
      const hash = await asArtist.write.transferFrom([h.artist.account.address, h.seller.account.address, PARCEL]);
      const events = await h.publicClient.getContractEvents({
        address: h.land.address,
        abi: h.land.abi,
        eventName: 'UpdateUser',
        blockHash: (await h.publicClient.waitForTransactionReceipt({ hash })).blockHash,
      });
      assert.equal(events.length, 0);
    });
  });
});
