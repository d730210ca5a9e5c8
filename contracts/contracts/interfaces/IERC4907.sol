// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

/// @title ERC-4907: rental NFT, an ERC-721 extension with a time-limited "user" role.
/// @dev Interface id 0xad092b5c.
interface IERC4907 {
    /// @notice The user of `tokenId` changed (or was cleared: `user` zero, `expires` zero).
    event UpdateUser(uint256 indexed tokenId, address indexed user, uint64 expires);

    /// @notice Sets the user of `tokenId` until `expires` (unix seconds); zero user clears it.
    /// @param tokenId The token.
    /// @param user The renter.
    /// @param expires Unix time until which `user` is the user.
    function setUser(uint256 tokenId, address user, uint64 expires) external;

    /// @notice The current user of `tokenId`, zero when none or expired.
    /// @param tokenId The token.
    /// @return The user.
    function userOf(uint256 tokenId) external view returns (address);

    /// @notice When the user of `tokenId` stops being the user (unix seconds), zero when none.
    /// @param tokenId The token.
    /// @return The expiry.
    function userExpires(uint256 tokenId) external view returns (uint256);
}
