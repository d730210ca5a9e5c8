import { createRequire } from 'node:module';

import hardhatToolboxViemPlugin from '@nomicfoundation/hardhat-toolbox-viem';
import { defineConfig } from 'hardhat/config';

// Compile offline with the solc that npm installed: giving Hardhat a `path` to soljson.js skips its download.
const require = createRequire(import.meta.url);
const SOLC_PATH = require.resolve('solc/soljson.js');
const SOLC_VERSION: string = require('solc/package.json').version;

// One compiler setting for tests, gas report and deployment, so what is measured and tested is what ships.
// `cancun` (not the newer default) because the target chains (Polygon PoS, Immutable zkEVM) are known to run it;
// it is the first fork with TSTORE, used by the marketplace's reentrancy guard.
const COMPILER = {
  version: SOLC_VERSION,
  path: SOLC_PATH,
  settings: {
    evmVersion: 'cancun',
    viaIR: true,
    optimizer: { enabled: true, runs: 1_000_000 },
  },
};

export default defineConfig({
  plugins: [hardhatToolboxViemPlugin],
  solidity: {
    profiles: {
      default: COMPILER,
      production: COMPILER,
    },
  },
  networks: {
    // Any JSON-RPC chain; scripts/deploy-local.ts overrides the URL (and the accounts when given a key).
    rpc: { type: 'http', chainType: 'l1', url: 'http://127.0.0.1:8545' },
  },
  test: {
    solidity: {
      // 256 random inputs per fuzz test; 128 random sequences of 64 calls per invariant keep the suite near 30 s
      // on two cores while still mixing hundreds of fills, cancels, counter increments and replays per run.
      fuzz: { runs: 256 },
      invariant: { runs: 128, depth: 64 },
    },
  },
});
