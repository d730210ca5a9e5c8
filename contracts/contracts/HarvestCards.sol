// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {ERC721Burnable} from "@openzeppelin/contracts/token/ERC721/extensions/ERC721Burnable.sol";
import {BitMaps} from "@openzeppelin/contracts/utils/structs/BitMaps.sol";

import {HarvestERC721} from "./HarvestERC721.sol";

/// @title HarvestCards
/// @notice Game cards as ERC-721 tokens: ERC-2981 royalties, a minter role, mint by id (single and batched), burn by
/// owner or approved operator, token URIs from a base URI and contract-level metadata.
/// @dev Token id scheme: `tokenId = (definitionKey << 96) | serial`.
/// - `definitionKey` (high 160 bits) identifies the card definition: the first 20 bytes of
///   `keccak256(bytes(definitionId))`, where `definitionId` is the card's id in the game data (e.g. "sunflower-knight").
///   See `definitionKeyOf`.
/// - `serial` (low 96 bits) is the card instance's serial, unique per definition in the game database.
/// The id is therefore a pure function of the game card, so provenance (which definition a token is) needs no storage
/// (`definitionKeyOf(tokenId)`), and one game card can never become two tokens: minting the same card again computes
/// the same id, which ERC-721 refuses while the token lives and `HarvestCardsTokenBurned` refuses after a burn.
contract HarvestCards is ERC721Burnable, HarvestERC721 {
    using BitMaps for BitMaps.BitMap;

    uint256 private constant SERIAL_BITS = 96;

    /// Ids that were burned; they can never be minted again.
    BitMaps.BitMap private _burned;

    /// @notice `tokenId` was burned and can never be minted again.
    error HarvestCardsTokenBurned(uint256 tokenId);

    /// @param admin Holder of DEFAULT_ADMIN_ROLE.
    /// @param royaltyReceiver Default ERC-2981 royalty receiver.
    /// @param royaltyBps Default royalty in basis points.
    /// @param baseTokenURI Prefix of every token URI.
    /// @param contractMetadataURI Value of `contractURI()`.
    constructor(
        address admin,
        address royaltyReceiver,
        uint96 royaltyBps,
        string memory baseTokenURI,
        string memory contractMetadataURI
    )
        HarvestERC721(
            "Harvest Battles Cards", "HBCARD", admin, royaltyReceiver, royaltyBps, baseTokenURI, contractMetadataURI
        )
    {}

    /// @notice Token id of the card with game definition `definitionId` and instance serial `serial`.
    /// @param definitionId The card definition's id in the game data.
    /// @param serial The card instance's serial within its definition.
    /// @return The token id.
    function tokenIdOf(string calldata definitionId, uint96 serial) external pure returns (uint256) {
        return (uint256(definitionKeyOf(definitionId)) << SERIAL_BITS) | serial;
    }

    /// @notice The 160-bit key of a card definition id: the first 20 bytes of its keccak256.
    /// @param definitionId The card definition's id in the game data.
    /// @return The key stored in a token id's high 160 bits.
    function definitionKeyOf(string calldata definitionId) public pure returns (uint160) {
        return uint160(bytes20(keccak256(bytes(definitionId))));
    }

    /// @notice The card definition key encoded in a token id (no storage read: the token need not exist).
    /// @param tokenId A card token id.
    /// @return The high 160 bits.
    function definitionKeyOfToken(uint256 tokenId) external pure returns (uint160) {
        return uint160(tokenId >> SERIAL_BITS);
    }

    /// @notice The instance serial encoded in a token id.
    /// @param tokenId A card token id.
    /// @return The low 96 bits.
    function serialOfToken(uint256 tokenId) external pure returns (uint96) {
        return uint96(tokenId);
    }

    /// @notice Whether `tokenId` was burned (and so can never be minted again).
    /// @param tokenId A card token id.
    /// @return True once burned.
    function isBurned(uint256 tokenId) external view returns (bool) {
        return _burned.get(tokenId);
    }

    /// @inheritdoc HarvestERC721
    function supportsInterface(bytes4 interfaceId) public view override(ERC721, HarvestERC721) returns (bool) {
        return super.supportsInterface(interfaceId);
    }

    function _baseURI() internal view override(ERC721, HarvestERC721) returns (string memory) {
        return super._baseURI();
    }

    function _beforeMint(uint256 tokenId) internal view override {
        if (_burned.get(tokenId)) revert HarvestCardsTokenBurned(tokenId);
    }

    /// @dev Records burns so a burned card's id is never reused.
    function _update(address to, uint256 tokenId, address auth) internal override(ERC721) returns (address from) {
        from = super._update(to, tokenId, auth);
        if (to == address(0)) _burned.set(tokenId);
    }
}
