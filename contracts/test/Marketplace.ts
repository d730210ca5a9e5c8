import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { network } from 'hardhat';
import {
  type Abi,
  type Address,
  encodeFunctionData,
  getAddress,
  type Hex,
  hashTypedData,
  parseEther,
  toFunctionSelector,
  zeroAddress,
} from 'viem';
import { marketplaceDomain, ORDER_TYPES, type Order } from '../scripts/lib/eip712.ts';
import { CARD_ROYALTY_BPS, cardTokenId, coSign, deployHarvest, type Harvest, PROTOCOL_FEE_BPS, signOrder } from './helpers/fixture.ts';

const connection = await network.create();
const { viem, networkHelpers } = connection;

const PRICE = parseEther('1');
const FEE = (PRICE * BigInt(PROTOCOL_FEE_BPS)) / 10_000n;
const ROYALTY = (PRICE * CARD_ROYALTY_BPS) / 10_000n;
const CARD = cardTokenId('sunflower-knight', 7n);

/** The game's deployment with a card listed by the seller (marketplace approved) and a buyer funded in gold. */
async function listed() {
  const h = await deployHarvest(connection);
  const asMinter = await viem.getContractAt('HarvestCards', h.cards.address, { client: { wallet: h.minter } });
  await asMinter.write.mintBatch([
    [h.seller.account.address, h.seller.account.address, h.buyer.account.address],
    [CARD, CARD + 1n, CARD + 2n],
  ]);
  const sellerCards = await viem.getContractAt('HarvestCards', h.cards.address, { client: { wallet: h.seller } });
  await sellerCards.write.setApprovalForAll([h.market.address, true]);
  await h.gold.write.mint([h.buyer.account.address, parseEther('100')]);
  const buyerGold = await viem.getContractAt('MockERC20', h.gold.address, { client: { wallet: h.buyer } });
  await buyerGold.write.approve([h.market.address, parseEther('100')]);
  return h;
}

async function setup() {
  const h = await networkHelpers.loadFixture(listed);
  const now = BigInt(await networkHelpers.time.latest());
  const as = (wallet: Harvest['buyer']) => viem.getContractAt('Marketplace', h.market.address, { client: { wallet } });
  const order = (over: Partial<Order> = {}): Order => ({
    maker: h.seller.account.address,
    collection: h.cards.address,
    tokenId: CARD,
    price: PRICE,
    currency: zeroAddress,
    startTime: now - 60n,
    endTime: now + 86_400n,
    salt: 1n,
    counter: 0n,
    ...over,
  });
  return { ...h, now, order, asBuyer: await as(h.buyer), asSeller: await as(h.seller), asStranger: await as(h.stranger), as };
}

const goldBalance = (h: Harvest, who: Address) => h.gold.read.balanceOf([who]);

