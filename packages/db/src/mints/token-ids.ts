/**
 * Token ids are pure functions of the game object, so a retried or duplicated mint computes the same id and the
 * contract refuses a second token (contracts/README.md "Token ids").
 *
 * - Card: `(definitionKey << 96) | serial`, definitionKey = first 20 bytes of keccak256(definitionId). The serial
 *   is the card instance's serial within its definition: the low 96 bits of the card's UUID. Card ids are random
 *   UUIDs (94 random bits in those 96), so the serial is unique within a definition unless two of its cards collide
 *   there (probability below 1e-9 for 10^10 cards of one definition); the live-token unique index on mint_items
 *   and on card_instances.token_id refuses such a collision instead of minting it. No column is needed: the id
 *   never changes, whoever computes it and however often.
 * - Land: the parcel's id in the game data is a string (`meadow-1`), so its token id is uint256(keccak256(id)).
 */
import { keccak256, toBytes } from 'viem';

const SERIAL_BITS = 96n;
const SERIAL_MASK = (1n << SERIAL_BITS) - 1n;

/** The 160-bit key of a card definition (HarvestCards.definitionKeyOf). */
export function cardDefinitionKey(definitionId: string): bigint {
  return BigInt(keccak256(toBytes(definitionId)).slice(0, 42));
}

/** The serial of a card instance: the low 96 bits of its UUID. */
export function cardSerial(cardId: string): bigint {
  const hex = cardId.replace(/-/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) throw new Error(`not a UUID: ${cardId}`);
  return BigInt(`0x${hex}`) & SERIAL_MASK;
}

/** The token id of a card (HarvestCards.tokenIdOf(definitionId, serial)). */
export function cardTokenId(definitionId: string, cardId: string): bigint {
  return (cardDefinitionKey(definitionId) << SERIAL_BITS) | cardSerial(cardId);
}

/** The token id of a land parcel: uint256(keccak256(parcelId)). */
export function landTokenId(parcelId: string): bigint {
  return BigInt(keccak256(toBytes(parcelId)));
}
