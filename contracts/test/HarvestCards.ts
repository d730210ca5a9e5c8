import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { network } from 'hardhat';
import { getAddress, keccak256, toBytes } from 'viem';
import { CARD_ROYALTY_BPS, CARDS_BASE_URI, CARDS_CONTRACT_URI, cardTokenId, deployHarvest, type Harvest } from './helpers/fixture.ts';

const connection = await network.create();
const { viem, networkHelpers } = connection;

async function deploy() {
  return deployHarvest(connection);
}

describe('HarvestCards', () => {
  let h: Harvest;
  let asMinter: Awaited<ReturnType<typeof getAs>>;
  const getAs = (wallet: Harvest['minter']) => viem.getContractAt('HarvestCards', h.cards.address, { client: { wallet } });
  const knight = cardTokenId('sunflower-knight', 1n);

  before(async () => {
    h = await networkHelpers.loadFixture(deploy);
  });

  async function fresh() {
    h = await networkHelpers.loadFixture(deploy);
    asMinter = await getAs(h.minter);
  }

  describe('metadata and interfaces', () => {
    it('has its name, symbol, contract URI and ERC-721/2981/4906/AccessControl interfaces', async () => {
      await fresh();
      assert.equal(await h.cards.read.name(), 'Harvest Battles Cards');
      assert.equal(await h.cards.read.symbol(), 'HBCARD');
      assert.equal(await h.cards.read.contractURI(), CARDS_CONTRACT_URI);
      for (const id of ['0x80ac58cd', '0x5b5e139f', '0x2a55205a', '0x49064906', '0x7965db0b', '0x01ffc9a7'] as const) {
        assert.equal(await h.cards.read.supportsInterface([id]), true, id);
      }
      assert.equal(await h.cards.read.supportsInterface(['0xad092b5c']), false);
    });

    it('builds tokenURI from the base URI and the decimal id, and refuses unknown ids', async () => {
      await fresh();
      await asMinter.write.mint([h.seller.account.address, knight]);
      assert.equal(await h.cards.read.tokenURI([knight]), `${CARDS_BASE_URI}${knight.toString()}`);
      await viem.assertions.revertWithCustomErrorWithArgs(h.cards.read.tokenURI([knight + 1n]), h.cards, 'ERC721NonexistentToken', [
        knight + 1n,
      ]);
    });

    it('lets the admin change the base URI (ERC-4906 event) and the contract URI (ERC-7572 event)', async () => {
      await fresh();
      await asMinter.write.mint([h.seller.account.address, knight]);
      await viem.assertions.emitWithArgs(h.cards.write.setBaseURI(['ipfs://cards/']), h.cards, 'BatchMetadataUpdate', [
        0n,
        2n ** 256n - 1n,
      ]);
      assert.equal(await h.cards.read.tokenURI([knight]), `ipfs://cards/${knight.toString()}`);
      await viem.assertions.emit(h.cards.write.setContractURI(['ipfs://cards.json']), h.cards, 'ContractURIUpdated');
      assert.equal(await h.cards.read.contractURI(), 'ipfs://cards.json');
    });

    it('refuses URI and royalty changes from non-admins', async () => {
      await fresh();
      const asStranger = await getAs(h.stranger);
      for (const call of [
        asStranger.write.setBaseURI(['x']),
        asStranger.write.setContractURI(['x']),
        asStranger.write.setDefaultRoyalty([h.stranger.account.address, 1n]),
      ]) {
        await viem.assertions.revertWithCustomError(call, h.cards, 'AccessControlUnauthorizedAccount');
      }
    });
  });

  describe('token id scheme', () => {
    it('puts the definition key in the high 160 bits and the serial in the low 96', async () => {
      await fresh();
      const id = await h.cards.read.tokenIdOf(['sunflower-knight', 42n]);
      assert.equal(id, cardTokenId('sunflower-knight', 42n));
      const key = BigInt(keccak256(toBytes('sunflower-knight')).slice(0, 42));
      assert.equal(await h.cards.read.definitionKeyOf(['sunflower-knight']), key);
      assert.equal(await h.cards.read.definitionKeyOfToken([id]), key);
      assert.equal(await h.cards.read.serialOfToken([id]), 42n);
      assert.notEqual(await h.cards.read.tokenIdOf(['sunflower-knight', 43n]), id);
      assert.notEqual(await h.cards.read.tokenIdOf(['carrot-archer', 42n]), id);
    });
  });

  describe('mint', () => {
    it('mints by id to the recipient, for the minter only', async () => {
      await fresh();
      await viem.assertions.emitWithArgs(asMinter.write.mint([h.seller.account.address, knight]), h.cards, 'Transfer', [
        '0x0000000000000000000000000000000000000000',
        getAddress(h.seller.account.address),
        knight,
      ]);
      assert.equal(await h.cards.read.ownerOf([knight]), getAddress(h.seller.account.address));
      const asStranger = await getAs(h.stranger);
      await viem.assertions.revertWithCustomError(
        asStranger.write.mint([h.stranger.account.address, knight + 1n]),
        h.cards,
        'AccessControlUnauthorizedAccount',
      );
    });

    it('never mints the same card twice', async () => {
      await fresh();
      await asMinter.write.mint([h.seller.account.address, knight]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        asMinter.write.mint([h.buyer.account.address, knight]),
        h.cards,
        'ERC721InvalidSender',
        ['0x0000000000000000000000000000000000000000'],
      );
      await viem.assertions.revertWithCustomError(
        asMinter.write.mintBatch([[h.buyer.account.address], [knight]]),
        h.cards,
        'ERC721InvalidSender',
      );
    });

    it('single mint checks onERC721Received; batch mint does not (documented choice)', async () => {
      await fresh();
      const noReceiver = await viem.deployContract('MockERC20');
      await viem.assertions.revertWithCustomErrorWithArgs(
        asMinter.write.mint([noReceiver.address, knight]),
        h.cards,
        'ERC721InvalidReceiver',
        [getAddress(noReceiver.address)],
      );
      await asMinter.write.mintBatch([[noReceiver.address], [knight]]);
      assert.equal(await h.cards.read.ownerOf([knight]), getAddress(noReceiver.address));
    });

    it('batch mints to many owners in one transaction', async () => {
      await fresh();
      const owners = [h.seller, h.buyer, h.artist].map((w) => w.account.address);
      const ids = [1n, 2n, 3n].map((serial) => cardTokenId('carrot-archer', serial));
      await asMinter.write.mintBatch([owners, ids]);
      for (const [i, id] of ids.entries()) assert.equal(await h.cards.read.ownerOf([id]), getAddress(owners[i] as string));
    });

    it('refuses batches with mismatched lengths and batches from non-minters', async () => {
      await fresh();
      await viem.assertions.revertWithCustomErrorWithArgs(
        asMinter.write.mintBatch([[h.seller.account.address], [1n, 2n]]),
        h.cards,
        'HarvestERC721LengthMismatch',
        [1n, 2n],
      );
      const asStranger = await getAs(h.stranger);
      await viem.assertions.revertWithCustomError(
        asStranger.write.mintBatch([[h.seller.account.address], [1n]]),
        h.cards,
        'AccessControlUnauthorizedAccount',
      );
    });
  });

  describe('burn', () => {
    it('lets the owner and an approved operator burn, and nobody else', async () => {
      await fresh();
      await asMinter.write.mintBatch([
        [h.seller.account.address, h.seller.account.address],
        [knight, knight + 1n],
      ]);
      const asSeller = await getAs(h.seller);
      const asStranger = await getAs(h.stranger);
      await viem.assertions.revertWithCustomErrorWithArgs(asStranger.write.burn([knight]), h.cards, 'ERC721InsufficientApproval', [
        getAddress(h.stranger.account.address),
        knight,
      ]);
      await viem.assertions.emit(asSeller.write.burn([knight]), h.cards, 'Transfer');
      assert.equal(await h.cards.read.isBurned([knight]), true);
      await viem.assertions.revertWithCustomError(h.cards.read.ownerOf([knight]), h.cards, 'ERC721NonexistentToken');
      await asSeller.write.approve([h.buyer.account.address, knight + 1n]);
      await (await getAs(h.buyer)).write.burn([knight + 1n]);
      assert.equal(await h.cards.read.balanceOf([h.seller.account.address]), 0n);
    });

    it('never mints a burned card again', async () => {
      await fresh();
      await asMinter.write.mint([h.seller.account.address, knight]);
      await (await getAs(h.seller)).write.burn([knight]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        asMinter.write.mint([h.seller.account.address, knight]),
        h.cards,
        'HarvestCardsTokenBurned',
        [knight],
      );
      await viem.assertions.revertWithCustomErrorWithArgs(
        asMinter.write.mintBatch([[h.seller.account.address], [knight]]),
        h.cards,
        'HarvestCardsTokenBurned',
        [knight],
      );
      assert.equal(await h.cards.read.isBurned([knight + 1n]), false);
    });
  });

  describe('royalties (ERC-2981)', () => {
    it('answers the default royalty and lets the admin change it', async () => {
      await fresh();
      const [receiver, amount] = await h.cards.read.royaltyInfo([knight, 10_000n]);
      assert.equal(receiver, getAddress(h.treasury.account.address));
      assert.equal(amount, CARD_ROYALTY_BPS);
      await viem.assertions.emitWithArgs(
        h.cards.write.setDefaultRoyalty([h.artist.account.address, 1_000n]),
        h.cards,
        'DefaultRoyaltyUpdated',
        [getAddress(h.artist.account.address), 1_000n],
      );
      assert.deepEqual(await h.cards.read.royaltyInfo([knight, 1_000n]), [getAddress(h.artist.account.address), 100n]);
    });

    it('refuses a royalty above 100% or to the zero address', async () => {
      await fresh();
      await viem.assertions.revertWithCustomErrorWithArgs(
        h.cards.write.setDefaultRoyalty([h.artist.account.address, 10_001n]),
        h.cards,
        'ERC2981InvalidDefaultRoyalty',
        [10_001n, 10_000n],
      );
      await viem.assertions.revertWithCustomError(
        h.cards.write.setDefaultRoyalty(['0x0000000000000000000000000000000000000000', 1n]),
        h.cards,
        'ERC2981InvalidDefaultRoyaltyReceiver',
      );
    });
  });
});