describe('Marketplace', () => {
  describe('configuration', () => {
    it('starts with the given fee, recipient and no co-signer', async () => {
      const h = await setup();
      assert.equal(await h.market.read.protocolFeeBps(), PROTOCOL_FEE_BPS);
      assert.equal(await h.market.read.feeRecipient(), getAddress(h.treasury.account.address));
      assert.equal(await h.market.read.coSigner(), zeroAddress);
      assert.equal(await h.market.read.MAX_PROTOCOL_FEE_BPS(), 500);
    });

    it('refuses a fee above the cap or a zero fee recipient at deployment', async () => {
      const h = await setup();
      await viem.assertions.revertWithCustomErrorWithArgs(
        viem.deployContract('Marketplace', [h.admin.account.address, h.treasury.account.address, 501, zeroAddress]),
        h.market,
        'MarketplaceFeeTooHigh',
        [501n, 500n],
      );
      await viem.assertions.revertWithCustomError(
        viem.deployContract('Marketplace', [h.admin.account.address, zeroAddress, 0, zeroAddress]),
        h.market,
        'MarketplaceZeroFeeRecipient',
      );
    });

    it('lets the owner change fee, recipient and co-signer, with events; refuses others and bad values', async () => {
      const h = await setup();
      await viem.assertions.emitWithArgs(h.market.write.setProtocolFee([500]), h.market, 'ProtocolFeeUpdated', [500]);
      await viem.assertions.revertWithCustomErrorWithArgs(h.market.write.setProtocolFee([501]), h.market, 'MarketplaceFeeTooHigh', [
        501n,
        500n,
      ]);
      await viem.assertions.emitWithArgs(h.market.write.setFeeRecipient([h.artist.account.address]), h.market, 'FeeRecipientUpdated', [
        getAddress(h.artist.account.address),
      ]);
      await viem.assertions.revertWithCustomError(h.market.write.setFeeRecipient([zeroAddress]), h.market, 'MarketplaceZeroFeeRecipient');
      await viem.assertions.emitWithArgs(h.market.write.setCoSigner([h.coSigner.account.address]), h.market, 'CoSignerUpdated', [
        getAddress(h.coSigner.account.address),
      ]);
      assert.equal(await h.market.read.coSigner(), getAddress(h.coSigner.account.address));
      for (const call of [
        h.asStranger.write.setProtocolFee([1]),
        h.asStranger.write.setFeeRecipient([h.stranger.account.address]),
        h.asStranger.write.setCoSigner([h.stranger.account.address]),
      ]) {
        await viem.assertions.revertWithCustomError(call, h.market, 'OwnableUnauthorizedAccount');
      }
    });

    it('hashes orders as EIP-712 typed data', async () => {
      const h = await setup();
      const o = h.order();
      const expected = hashTypedData({
        domain: marketplaceDomain(h.chainId, h.market.address),
        types: ORDER_TYPES,
        primaryType: 'Order',
        message: o,
      });
      assert.equal(await h.market.read.hashOrder([o]), expected);
    });
  });

  describe('fill in the native currency', () => {
    it('moves the card, pays the seller, keeps fee and treasury royalty for the sweep, and emits OrderFilled', async () => {
      const h = await setup();
      const o = h.order();
      const sig = await signOrder(h, h.seller, o);
      const orderHash = await h.market.read.hashOrder([o]);
      const tx = h.asBuyer.write.fill([o, sig], { value: PRICE });
      await viem.assertions.balancesHaveChanged(tx, [
        { address: h.buyer.account.address, amount: -PRICE },
        { address: h.seller.account.address, amount: PRICE - FEE - ROYALTY },
        { address: h.market.address, amount: FEE + ROYALTY },
        { address: h.treasury.account.address, amount: 0n },
      ]);
      const receipt = await h.publicClient.getTransactionReceipt({ hash: await tx });
      const [event] = await h.publicClient.getContractEvents({
        address: h.market.address,
        abi: h.market.abi,
        eventName: 'OrderFilled',
        blockHash: receipt.blockHash,
        strict: true,
      });
      assert.deepEqual(event?.args, {
        orderHash,
        maker: getAddress(h.seller.account.address),
        taker: getAddress(h.buyer.account.address),
        collection: getAddress(h.cards.address),
        tokenId: CARD,
        currency: zeroAddress,
        price: PRICE,
      });
      assert.equal(await h.cards.read.ownerOf([CARD]), getAddress(h.buyer.account.address));
      assert.equal(await h.market.read.isSaltUsed([h.seller.account.address, 1n]), true);
    });

    it('pays a third-party royalty receiver directly', async () => {
      const h = await setup();
      await h.cards.write.setDefaultRoyalty([h.artist.account.address, CARD_ROYALTY_BPS]);
      const o = h.order();
      await viem.assertions.balancesHaveChanged(h.asBuyer.write.fill([o, await signOrder(h, h.seller, o)], { value: PRICE }), [
        { address: h.seller.account.address, amount: PRICE - FEE - ROYALTY },
        { address: h.artist.account.address, amount: ROYALTY },
        { address: h.market.address, amount: FEE },
      ]);
    });

    it('pays no royalty for a collection without ERC-2981 or with no royalty receiver', async () => {
      const h = await setup();
      const plain = await viem.deployContract('MockERC721');
      const odd = await viem.deployContract('MockRoyaltyERC721');
      await odd.write.setRoyalty([zeroAddress, PRICE / 2n]);
      for (const [salt, collection] of [
        [1n, plain.address],
        [2n, odd.address],
      ] as const) {
        const asSeller = await viem.getContractAt('MockERC721', collection, { client: { wallet: h.seller } });
        await asSeller.write.mint([h.seller.account.address, 1n]);
        await asSeller.write.setApprovalForAll([h.market.address, true]);
        const o = h.order({ collection, tokenId: 1n, salt });
        await viem.assertions.balancesHaveChanged(h.asBuyer.write.fill([o, await signOrder(h, h.seller, o)], { value: PRICE }), [
          { address: h.seller.account.address, amount: PRICE - FEE },
          { address: h.market.address, amount: FEE },
        ]);
      }
    });

    it('refuses a royalty larger than what the fee leaves', async () => {
      const h = await setup();
      const greedy = await viem.deployContract('MockRoyaltyERC721');
      await greedy.write.mint([h.seller.account.address, 1n]);
      await greedy.write.setRoyalty([h.artist.account.address, PRICE - FEE + 1n]);
      const o = h.order({ collection: greedy.address, tokenId: 1n });
      await viem.assertions.revertWithCustomErrorWithArgs(
        h.asBuyer.write.fill([o, await signOrder(h, h.seller, o)], { value: PRICE }),
        h.market,
        'MarketplaceRoyaltyTooHigh',
        [PRICE - FEE + 1n, PRICE - FEE],
      );
    });

    it('refuses a payment that is not exactly the price', async () => {
      const h = await setup();
      const o = h.order();
      const sig = await signOrder(h, h.seller, o);
      for (const value of [PRICE - 1n, PRICE + 1n, 0n]) {
        await viem.assertions.revertWithCustomErrorWithArgs(
          h.asBuyer.write.fill([o, sig], { value }),
          h.market,
          'MarketplaceIncorrectPayment',
          [PRICE, value],
        );
      }
    });

    it('fails when the seller refuses the payment', async () => {
      const h = await setup();
      const wallet = await viem.deployContract('MockWallet', [h.seller.account.address]);
      await (await viem.getContractAt('HarvestCards', h.cards.address, { client: { wallet: h.seller } })).write.transferFrom([
        h.seller.account.address,
        wallet.address,
        CARD,
      ]);
      const asOwner = await viem.getContractAt('MockWallet', wallet.address, { client: { wallet: h.seller } });
      await asOwner.write.execute([h.cards.address, 0n, setApprovalForAllData(h, h.market.address)]);
      await asOwner.write.setRejectPayments([true]);
      const o = h.order({ maker: wallet.address });
      await viem.assertions.revertWithCustomErrorWithArgs(
        h.asBuyer.write.fill([o, await signOrder(h, h.seller, o)], { value: PRICE }),
        h.market,
        'MarketplaceNativeTransferFailed',
        [getAddress(wallet.address), PRICE - FEE - ROYALTY],
      );
    });

    it('fails when a third-party royalty receiver refuses the payment', async () => {
      const h = await setup();
      const wallet = await viem.deployContract('MockWallet', [h.artist.account.address]);
      await (await viem.getContractAt('MockWallet', wallet.address, { client: { wallet: h.artist } })).write.setRejectPayments([true]);
      await h.cards.write.setDefaultRoyalty([wallet.address, CARD_ROYALTY_BPS]);
      const o = h.order();
      await viem.assertions.revertWithCustomErrorWithArgs(
        h.asBuyer.write.fill([o, await signOrder(h, h.seller, o)], { value: PRICE }),
        h.market,
        'MarketplaceNativeTransferFailed',
        [getAddress(wallet.address), ROYALTY],
      );
    });

    it('blocks re-entry from a payment receiver', async () => {
      const h = await setup();
      const wallet = await viem.deployContract('MockWallet', [h.artist.account.address]);
      await h.cards.write.setDefaultRoyalty([wallet.address, CARD_ROYALTY_BPS]);
      const second = h.order({ tokenId: CARD + 1n, salt: 2n });
      const reenter = encodeFill(h, second, await signOrder(h, h.seller, second));
      await (await viem.getContractAt('MockWallet', wallet.address, { client: { wallet: h.artist } })).write.setReentry([
        h.market.address,
        reenter,
      ]);
      const o = h.order();
      await h.asBuyer.write.fill([o, await signOrder(h, h.seller, o)], { value: PRICE });
      assert.equal(await wallet.read.reentryAttempted(), true);
      assert.equal(await wallet.read.lastReentryRevert(), toFunctionSelector('ReentrancyGuardReentrantCall()'));
      assert.equal(await h.cards.read.ownerOf([CARD + 1n]), getAddress(h.seller.account.address));
    });

    it('passes on the collection refusing the transfer when the seller did not approve the marketplace', async () => {
      const h = await setup();
      const o = h.order({ maker: h.buyer.account.address, tokenId: CARD + 2n });
      await viem.assertions.revertWithCustomError(
        h.asStranger.write.fill([o, await signOrder(h, h.buyer, o)], { value: PRICE }),
        h.cards,
        'ERC721InsufficientApproval',
      );
    });
  });

  describe('fill in an ERC-20', () => {
    it('pulls the price from the taker: proceeds to the seller, fee and treasury royalty to the marketplace', async () => {
      const h = await setup();
      const o = h.order({ currency: h.gold.address });
      const before = await goldBalance(h, h.buyer.account.address);
      await h.asBuyer.write.fill([o, await signOrder(h, h.seller, o)]);
      assert.equal(await goldBalance(h, h.buyer.account.address), before - PRICE);
      assert.equal(await goldBalance(h, h.seller.account.address), PRICE - FEE - ROYALTY);
      assert.equal(await goldBalance(h, h.market.address), FEE + ROYALTY);
      assert.equal(await h.cards.read.ownerOf([CARD]), getAddress(h.buyer.account.address));
    });

    it('pays a third-party royalty receiver directly', async () => {
      const h = await setup();
      await h.cards.write.setDefaultRoyalty([h.artist.account.address, CARD_ROYALTY_BPS]);
      const o = h.order({ currency: h.gold.address });
      await h.asBuyer.write.fill([o, await signOrder(h, h.seller, o)]);
      assert.equal(await goldBalance(h, h.artist.account.address), ROYALTY);
      assert.equal(await goldBalance(h, h.market.address), FEE);
    });

    it('moves no tokens for a zero price', async () => {
      const h = await setup();
      const o = h.order({ currency: h.gold.address, price: 0n });
      await h.asBuyer.write.fill([o, await signOrder(h, h.seller, o)]);
      assert.equal(await goldBalance(h, h.seller.account.address), 0n);
      assert.equal(await goldBalance(h, h.market.address), 0n);
      assert.equal(await h.cards.read.ownerOf([CARD]), getAddress(h.buyer.account.address));
    });

    it('refuses native value sent along', async () => {
      const h = await setup();
      const o = h.order({ currency: h.gold.address });
      await viem.assertions.revertWithCustomErrorWithArgs(
        h.asBuyer.write.fill([o, await signOrder(h, h.seller, o)], { value: 1n }),
        h.market,
        'MarketplaceIncorrectPayment',
        [0n, 1n],
      );
    });
  });

  describe('order validity', () => {
    it('refuses a signature that is not the maker’s, or an order changed after signing', async () => {
      const h = await setup();
      const o = h.order();
      await viem.assertions.revertWithCustomError(
        h.asBuyer.write.fill([o, await signOrder(h, h.stranger, o)], { value: PRICE }),
        h.market,
        'MarketplaceInvalidSignature',
      );
      const sig = await signOrder(h, h.seller, o);
      await viem.assertions.revertWithCustomError(
        h.asBuyer.write.fill([{ ...o, price: 1n }, sig], { value: 1n }),
        h.market,
        'MarketplaceInvalidSignature',
      );
      await viem.assertions.revertWithCustomError(
        h.asBuyer.write.fill([o, '0x1234'], { value: PRICE }),
        h.market,
        'MarketplaceInvalidSignature',
      );
    });

    it('refuses an order before its start and from its end time on', async () => {
      const h = await setup();
      const early = h.order({ startTime: h.now + 100n });
      await viem.assertions.revertWithCustomErrorWithArgs(
        h.asBuyer.write.fill([early, await signOrder(h, h.seller, early)], { value: PRICE }),
        h.market,
        'MarketplaceOrderNotStarted',
        [h.now + 100n],
      );
      const o = h.order({ endTime: h.now + 100n });
      const sig = await signOrder(h, h.seller, o);
      await networkHelpers.time.setNextBlockTimestamp(h.now + 100n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        h.asBuyer.write.fill([o, sig], { value: PRICE }),
        h.market,
        'MarketplaceOrderExpired',
        [h.now + 100n],
      );
    });

    it('fills at most once', async () => {
      const h = await setup();
      const o = h.order();
      const sig = await signOrder(h, h.seller, o);
      await h.asBuyer.write.fill([o, sig], { value: PRICE });
      // The buyer lists it back under the same terms: the seller's old order still cannot be replayed.
      await (await viem.getContractAt('HarvestCards', h.cards.address, { client: { wallet: h.buyer } })).write.transferFrom([
        h.buyer.account.address,
        h.seller.account.address,
        CARD,
      ]);
      await viem.assertions.revertWithCustomErrorWithArgs(
        h.asBuyer.write.fill([o, sig], { value: PRICE }),
        h.market,
        'MarketplaceOrderClosed',
        [getAddress(h.seller.account.address), 1n],
      );
    });

    for (const salt of [5n, 191n, 192n, 1_000_000n, 2n ** 256n - 1n]) {
      it(`cancel closes the order, once (salt ${salt})`, async () => {
        const h = await setup();
        const o = h.order({ salt });
        const sig = await signOrder(h, h.seller, o);
        await viem.assertions.emitWithArgs(h.asSeller.write.cancel([salt]), h.market, 'OrderCancelled', [
          getAddress(h.seller.account.address),
          salt,
        ]);
        assert.equal(await h.market.read.isSaltUsed([h.seller.account.address, salt]), true);
        assert.equal(await h.market.read.isSaltUsed([h.seller.account.address, salt - 1n]), false);
        await viem.assertions.revertWithCustomError(h.asBuyer.write.fill([o, sig], { value: PRICE }), h.market, 'MarketplaceOrderClosed');
        await viem.assertions.revertWithCustomErrorWithArgs(h.asSeller.write.cancel([salt]), h.market, 'MarketplaceOrderClosed', [
          getAddress(h.seller.account.address),
          salt,
        ]);
      });
    }

    it('a high salt fills once, independently of low salts', async () => {
      const h = await setup();
      const high = h.order({ salt: 300n });
      const sig = await signOrder(h, h.seller, high);
      await h.asBuyer.write.fill([high, sig], { value: PRICE });
      assert.equal(await h.market.read.isSaltUsed([h.seller.account.address, 300n]), true);
      assert.equal(await h.market.read.isSaltUsed([h.seller.account.address, 300n - 256n]), false);
      await viem.assertions.revertWithCustomError(h.asBuyer.write.fill([high, sig], { value: PRICE }), h.market, 'MarketplaceOrderClosed');
    });

    it('incrementCounter voids every order signed with the old counter', async () => {
      const h = await setup();
      const o = h.order();
      const sig = await signOrder(h, h.seller, o);
      await viem.assertions.emitWithArgs(h.asSeller.write.incrementCounter(), h.market, 'CounterIncremented', [
        getAddress(h.seller.account.address),
        1n,
      ]);
      assert.equal(await h.market.read.counterOf([h.seller.account.address]), 1n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        h.asBuyer.write.fill([o, sig], { value: PRICE }),
        h.market,
        'MarketplaceCounterMismatch',
        [0n, 1n],
      );
      const fresh = h.order({ counter: 1n });
      await h.asBuyer.write.fill([fresh, await signOrder(h, h.seller, fresh)], { value: PRICE });
      // The counter shares the maker's word with the low salts: neither disturbs the other.
      assert.equal(await h.market.read.counterOf([h.seller.account.address]), 1n);
      assert.equal(await h.market.read.isSaltUsed([h.seller.account.address, 1n]), true);
    });

    it('refuses an order carrying a counter from the future', async () => {
      const h = await setup();
      const o = h.order({ counter: 1n });
      await viem.assertions.revertWithCustomError(
        h.asBuyer.write.fill([o, await signOrder(h, h.seller, o)], { value: PRICE }),
        h.market,
        'MarketplaceCounterMismatch',
      );
    });
  });

  describe('ERC-1271 makers', () => {
    it('fills an order signed for a smart-contract wallet by its owner key, and refuses other keys', async () => {
      const h = await setup();
      const wallet = await viem.deployContract('MockWallet', [h.seller.account.address]);
      await (await viem.getContractAt('HarvestCards', h.cards.address, { client: { wallet: h.seller } })).write.transferFrom([
        h.seller.account.address,
        wallet.address,
        CARD,
      ]);
      await (await viem.getContractAt('MockWallet', wallet.address, { client: { wallet: h.seller } })).write.execute([
        h.cards.address,
        0n,
        setApprovalForAllData(h, h.market.address),
      ]);
      const o = h.order({ maker: wallet.address });
      await viem.assertions.revertWithCustomError(
        h.asBuyer.write.fill([o, await signOrder(h, h.stranger, o)], { value: PRICE }),
        h.market,
        'MarketplaceInvalidSignature',
      );
      await viem.assertions.balancesHaveChanged(h.asBuyer.write.fill([o, await signOrder(h, h.seller, o)], { value: PRICE }), [
        { address: wallet.address, amount: PRICE - FEE - ROYALTY },
      ]);
      assert.equal(await h.cards.read.ownerOf([CARD]), getAddress(h.buyer.account.address));
    });
  });

  describe('co-signer hook', () => {
    async function coSigned() {
      const h = await setup();
      await h.market.write.setCoSigner([h.coSigner.account.address]);
      const o = h.order();
      const sig = await signOrder(h, h.seller, o);
      const orderHash = await h.market.read.hashOrder([o]);
      return { ...h, o, sig, orderHash };
    }

    it('refuses plain fills while a co-signer is set', async () => {
      const h = await coSigned();
      await viem.assertions.revertWithCustomError(
        h.asBuyer.write.fill([h.o, h.sig], { value: PRICE }),
        h.market,
        'MarketplaceCoSignatureRequired',
      );
    });

    it('fills with the co-signer’s approval for this taker until the deadline', async () => {
      const h = await coSigned();
      const deadline = h.now + 300n;
      const cosig = await coSign(h, h.coSigner, h.orderHash, h.buyer.account.address, deadline);
      assert.equal(
        await h.market.read.hashCoSignature([h.orderHash, h.buyer.account.address, deadline]),
        hashTypedData({
          domain: marketplaceDomain(h.chainId, h.market.address),
          types: {
            CoSignature: [
              { name: 'orderHash', type: 'bytes32' },
              { name: 'taker', type: 'address' },
              { name: 'deadline', type: 'uint256' },
            ],
          },
          primaryType: 'CoSignature',
          message: { orderHash: h.orderHash, taker: h.buyer.account.address, deadline },
        }),
      );
      await viem.assertions.emit(
        h.asBuyer.write.fillWithCoSignature([h.o, h.sig, deadline, cosig], { value: PRICE }),
        h.market,
        'OrderFilled',
      );
      assert.equal(await h.cards.read.ownerOf([CARD]), getAddress(h.buyer.account.address));
    });

    it('refuses an expired co-signature', async () => {
      const h = await coSigned();
      // From the newest block, not the fixture's clock: setting the co-signer mined a block, and on a slow machine its
      // timestamp can already be past h.now + 1 (the next block's timestamp must be later than it).
      const deadline = BigInt(await networkHelpers.time.latest()) + 1n;
      const cosig = await coSign(h, h.coSigner, h.orderHash, h.buyer.account.address, deadline);
      await networkHelpers.time.setNextBlockTimestamp(deadline + 1n);
      await viem.assertions.revertWithCustomErrorWithArgs(
        h.asBuyer.write.fillWithCoSignature([h.o, h.sig, deadline, cosig], { value: PRICE }),
        h.market,
        'MarketplaceCoSignatureExpired',
        [deadline],
      );
    });

    it('refuses a co-signature by another key, for another taker, or another order', async () => {
      const h = await coSigned();
      const deadline = h.now + 300n;
      const byStranger = await coSign(h, h.stranger, h.orderHash, h.buyer.account.address, deadline);
      const forStranger = await coSign(h, h.coSigner, h.orderHash, h.stranger.account.address, deadline);
      const otherOrder = await coSign(h, h.coSigner, `0x${'11'.repeat(32)}` as Hex, h.buyer.account.address, deadline);
      for (const cosig of [byStranger, forStranger, otherOrder]) {
        await viem.assertions.revertWithCustomError(
          h.asBuyer.write.fillWithCoSignature([h.o, h.sig, deadline, cosig], { value: PRICE }),
          h.market,
          'MarketplaceInvalidCoSignature',
        );
      }
    });

    it('turns off with a zero co-signer: plain fills work and co-signatures are ignored', async () => {
      const h = await coSigned();
      await h.market.write.setCoSigner([zeroAddress]);
      await h.asBuyer.write.fill([h.o, h.sig], { value: PRICE });
      const second = h.order({ tokenId: CARD + 1n, salt: 2n });
      await h.asBuyer.write.fillWithCoSignature([second, await signOrder(h, h.seller, second), 0n, '0x'], { value: PRICE });
      assert.equal(await h.cards.read.ownerOf([CARD + 1n]), getAddress(h.buyer.account.address));
    });
  });

  describe('sweepFees', () => {
    it('sends accrued native and ERC-20 fees to the fee recipient, callable by anyone', async () => {
      const h = await setup();
      const native = h.order();
      await h.asBuyer.write.fill([native, await signOrder(h, h.seller, native)], { value: PRICE });
      const gold = h.order({ tokenId: CARD + 1n, salt: 2n, currency: h.gold.address });
      await h.asBuyer.write.fill([gold, await signOrder(h, h.seller, gold)]);
      const sweep = h.asStranger.write.sweepFees([zeroAddress]);
      await viem.assertions.balancesHaveChanged(sweep, [
        { address: h.treasury.account.address, amount: FEE + ROYALTY },
        { address: h.market.address, amount: -(FEE + ROYALTY) },
      ]);
      await viem.assertions.emitWithArgs(h.asStranger.write.sweepFees([h.gold.address]), h.market, 'FeesSwept', [
        getAddress(h.gold.address),
        getAddress(h.treasury.account.address),
        FEE + ROYALTY,
      ]);
      assert.equal(await goldBalance(h, h.treasury.account.address), FEE + ROYALTY);
      assert.equal(await goldBalance(h, h.market.address), 0n);
    });

    it('fails when the fee recipient refuses native payments', async () => {
      const h = await setup();
      const wallet = await viem.deployContract('MockWallet', [h.admin.account.address]);
      await wallet.write.setRejectPayments([true]);
      await h.market.write.setFeeRecipient([wallet.address]);
      const o = h.order();
      await h.asBuyer.write.fill([o, await signOrder(h, h.seller, o)], { value: PRICE });
      await viem.assertions.revertWithCustomError(h.asStranger.write.sweepFees([zeroAddress]), h.market, 'MarketplaceNativeTransferFailed');
    });
  });
});

function setApprovalForAllData(h: Harvest, operator: Address): Hex {
  return encodeFunctionDataFor(h.cards.abi, 'setApprovalForAll', [operator, true]);
}

function encodeFill(h: Harvest, order: Order, signature: Hex): Hex {
  return encodeFunctionDataFor(h.market.abi, 'fill', [order, signature]);
}

function encodeFunctionDataFor(abi: Abi, functionName: string, args: readonly unknown[]): Hex {
  return encodeFunctionData({ abi, functionName, args });
}
