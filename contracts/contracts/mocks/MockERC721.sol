// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";

/// @notice A collection without ERC-2981: anyone can mint. Tests only.
contract MockERC721 is ERC721 {
    constructor() ERC721("Mock Collection", "MOCK") {}

    /// @notice Mints `tokenId` to `to`.
    function mint(address to, uint256 tokenId) external {
        _mint(to, tokenId);
    }
}

/// @notice A collection whose `royaltyInfo` answers a fixed receiver and amount whatever the price. Tests only.
contract MockRoyaltyERC721 is ERC721 {
    address private _receiver;
    uint256 private _amount;

    constructor() ERC721("Mock Royalty Collection", "MOCKR") {}

    /// @notice Mints `tokenId` to `to`.
    function mint(address to, uint256 tokenId) external {
        _mint(to, tokenId);
    }

    /// @notice Sets what `royaltyInfo` answers.
    function setRoyalty(address receiver, uint256 amount) external {
        (_receiver, _amount) = (receiver, amount);
    }

    /// @notice ERC-2981 shape, fixed answer.
    function royaltyInfo(uint256, uint256) external view returns (address, uint256) {
        return (_receiver, _amount);
    }
}
