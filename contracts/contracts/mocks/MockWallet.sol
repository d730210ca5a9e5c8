// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @notice A smart-contract wallet for tests: ERC-1271 signatures by its owner key, arbitrary calls by its owner, and
/// a receive hook that can refuse payments or try to re-enter another contract. Tests only.
contract MockWallet is IERC1271 {
    address public immutable owner;
    bool public rejectPayments;
    address public reentryTarget;
    bytes public reentryCall;
    /// Revert data of the last re-entry attempt (empty when it succeeded).
    bytes public lastReentryRevert;
    bool public reentryAttempted;

    error MockWalletNotOwner();
    error MockWalletPaymentRejected();

    constructor(address owner_) {
        owner = owner_;
    }

    /// @notice Runs a call from the wallet.
    function execute(address target, uint256 value, bytes calldata data) external returns (bytes memory result) {
        if (msg.sender != owner) revert MockWalletNotOwner();
        bool ok;
        (ok, result) = target.call{value: value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
    }

    /// @notice Refuse incoming payments from now on (or accept them again).
    function setRejectPayments(bool reject) external {
        rejectPayments = reject;
    }

    /// @notice On the next payment received, call `target` with `data` (and record how it went).
    function setReentry(address target, bytes calldata data) external {
        reentryTarget = target;
        reentryCall = data;
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecover(hash, signature);
        return err == ECDSA.RecoverError.NoError && signer == owner ? IERC1271.isValidSignature.selector : bytes4(0);
    }

    receive() external payable {
        if (rejectPayments) revert MockWalletPaymentRejected();
        address target = reentryTarget;
        if (target != address(0)) {
            reentryTarget = address(0);
            reentryAttempted = true;
            (bool ok, bytes memory result) = target.call(reentryCall);
            lastReentryRevert = ok ? bytes("") : result;
        }
    }
}
