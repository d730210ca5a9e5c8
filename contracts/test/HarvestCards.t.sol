// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {HarvestCards} from "../contracts/HarvestCards.sol";
import {Test} from "./utils/Test.sol";

/// @notice Fuzz tests of the card token id scheme and of "one game card, at most one token, ever".
contract HarvestCardsFuzzTest is Test {
    HarvestCards internal cards;

    function setUp() public {
        cards = new HarvestCards(address(this), address(0x7EA5), 500, "https://x/", "https://x/c");
        cards.grantRole(cards.MINTER_ROLE(), address(this));
    }

    function testFuzz_tokenIdEncodesDefinitionAndSerial(string calldata definitionId, uint96 serial) public view {
        uint256 tokenId = cards.tokenIdOf(definitionId, serial);
        uint160 key = uint160(bytes20(keccak256(bytes(definitionId))));
        assertEq(cards.definitionKeyOf(definitionId), key, "definition key");
        assertEq(cards.definitionKeyOfToken(tokenId), key, "high bits");
        assertEq(cards.serialOfToken(tokenId), serial, "low bits");
    }

    function testFuzz_distinctCardsHaveDistinctIds(string calldata a, string calldata b, uint96 serialA, uint96 serialB)
        public
        view
    {
        vm.assume(keccak256(bytes(a)) != keccak256(bytes(b)) || serialA != serialB);
        assertTrue(cards.tokenIdOf(a, serialA) != cards.tokenIdOf(b, serialB), "two cards share a token id");
    }

    function testFuzz_aCardNeverBecomesTwoTokens(uint256 tokenId, uint256 ownerKey) public {
        address owner = vm.addr(bound(ownerKey, 1, 1e60));
        cards.mint(owner, tokenId);
        vm.expectRevert(abi.encodeWithSignature("ERC721InvalidSender(address)", address(0)));
        cards.mint(owner, tokenId);
        vm.prank(owner);
        cards.burn(tokenId);
        vm.expectRevert(abi.encodeWithSelector(HarvestCards.HarvestCardsTokenBurned.selector, tokenId));
        cards.mint(owner, tokenId);
        address[] memory to = new address[](1);
        uint256[] memory ids = new uint256[](1);
        (to[0], ids[0]) = (owner, tokenId);
        vm.expectRevert(abi.encodeWithSelector(HarvestCards.HarvestCardsTokenBurned.selector, tokenId));
        cards.mintBatch(to, ids);
    }
}
