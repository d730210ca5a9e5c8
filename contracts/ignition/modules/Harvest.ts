// Ignition module of the Harvest Battles contracts: the card and land collections and the marketplace.
// Parameters (all optional) under the module id "Harvest":
//   admin            DEFAULT_ADMIN_ROLE of both collections and owner of the marketplace (default: account #0)
//   treasury         royalty receiver of both collections and marketplace fee recipient (default: account #0)
//   cardRoyaltyBps, landRoyaltyBps, protocolFeeBps, coSigner,
//   cardsBaseUri, cardsContractUri, landBaseUri, landContractUri (token and contract metadata URLs)
// The minter role is granted outside the module (scripts/deploy-local.ts), so changing the minter never conflicts
// with Ignition's journal.
import { buildModule } from '@nomicfoundation/hardhat-ignition/modules';

export default buildModule('Harvest', (m) => {
  const admin = m.getParameter('admin', m.getAccount(0));
  const treasury = m.getParameter('treasury', m.getAccount(0));
  const cardRoyaltyBps = m.getParameter('cardRoyaltyBps', 500n);
  const landRoyaltyBps = m.getParameter('landRoyaltyBps', 500n);
  const protocolFeeBps = m.getParameter('protocolFeeBps', 250n);
  const coSigner = m.getParameter('coSigner', '0x0000000000000000000000000000000000000000');
  const cardsBaseUri = m.getParameter('cardsBaseUri', 'http://127.0.0.1:3000/metadata/cards/');
  const cardsContractUri = m.getParameter('cardsContractUri', 'http://127.0.0.1:3000/metadata/cards/contract.json');
  const landBaseUri = m.getParameter('landBaseUri', 'http://127.0.0.1:3000/metadata/land/');
  const landContractUri = m.getParameter('landContractUri', 'http://127.0.0.1:3000/metadata/land/contract.json');

  const cards = m.contract('HarvestCards', [admin, treasury, cardRoyaltyBps, cardsBaseUri, cardsContractUri]);
  const land = m.contract('HarvestLand', [admin, treasury, landRoyaltyBps, landBaseUri, landContractUri]);
  const marketplace = m.contract('Marketplace', [admin, treasury, protocolFeeBps, coSigner]);
  return { cards, land, marketplace };
});
