// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {HarvestCards} from "../contracts/HarvestCards.sol";
import {Marketplace} from "../contracts/Marketplace.sol";
import {Test, Vm} from "./utils/Test.sol";

/// @notice Drives the marketplace with random sequences of listings, fills, cancels, counter increments, time jumps
/// and replays of orders that must never fill again, and keeps the books the invariants check.
contract MarketplaceHandler {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    address internal constant BUYER = address(0xB0B);
    address internal constant TREASURY = address(0x7EA5);
    uint256 internal constant PRICE_CAP = 1_000 ether;

    HarvestCards public immutable cards;
    Marketplace public immutable market;
    uint256[3] internal makerKeys = [uint256(0xA11CE), 0xB0BB1E, 0xCA401];

    struct Signed {
        Marketplace.Order order;
        bytes sig;
    }

    /// Orders that must never fill again: filled, cancelled, voided by a counter increment, or expired.
    Signed[] internal closedOrders;
    uint256 internal nextSerial = 1;

    uint256 public fills;
    uint256 public replaysThatFilled;
    uint256 public keptForTreasury;
    uint256 public counterDecreases;

    constructor(HarvestCards cards_, Marketplace market_) {
        cards = cards_;
        market = market_;
        for (uint256 i; i < makerKeys.length; ++i) {
            vm.prank(vm.addr(makerKeys[i]));
            cards.setApprovalForAll(address(market), true);
        }
    }

    function listAndFill(uint256 makerSeed, uint256 price, uint256 salt) external {
        (uint256 key, address maker) = _maker(makerSeed);
        salt = salt % 512; // half in the maker's word (0-191), half in separate words
        if (market.isSaltUsed(maker, salt)) return;
        price = price % PRICE_CAP;
        Signed memory signed = _list(key, maker, price, salt, block.timestamp + 1 days);
        uint256 keptBefore = address(market).balance;
        vm.deal(BUYER, price);
        vm.prank(BUYER);
        market.fill{value: price}(signed.order, signed.sig);
        keptForTreasury += address(market).balance - keptBefore;
        ++fills;
        closedOrders.push(signed);
    }

    function listAndCancel(uint256 makerSeed, uint256 salt) external {
        (uint256 key, address maker) = _maker(makerSeed);
        salt = salt % 512;
        if (market.isSaltUsed(maker, salt)) return;
        Signed memory signed = _list(key, maker, 1 ether, salt, block.timestamp + 1 days);
        vm.prank(maker);
        market.cancel(salt);
        closedOrders.push(signed);
    }

    function listAndIncrementCounter(uint256 makerSeed, uint256 salt) external {
        (uint256 key, address maker) = _maker(makerSeed);
        salt = salt % 512;
        if (market.isSaltUsed(maker, salt)) return;
        Signed memory signed = _list(key, maker, 1 ether, salt, block.timestamp + 1 days);
        uint256 before = market.counterOf(maker);
        vm.prank(maker);
        market.incrementCounter();
        if (market.counterOf(maker) <= before) ++counterDecreases;
        closedOrders.push(signed);
    }

    function listAndLetExpire(uint256 makerSeed, uint256 salt, uint256 wait) external {
        (uint256 key, address maker) = _maker(makerSeed);
        salt = salt % 512;
        if (market.isSaltUsed(maker, salt)) return;
        Signed memory signed = _list(key, maker, 1 ether, salt, block.timestamp + 1 + (wait % 1 hours));
        vm.warp(signed.order.endTime + (wait % 3 days));
        closedOrders.push(signed);
    }

    function warp(uint256 seconds_) external {
        vm.warp(block.timestamp + (seconds_ % 7 days));
    }

    /// Tries to fill a closed order again, with the card back in its maker's hands and the buyer funded.
    function replay(uint256 index) external {
        if (closedOrders.length == 0) return;
        Signed memory signed = closedOrders[index % closedOrders.length];
        address holder = cards.ownerOf(signed.order.tokenId);
        if (holder != signed.order.maker) {
            vm.prank(holder);
            cards.transferFrom(holder, signed.order.maker, signed.order.tokenId);
        }
        vm.deal(BUYER, signed.order.price);
        vm.prank(BUYER);
        try market.fill{value: signed.order.price}(signed.order, signed.sig) {
            ++replaysThatFilled;
        } catch {}
    }

    function closedCount() external view returns (uint256) {
        return closedOrders.length;
    }

    function _maker(uint256 seed) internal view returns (uint256 key, address maker) {
        key = makerKeys[seed % makerKeys.length];
        maker = vm.addr(key);
    }

    function _list(uint256 key, address maker, uint256 price, uint256 salt, uint256 endTime)
        internal
        returns (Signed memory signed)
    {
        uint256 tokenId = cards.tokenIdOf("sunflower-knight", uint96(nextSerial++));
        cards.mint(maker, tokenId);
        signed.order = Marketplace.Order({
            maker: maker,
            collection: address(cards),
            tokenId: tokenId,
            price: price,
            currency: address(0),
            startTime: block.timestamp,
            endTime: endTime,
            salt: salt,
            counter: market.counterOf(maker)
        });
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, market.hashOrder(signed.order));
        signed.sig = abi.encodePacked(r, s, v);
    }
}

/// @notice Invariants of the marketplace under random operation sequences.
contract MarketplaceInvariantTest is Test {
    MarketplaceHandler internal handler;
    Marketplace internal market;

    function setUp() public {
        vm.warp(1_800_000_000);
        HarvestCards cards = new HarvestCards(address(this), address(0x7EA5), 500, "https://x/", "https://x/c");
        market = new Marketplace(address(this), address(0x7EA5), 250, address(0));
        handler = new MarketplaceHandler(cards, market);
        cards.grantRole(cards.MINTER_ROLE(), address(handler));
        targetContract(address(handler));
    }

    /// No filled, cancelled, counter-voided or expired order ever fills again.
    function invariant_closedOrdersNeverFill() public view {
        assertEq(handler.replaysThatFilled(), 0, "a closed order filled again");
    }

    /// No custody: the contract holds exactly the fees and treasury royalties of the fills, nothing else.
    function invariant_holdsExactlyTheKeptFees() public view {
        assertEq(address(market).balance, handler.keptForTreasury(), "marketplace balance");
    }

    /// Counters only move up.
    function invariant_countersOnlyGrow() public view {
        assertEq(handler.counterDecreases(), 0, "a counter did not grow");
    }
}
