// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {HarvestERC721} from "./HarvestERC721.sol";
import {IERC4907} from "./interfaces/IERC4907.sol";

/// @title HarvestLand
/// @notice Land parcels as ERC-721 tokens with ERC-4907 rentals (a user with an expiry), ERC-2981 royalties, a minter
/// role and batch minting.
/// @dev Token id scheme: the token id is the parcel's id in the game data (one parcel, one id), so a parcel can never
/// become two tokens. A transfer ends any rental, as ERC-4907's reference implementation does.
contract HarvestLand is HarvestERC721, IERC4907 {
    struct Rental {
        address user;
        uint64 expires;
    }

    mapping(uint256 tokenId => Rental) private _rentals;

    /// @notice A rental was set with an expiry that is not in the future.
    error HarvestLandRentalExpiryPassed(uint64 expires, uint256 nowTimestamp);

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
            "Harvest Battles Land", "HBLAND", admin, royaltyReceiver, royaltyBps, baseTokenURI, contractMetadataURI
        )
    {}

    /// @notice Rents `tokenId` to `user` until `expires`; callable by the owner or an approved operator.
    /// @dev A zero `user` ends the rental (any `expires` is accepted then).
    /// @param tokenId The parcel.
    /// @param user The renter, or zero to clear.
    /// @param expires Unix time (seconds) until which `user` is the user; must be in the future for a non-zero user.
    function setUser(uint256 tokenId, address user, uint64 expires) external {
        address owner = _requireOwned(tokenId);
        _checkAuthorized(owner, _msgSender(), tokenId);
        if (user != address(0) && expires <= block.timestamp) {
            revert HarvestLandRentalExpiryPassed(expires, block.timestamp);
        }
        _rentals[tokenId] = Rental(user, expires);
        emit UpdateUser(tokenId, user, expires);
    }

    /// @notice The current renter of `tokenId`, zero when none or the rental expired.
    /// @param tokenId The parcel.
    /// @return The user.
    function userOf(uint256 tokenId) external view returns (address) {
        Rental memory rental = _rentals[tokenId];
        return rental.expires >= block.timestamp ? rental.user : address(0);
    }

    /// @notice When the current rental of `tokenId` ends (unix seconds), zero when none was set.
    /// @param tokenId The parcel.
    /// @return The expiry.
    function userExpires(uint256 tokenId) external view returns (uint256) {
        return _rentals[tokenId].expires;
    }

    /// @inheritdoc HarvestERC721
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(IERC4907).interfaceId || super.supportsInterface(interfaceId);
    }

    /// @dev Ends the rental when the parcel changes hands (ERC-4907 reference behaviour).
    function _update(address to, uint256 tokenId, address auth) internal override returns (address from) {
        from = super._update(to, tokenId, auth);
        if (from != to && _rentals[tokenId].user != address(0)) {
            delete _rentals[tokenId];
            emit UpdateUser(tokenId, address(0), 0);
        }
    }
}
