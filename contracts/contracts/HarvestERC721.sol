// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC165} from "@openzeppelin/contracts/interfaces/IERC165.sol";
import {IERC4906} from "@openzeppelin/contracts/interfaces/IERC4906.sol";
import {ERC2981} from "@openzeppelin/contracts/token/common/ERC2981.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @title HarvestERC721
/// @notice What the Harvest Battles collections (cards and land) share: OpenZeppelin ERC-721 with ERC-2981 royalties,
/// a minter role for the game's minter service, mint by id (single and batched), token URIs from a base URI, and
/// contract-level metadata (`contractURI`, ERC-7572).
/// @dev Token ids are chosen by the game, never by a counter here: each id is a pure function of the game object it
/// stands for (see each collection's id scheme), so a retried mint recomputes the same id and ERC-721's uniqueness
/// (`ERC721InvalidSender`) refuses a second token. Mint paths:
/// - `mint` uses `_safeMint`: a contract recipient must implement `onERC721Received`.
/// - `mintBatch` uses `_mint` without the receiver callback. This is deliberate: the minter sends batches to the
///   wallets players linked (EOAs or smart wallets that hold tokens without a callback), and skipping the callback
///   saves a cold EXTCODESIZE per token and removes a reentrancy point from a loop of 50 mints. A recipient that is
///   a contract unable to move ERC-721 tokens would still own its token; the game only mints to linked wallets.
abstract contract HarvestERC721 is ERC721, ERC2981, AccessControl, IERC4906 {
    /// @notice Role allowed to mint (held by the game's minter service).
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    string private _baseTokenURI;
    string private _contractMetadataURI;

    /// @notice `mintBatch` was given arrays of different lengths.
    error HarvestERC721LengthMismatch(uint256 recipients, uint256 tokenIds);

    /// @notice Contract-level metadata changed (ERC-7572).
    event ContractURIUpdated();

    /// @notice The default royalty (ERC-2981) changed.
    event DefaultRoyaltyUpdated(address indexed receiver, uint96 feeNumerator);

    /// @param name_ ERC-721 name.
    /// @param symbol_ ERC-721 symbol.
    /// @param admin Holder of DEFAULT_ADMIN_ROLE (grants MINTER_ROLE, sets URIs and royalties).
    /// @param royaltyReceiver Default ERC-2981 royalty receiver.
    /// @param royaltyBps Default royalty in basis points of the sale price.
    /// @param baseTokenURI Prefix of every `tokenURI` (the token id in decimal is appended).
    /// @param contractMetadataURI Value of `contractURI()`.
    constructor(
        string memory name_,
        string memory symbol_,
        address admin,
        address royaltyReceiver,
        uint96 royaltyBps,
        string memory baseTokenURI,
        string memory contractMetadataURI
    ) ERC721(name_, symbol_) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _setDefaultRoyalty(royaltyReceiver, royaltyBps);
        _baseTokenURI = baseTokenURI;
        _contractMetadataURI = contractMetadataURI;
    }

    /// @notice Mints `tokenId` to `to`, calling `onERC721Received` when `to` is a contract.
    /// @dev Reverts with `ERC721InvalidSender(address(0))` when the token already exists.
    /// @param to Recipient.
    /// @param tokenId Id chosen by the game (see the collection's id scheme).
    function mint(address to, uint256 tokenId) external onlyRole(MINTER_ROLE) {
        _beforeMint(tokenId);
        _safeMint(to, tokenId);
    }

    /// @notice Mints `tokenIds[i]` to `to[i]` for every i in one transaction, without receiver callbacks.
    /// @dev All or nothing: one existing id reverts the whole batch with `ERC721InvalidSender(address(0))`.
    /// @param to Recipients, one per token.
    /// @param tokenIds Ids chosen by the game.
    function mintBatch(address[] calldata to, uint256[] calldata tokenIds) external onlyRole(MINTER_ROLE) {
        uint256 count = tokenIds.length;
        if (to.length != count) revert HarvestERC721LengthMismatch(to.length, count);
        for (uint256 i; i < count; ++i) {
            uint256 tokenId = tokenIds[i];
            _beforeMint(tokenId);
            _mint(to[i], tokenId);
        }
    }

    /// @notice Sets the prefix of every token URI and tells indexers that all metadata changed (ERC-4906).
    /// @param baseTokenURI New prefix.
    function setBaseURI(string calldata baseTokenURI) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _baseTokenURI = baseTokenURI;
        emit BatchMetadataUpdate(0, type(uint256).max);
    }

    /// @notice Sets the contract-level metadata URI (ERC-7572).
    /// @param contractMetadataURI New URI.
    function setContractURI(string calldata contractMetadataURI) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _contractMetadataURI = contractMetadataURI;
        emit ContractURIUpdated();
    }

    /// @notice Sets the default ERC-2981 royalty.
    /// @param receiver Royalty receiver (not zero).
    /// @param feeNumerator Royalty in basis points (at most 10,000).
    function setDefaultRoyalty(address receiver, uint96 feeNumerator) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setDefaultRoyalty(receiver, feeNumerator);
        emit DefaultRoyaltyUpdated(receiver, feeNumerator);
    }

    /// @notice Contract-level metadata URI (ERC-7572).
    /// @return The URI.
    function contractURI() external view returns (string memory) {
        return _contractMetadataURI;
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId)
        public
        view
        virtual
        override(ERC721, ERC2981, AccessControl, IERC165)
        returns (bool)
    {
        return interfaceId == bytes4(0x49064906) || super.supportsInterface(interfaceId);
    }

    /// @dev Hook run before each mint; a collection refuses ids it must never mint again.
    function _beforeMint(uint256 tokenId) internal view virtual {}

    function _baseURI() internal view virtual override returns (string memory) {
        return _baseTokenURI;
    }
}
