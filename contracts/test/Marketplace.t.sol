// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {HarvestCards} from "../contracts/HarvestCards.sol";
import {Marketplace} from "../contracts/Marketplace.sol";
import {Test} from "./utils/Test.sol";

/// @notice Fuzz tests of the marketplace: fee and royalty arithmetic, counter semantics, no double fill, no fill after
/// cancel or outside the order's time window.
contract MarketplaceFuzzTest is Test {
    uint256 internal constant SELLER_KEY = 0xA11CE;
    address internal constant BUYER = address(0xB0B);
    address internal constant TREASURY = address(0x7EA5);
    address internal constant ARTIST = address(0xA127);

    HarvestCards internal cards;
    Marketplace internal market;
    address internal seller;
    uint256 internal nextTokenId = 1;

    function setUp() public {
        seller = vm.addr(SELLER_KEY);
        cards = new HarvestCards(address(this), TREASURY, 500, "https://x/", "https://x/c");
        cards.grantRole(cards.MINTER_ROLE(), address(this));
        market = new Marketplace(address(this), TREASURY, 250, address(0));
        vm.prank(seller);
        cards.setApprovalForAll(address(market), true);
        vm.warp(1_800_000_000);
    }

    function testFuzz_feeAndRoyaltySplitThePriceExactly(uint256 price, uint16 feeBps, uint96 royaltyBps, bool toArtist)
        public
    {
        price = bound(price, 0, 1e30);
        feeBps = uint16(bound(feeBps, 0, market.MAX_PROTOCOL_FEE_BPS()));
        royaltyBps = uint96(bound(royaltyBps, 0, 10_000));
        market.setProtocolFee(feeBps);
        address receiver = toArtist ? ARTIST : TREASURY;
        cards.setDefaultRoyalty(receiver, royaltyBps);

        uint256 fee = price * feeBps / 10_000;
        uint256 royalty = price * royaltyBps / 10_000;
        assertLe(fee, price * market.MAX_PROTOCOL_FEE_BPS() / 10_000, "fee above the cap");
        (Marketplace.Order memory order, bytes memory sig) = _listed(price, 1, 0);
        vm.deal(BUYER, price);
        if (royalty > price - fee) {
            vm.expectRevert(abi.encodeWithSelector(Marketplace.MarketplaceRoyaltyTooHigh.selector, royalty, price - fee));
            vm.prank(BUYER);
            market.fill{value: price}(order, sig);
            return;
        }
        uint256 sellerBefore = seller.balance;
        uint256 artistBefore = ARTIST.balance;
        vm.prank(BUYER);
        market.fill{value: price}(order, sig);

        uint256 toSeller = seller.balance - sellerBefore;
        uint256 toArtistPaid = ARTIST.balance - artistBefore;
        uint256 kept = address(market).balance;
        assertEq(toSeller + toArtistPaid + kept, price, "payments do not add up to the price");
        assertEq(toSeller, price - fee - royalty, "seller proceeds");
        assertEq(toArtistPaid, toArtist ? royalty : 0, "third-party royalty");
        assertEq(kept, toArtist ? fee : fee + royalty, "kept for the fee recipient");
        assertEq(BUYER.balance, 0, "buyer paid exactly the price");
    }

    function testFuzz_counterVoidsEveryOlderOrder(uint8 increments, uint256 signedCounter) public {
        increments = uint8(bound(increments, 0, 20));
        signedCounter = bound(signedCounter, 0, 25);
        for (uint256 i; i < increments; ++i) {
            vm.prank(seller);
            assertEq(market.incrementCounter(), i + 1, "incrementCounter returns the new counter");
        }
        assertEq(market.counterOf(seller), increments, "counter");
        (Marketplace.Order memory order, bytes memory sig) = _listed(1 ether, 7, signedCounter);
        vm.deal(BUYER, 1 ether);
        if (signedCounter != increments) {
            vm.expectRevert(
                abi.encodeWithSelector(Marketplace.MarketplaceCounterMismatch.selector, signedCounter, increments)
            );
        }
        vm.prank(BUYER);
        market.fill{value: 1 ether}(order, sig);
        assertEq(market.counterOf(seller), increments, "fills leave the counter alone");
    }

    function testFuzz_noDoubleFill(uint256 salt) public {
        (Marketplace.Order memory order, bytes memory sig) = _listed(1 ether, salt, 0);
        vm.deal(BUYER, 2 ether);
        vm.prank(BUYER);
        market.fill{value: 1 ether}(order, sig);
        assertTrue(market.isSaltUsed(seller, salt), "salt spent");
        // The card comes back to the seller, still approved: only the spent salt stops a replay.
        vm.prank(BUYER);
        cards.transferFrom(BUYER, seller, order.tokenId);
        vm.expectRevert(abi.encodeWithSelector(Marketplace.MarketplaceOrderClosed.selector, seller, salt));
        vm.prank(BUYER);
        market.fill{value: 1 ether}(order, sig);
    }

    function testFuzz_noFillAfterCancel(uint256 salt, uint256 otherSalt) public {
        vm.assume(salt != otherSalt);
        (Marketplace.Order memory cancelled, bytes memory cancelledSig) = _listed(1 ether, salt, 0);
        (Marketplace.Order memory other, bytes memory otherSig) = _listed(1 ether, otherSalt, 0);
        vm.prank(seller);
        market.cancel(salt);
        assertTrue(!market.isSaltUsed(seller, otherSalt), "cancel touched another salt");
        vm.deal(BUYER, 2 ether);
        vm.expectRevert(abi.encodeWithSelector(Marketplace.MarketplaceOrderClosed.selector, seller, salt));
        vm.prank(BUYER);
        market.fill{value: 1 ether}(cancelled, cancelledSig);
        vm.prank(BUYER);
        market.fill{value: 1 ether}(other, otherSig);
        assertEq(cards.ownerOf(other.tokenId), BUYER, "the other order still fills");
    }

    function testFuzz_fillsOnlyInsideTheTimeWindow(uint32 startOffset, uint32 length, uint32 atOffset) public {
        uint256 base = block.timestamp;
        uint256 start = base + startOffset;
        uint256 end = start + length;
        uint256 now_ = base + atOffset;
        (Marketplace.Order memory order,) = _listed(1 ether, 3, 0);
        order.startTime = start;
        order.endTime = end;
        bytes memory sig = _sign(order);
        vm.warp(now_);
        vm.deal(BUYER, 1 ether);
        if (now_ < start) {
            vm.expectRevert(abi.encodeWithSelector(Marketplace.MarketplaceOrderNotStarted.selector, start));
        } else if (now_ >= end) {
            vm.expectRevert(abi.encodeWithSelector(Marketplace.MarketplaceOrderExpired.selector, end));
        }
        vm.prank(BUYER);
        market.fill{value: 1 ether}(order, sig);
        if (now_ >= start && now_ < end) assertEq(cards.ownerOf(order.tokenId), BUYER, "filled inside the window");
    }

    function testFuzz_saltsAndCounterDoNotDisturbEachOther(uint256 a, uint256 b, uint8 increments) public {
        vm.startPrank(seller);
        market.cancel(a);
        for (uint256 i; i < bound(increments, 0, 5); ++i) market.incrementCounter();
        vm.stopPrank();
        assertTrue(market.isSaltUsed(seller, a), "cancelled salt is used");
        assertTrue(market.isSaltUsed(seller, b) == (a == b), "only the cancelled salt is used");
        assertEq(market.counterOf(seller), bound(increments, 0, 5), "counter");
    }

    /// @dev A fresh card minted to the seller and a signed native order for it.
    function _listed(uint256 price, uint256 salt, uint256 counter)
        internal
        returns (Marketplace.Order memory order, bytes memory sig)
    {
        uint256 tokenId = cards.tokenIdOf("sunflower-knight", uint96(nextTokenId++));
        cards.mint(seller, tokenId);
        order = Marketplace.Order({
            maker: seller,
            collection: address(cards),
            tokenId: tokenId,
            price: price,
            currency: address(0),
            startTime: block.timestamp,
            endTime: block.timestamp + 1 days,
            salt: salt,
            counter: counter
        });
        sig = _sign(order);
    }

    function _sign(Marketplace.Order memory order) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(SELLER_KEY, market.hashOrder(order));
        return abi.encodePacked(r, s, v);
    }
}
