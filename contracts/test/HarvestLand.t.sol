// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {HarvestLand} from "../contracts/HarvestLand.sol";
import {Test} from "./utils/Test.sol";

/// @notice Fuzz tests of ERC-4907 rentals.
contract HarvestLandFuzzTest is Test {
    address internal constant OWNER = address(0x0A11);
    address internal constant RENTER = address(0x4E47);
    HarvestLand internal land;

    function setUp() public {
        vm.warp(1_800_000_000);
        land = new HarvestLand(address(this), address(0x7EA5), 300, "https://x/", "https://x/c");
        land.grantRole(land.MINTER_ROLE(), address(this));
        land.mint(OWNER, 1);
    }

    function testFuzz_userOfFollowsTheExpiry(uint32 length, uint32 later) public {
        uint64 expires = uint64(block.timestamp + bound(length, 1, type(uint32).max));
        vm.prank(OWNER);
        land.setUser(1, RENTER, expires);
        vm.warp(block.timestamp + later);
        assertEq(land.userOf(1), block.timestamp <= expires ? RENTER : address(0), "userOf");
        assertEq(land.userExpires(1), expires, "userExpires");
    }

    function testFuzz_refusesExpiriesNotInTheFuture(uint64 expires) public {
        expires = uint64(bound(expires, 0, block.timestamp));
        vm.expectRevert(
            abi.encodeWithSelector(HarvestLand.HarvestLandRentalExpiryPassed.selector, expires, block.timestamp)
        );
        vm.prank(OWNER);
        land.setUser(1, RENTER, expires);
    }

    function testFuzz_transferEndsTheRental(address to) public {
        vm.assume(to != address(0) && to != OWNER && to.code.length == 0);
        vm.startPrank(OWNER);
        land.setUser(1, RENTER, uint64(block.timestamp + 1 days));
        land.transferFrom(OWNER, to, 1);
        vm.stopPrank();
        assertEq(land.userOf(1), address(0), "rental survived the transfer");
        assertEq(land.userExpires(1), 0, "expiry survived the transfer");
    }
}
