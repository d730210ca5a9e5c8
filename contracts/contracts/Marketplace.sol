// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {IERC2981} from "@openzeppelin/contracts/interfaces/IERC2981.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// @title Marketplace
/// @notice Settles EIP-712 signed sell orders for single ERC-721 tokens without custody: the seller keeps the token
/// and approves this contract as operator; `fill` moves the token to the taker and, in the same transaction, pays the
/// seller, the ERC-2981 royalty receiver and a capped protocol fee, in the native currency or an ERC-20.
///
/// @dev Order lifecycle.
/// - `salt` is the order's nonce: one bit in the maker's salt bitmap. Filling or cancelling an order sets its bit,
///   so an order fills at most once and never after `cancel(salt)`. Orders that share a maker and a salt share the
///   bit (the web app gives each listing a fresh salt; reusing one makes orders mutually exclusive).
/// - `counter` must equal the maker's counter; `incrementCounter` voids every order signed with an older one.
/// - An order is live for `startTime <= block.timestamp < endTime`.
///
/// Storage layout, chosen for gas: one word per maker holds the counter (bits 192-255) and the bits of salts 0-191
/// (bits 0-191), so a fill with a small salt reads and writes one warm-after-first slot for both checks, and every
/// fill, cancel or counter increment after the maker's first one updates an existing word (5,000 gas) instead of
/// creating one (22,100 gas). The web app should hand out salts per maker from 0 upwards. Larger salts live in
/// separate 256-bit words keyed by `salt >> 8` (bits 0-191 of word 0 are never used).
///
/// Money. The taker pays `price`. The protocol fee is `price * protocolFeeBps / 10_000`, `protocolFeeBps` capped
/// at `MAX_PROTOCOL_FEE_BPS`. The royalty is what the collection's ERC-2981 `royaltyInfo(tokenId, price)` says (none
/// when the collection does not answer); fee + royalty may not exceed the price. The seller gets the rest.
/// Seller proceeds and royalties go straight to their receivers; the protocol fee stays in this contract until
/// anyone calls `sweepFees`, which sends it to `feeRecipient`. A royalty whose receiver is the fee recipient (the
/// Harvest collections pay royalties to the studio treasury, which also receives the fee) stays with the fee the
/// same way. Both save a value transfer to a cold account (about 9,300 gas) on every fill. Nothing else is ever
/// held: the contract's balance of any currency is exactly what the next sweep sends to the fee recipient (plus
/// anything sent to it by mistake, which goes there too).
///
/// Makers may be contracts: signatures are checked with ERC-1271 when the maker has code.
///
/// Co-signer hook. When `coSigner` is set, every fill must also carry the co-signer's EIP-712 signature over
/// `CoSignature(bytes32 orderHash, address taker, uint256 deadline)` (`fillWithCoSignature`); plain `fill` is then
/// refused. The game runs the co-signer: it signs only while the card is tradeable (not locked in a match, not being
/// crafted), for one taker and a short deadline, so it can refuse fills without touching the maker's signature.
/// Setting it to zero turns the hook off.
///
/// Reentrancy: `fill`, `fillWithCoSignature` and `sweepFees` are `nonReentrant` (transient storage), and the order's
/// bit is set before any external call.
contract Marketplace is EIP712, Ownable2Step, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice A sell order, signed by its maker with EIP-712 (domain "Harvest Marketplace", version "1").
    struct Order {
        address maker;
        address collection;
        uint256 tokenId;
        uint256 price;
        address currency;
        uint256 startTime;
        uint256 endTime;
        uint256 salt;
        uint256 counter;
    }

    /// @notice EIP-712 type hash of `Order`.
    bytes32 public constant ORDER_TYPEHASH = keccak256(
        "Order(address maker,address collection,uint256 tokenId,uint256 price,address currency,uint256 startTime,uint256 endTime,uint256 salt,uint256 counter)"
    );

    /// @notice EIP-712 type hash of the co-signer's approval of one fill.
    bytes32 public constant CO_SIGNATURE_TYPEHASH =
        keccak256("CoSignature(bytes32 orderHash,address taker,uint256 deadline)");

    /// @notice Highest protocol fee the owner can set, in basis points (5%).
    uint16 public constant MAX_PROTOCOL_FEE_BPS = 500;

    uint256 private constant BPS = 10_000;

    uint256 private constant SALTS_IN_MAKER_WORD = 192;
    uint256 private constant COUNTER_SHIFT = 192;

    // One slot, read once per fill.
    address private _feeRecipient;
    uint16 private _protocolFeeBps;
    bool private _coSignerRequired;

    // Read only when a co-signature is required.
    address private _coSigner;

    /// Counter (bits 192-255) and the bits of salts 0-191 (bits 0-191), per maker.
    mapping(address maker => uint256) private _makerWords;
    /// Bits of salts from 192 up, per maker, in words keyed by `salt >> 8`.
    mapping(address maker => mapping(uint256 word => uint256 bits)) private _saltWords;

    /// @notice The order's signature is not the maker's.
    error MarketplaceInvalidSignature();
    /// @notice The order's `startTime` is still ahead.
    error MarketplaceOrderNotStarted(uint256 startTime);
    /// @notice The order's `endTime` has passed.
    error MarketplaceOrderExpired(uint256 endTime);
    /// @notice The order's counter is not the maker's current counter (voided by `incrementCounter`).
    error MarketplaceCounterMismatch(uint256 orderCounter, uint256 makerCounter);
    /// @notice The maker's salt was already used: the order was filled or cancelled.
    error MarketplaceOrderClosed(address maker, uint256 salt);
    /// @notice The value sent does not match: `price` for native orders, zero for ERC-20 orders.
    error MarketplaceIncorrectPayment(uint256 expected, uint256 sent);
    /// @notice The collection's royalty plus the protocol fee exceeds the price.
    error MarketplaceRoyaltyTooHigh(uint256 royalty, uint256 available);
    /// @notice A native currency payment was refused by its receiver.
    error MarketplaceNativeTransferFailed(address to, uint256 amount);
    /// @notice A co-signer is configured: use `fillWithCoSignature`.
    error MarketplaceCoSignatureRequired();
    /// @notice The co-signature's deadline has passed.
    error MarketplaceCoSignatureExpired(uint256 deadline);
    /// @notice The co-signature is not the co-signer's.
    error MarketplaceInvalidCoSignature();
    /// @notice The protocol fee is above `MAX_PROTOCOL_FEE_BPS`.
    error MarketplaceFeeTooHigh(uint256 bps, uint256 maxBps);
    /// @notice The fee recipient cannot be the zero address.
    error MarketplaceZeroFeeRecipient();

    /// @notice `taker` bought `tokenId` of `collection` from `maker` for `price` of `currency` (zero: native).
    event OrderFilled(
        bytes32 indexed orderHash,
        address indexed maker,
        address indexed taker,
        address collection,
        uint256 tokenId,
        address currency,
        uint256 price
    );
    /// @notice `maker` cancelled the order(s) with `salt`.
    event OrderCancelled(address indexed maker, uint256 salt);
    /// @notice `maker` voided every order signed with a counter below `newCounter`.
    event CounterIncremented(address indexed maker, uint256 newCounter);
    /// @notice The protocol fee changed.
    event ProtocolFeeUpdated(uint16 bps);
    /// @notice The fee recipient changed.
    event FeeRecipientUpdated(address indexed recipient);
    /// @notice The co-signer changed (zero: hook off).
    event CoSignerUpdated(address indexed coSigner);
    /// @notice Accrued protocol fees of `currency` were sent to `recipient`.
    event FeesSwept(address indexed currency, address indexed recipient, uint256 amount);

    /// @param initialOwner Owner (sets fee, fee recipient and co-signer).
    /// @param feeRecipient_ Receiver of swept protocol fees.
    /// @param protocolFeeBps_ Initial protocol fee in basis points (at most `MAX_PROTOCOL_FEE_BPS`).
    /// @param coSigner_ Initial co-signer, zero for none.
    constructor(address initialOwner, address feeRecipient_, uint16 protocolFeeBps_, address coSigner_)
        EIP712("Harvest Marketplace", "1")
        Ownable(initialOwner)
    {
        _setFeeRecipient(feeRecipient_);
        _setProtocolFee(protocolFeeBps_);
        _setCoSigner(coSigner_);
    }

    /// @notice Buys the token of `order` for the caller, when no co-signer is configured.
    /// @dev Send `order.price` as value for a native order; approve this contract for `order.price` of the ERC-20
    /// otherwise.
    /// @param order The maker's order.
    /// @param signature The maker's EIP-712 signature of `order` (or ERC-1271 signature data).
    /// @return orderHash The order's EIP-712 digest.
    function fill(Order calldata order, bytes calldata signature)
        external
        payable
        nonReentrant
        returns (bytes32 orderHash)
    {
        if (_coSignerRequired) revert MarketplaceCoSignatureRequired();
        orderHash = _checkOrder(order, signature);
        _settle(order, orderHash);
    }

    /// @notice Buys the token of `order` for the caller with the co-signer's approval (see the contract's notes).
    /// @dev When no co-signer is configured the co-signature is ignored and this behaves like `fill`.
    /// @param order The maker's order.
    /// @param signature The maker's signature.
    /// @param deadline Last second (unix time) at which the co-signature is valid.
    /// @param coSignature The co-signer's EIP-712 signature of `CoSignature(orderHash, msg.sender, deadline)`.
    /// @return orderHash The order's EIP-712 digest.
    function fillWithCoSignature(
        Order calldata order,
        bytes calldata signature,
        uint256 deadline,
        bytes calldata coSignature
    ) external payable nonReentrant returns (bytes32 orderHash) {
        orderHash = _checkOrder(order, signature);
        if (_coSignerRequired) {
            if (block.timestamp > deadline) revert MarketplaceCoSignatureExpired(deadline);
            bytes32 digest =
                _hashTypedDataV4(keccak256(abi.encode(CO_SIGNATURE_TYPEHASH, orderHash, msg.sender, deadline)));
            if (!SignatureChecker.isValidSignatureNowCalldata(_coSigner, digest, coSignature)) {
                revert MarketplaceInvalidCoSignature();
            }
        }
        _settle(order, orderHash);
    }

    /// @notice Cancels the caller's order(s) with `salt`; they can never be filled afterwards.
    /// @param salt The order's salt.
    function cancel(uint256 salt) external {
        _useSalt(msg.sender, salt, salt < SALTS_IN_MAKER_WORD ? _makerWords[msg.sender] : 0);
        emit OrderCancelled(msg.sender, salt);
    }

    /// @notice Voids every order the caller signed with the current counter.
    /// @return newCounter The counter new orders must carry.
    function incrementCounter() external returns (uint256 newCounter) {
        // 64 bits of counter cannot overflow one increment per transaction; the add is checked all the same.
        uint256 word = _makerWords[msg.sender] + (1 << COUNTER_SHIFT);
        _makerWords[msg.sender] = word;
        newCounter = word >> COUNTER_SHIFT;
        emit CounterIncremented(msg.sender, newCounter);
    }

    /// @notice Sends the accrued protocol fees of `currency` (zero address: native) to the fee recipient.
    /// @dev Callable by anyone: the destination is fixed.
    /// @param currency The currency to sweep.
    /// @return amount The amount sent.
    function sweepFees(address currency) external nonReentrant returns (uint256 amount) {
        address recipient = _feeRecipient;
        if (currency == address(0)) {
            amount = address(this).balance;
            _sendNative(recipient, amount);
        } else {
            amount = IERC20(currency).balanceOf(address(this));
            IERC20(currency).safeTransfer(recipient, amount);
        }
        emit FeesSwept(currency, recipient, amount);
    }

    /// @notice Sets the protocol fee.
    /// @param bps Fee in basis points, at most `MAX_PROTOCOL_FEE_BPS`.
    function setProtocolFee(uint16 bps) external onlyOwner {
        _setProtocolFee(bps);
    }

    /// @notice Sets the receiver of swept protocol fees.
    /// @param recipient The new fee recipient (not zero).
    function setFeeRecipient(address recipient) external onlyOwner {
        _setFeeRecipient(recipient);
    }

    /// @notice Sets the co-signer whose approval every fill needs; zero turns the hook off.
    /// @param coSigner_ The co-signer (an EOA or an ERC-1271 contract), or zero.
    function setCoSigner(address coSigner_) external onlyOwner {
        _setCoSigner(coSigner_);
    }

    /// @notice The EIP-712 digest of `order`: what the maker signs, and the id used in events and co-signatures.
    /// @param order The order.
    /// @return The digest.
    function hashOrder(Order calldata order) external view returns (bytes32) {
        return _hashOrder(order);
    }

    /// @notice The EIP-712 digest the co-signer signs for one fill.
    /// @param orderHash The order's digest.
    /// @param taker The buyer allowed to fill.
    /// @param deadline Last second at which the co-signature is valid.
    /// @return The digest.
    function hashCoSignature(bytes32 orderHash, address taker, uint256 deadline) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(CO_SIGNATURE_TYPEHASH, orderHash, taker, deadline)));
    }

    /// @notice The counter the maker's new orders must carry.
    /// @param maker The maker.
    /// @return The counter.
    function counterOf(address maker) external view returns (uint256) {
        return _makerWords[maker] >> COUNTER_SHIFT;
    }

    /// @notice Whether the maker's `salt` was used (an order with it was filled or cancelled).
    /// @param maker The maker.
    /// @param salt The salt.
    /// @return True when used.
    function isSaltUsed(address maker, uint256 salt) external view returns (bool) {
        if (salt < SALTS_IN_MAKER_WORD) return _makerWords[maker] & (1 << salt) != 0;
        return _saltWords[maker][salt >> 8] & (1 << (salt & 0xff)) != 0;
    }

    /// @notice The protocol fee in basis points.
    /// @return The fee.
    function protocolFeeBps() external view returns (uint16) {
        return _protocolFeeBps;
    }

    /// @notice The receiver of swept protocol fees.
    /// @return The recipient.
    function feeRecipient() external view returns (address) {
        return _feeRecipient;
    }

    /// @notice The co-signer, zero when the hook is off.
    /// @return The co-signer.
    function coSigner() external view returns (address) {
        return _coSigner;
    }

    /// @dev Checks everything about the order itself, then spends its salt (before any external call).
    function _checkOrder(Order calldata order, bytes calldata signature) private returns (bytes32 orderHash) {
        if (block.timestamp < order.startTime) revert MarketplaceOrderNotStarted(order.startTime);
        if (block.timestamp >= order.endTime) revert MarketplaceOrderExpired(order.endTime);
        address maker = order.maker;
        uint256 makerWord = _makerWords[maker];
        uint256 makerCounter = makerWord >> COUNTER_SHIFT;
        if (order.counter != makerCounter) revert MarketplaceCounterMismatch(order.counter, makerCounter);
        orderHash = _hashOrder(order);
        if (!SignatureChecker.isValidSignatureNowCalldata(maker, orderHash, signature)) {
            revert MarketplaceInvalidSignature();
        }
        _useSalt(maker, order.salt, makerWord);
    }

    /// @dev Sets the bit of `salt`, reverting when it is already set. `makerWord` is `_makerWords[maker]`.
    function _useSalt(address maker, uint256 salt, uint256 makerWord) private {
        if (salt < SALTS_IN_MAKER_WORD) {
            uint256 bit = 1 << salt;
            if (makerWord & bit != 0) revert MarketplaceOrderClosed(maker, salt);
            _makerWords[maker] = makerWord | bit;
        } else {
            mapping(uint256 => uint256) storage words = _saltWords[maker];
            uint256 word = salt >> 8;
            uint256 bit = 1 << (salt & 0xff);
            uint256 bits = words[word];
            if (bits & bit != 0) revert MarketplaceOrderClosed(maker, salt);
            words[word] = bits | bit;
        }
    }

    /// @dev Moves the token and the money. The salt is already spent.
    function _settle(Order calldata order, bytes32 orderHash) private {
        uint256 price = order.price;
        address currency = order.currency;
        address maker = order.maker;
        uint256 expectedValue = currency == address(0) ? price : 0;
        if (msg.value != expectedValue) revert MarketplaceIncorrectPayment(expectedValue, msg.value);
        (address feeTo, uint256 feeBps) = (_feeRecipient, _protocolFeeBps);
        uint256 fee = price * feeBps / BPS;
        (address royaltyReceiver, uint256 royalty) = _royalty(order.collection, order.tokenId, price);
        if (royalty > price - fee) revert MarketplaceRoyaltyTooHigh(royalty, price - fee);
        uint256 proceeds = price - fee - royalty;
        // What stays here until swept: the fee, and the royalty too when the fee recipient is its receiver.
        uint256 kept = fee;
        if (royaltyReceiver == feeTo) (kept, royalty) = (fee + royalty, 0);

        IERC721(order.collection).transferFrom(maker, msg.sender, order.tokenId);

        if (currency == address(0)) {
            _sendNative(maker, proceeds);
            if (royalty != 0) _sendNative(royaltyReceiver, royalty);
        } else {
            IERC20 token = IERC20(currency);
            if (proceeds != 0) token.safeTransferFrom(msg.sender, maker, proceeds);
            if (royalty != 0) token.safeTransferFrom(msg.sender, royaltyReceiver, royalty);
            if (kept != 0) token.safeTransferFrom(msg.sender, address(this), kept);
        }
        emit OrderFilled(orderHash, maker, msg.sender, order.collection, order.tokenId, currency, price);
    }

    /// @dev ERC-2981 royalty, or none when the collection does not answer `royaltyInfo` or names no receiver.
    function _royalty(address collection, uint256 tokenId, uint256 price)
        private
        view
        returns (address receiver, uint256 amount)
    {
        (bool ok, bytes memory data) =
            collection.staticcall(abi.encodeCall(IERC2981.royaltyInfo, (tokenId, price)));
        if (ok && data.length >= 64) {
            (receiver, amount) = abi.decode(data, (address, uint256));
            if (receiver == address(0)) amount = 0;
        }
    }

    function _sendNative(address to, uint256 amount) private {
        if (amount == 0) return;
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert MarketplaceNativeTransferFailed(to, amount);
    }

    function _hashOrder(Order calldata order) private view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(ORDER_TYPEHASH, order)));
    }

    function _setProtocolFee(uint16 bps) private {
        if (bps > MAX_PROTOCOL_FEE_BPS) revert MarketplaceFeeTooHigh(bps, MAX_PROTOCOL_FEE_BPS);
        _protocolFeeBps = bps;
        emit ProtocolFeeUpdated(bps);
    }

    function _setCoSigner(address coSigner_) private {
        _coSigner = coSigner_;
        _coSignerRequired = coSigner_ != address(0);
        emit CoSignerUpdated(coSigner_);
    }

    function _setFeeRecipient(address recipient) private {
        if (recipient == address(0)) revert MarketplaceZeroFeeRecipient();
        _feeRecipient = recipient;
        emit FeeRecipientUpdated(recipient);
    }
}
