export { runStoreContract } from './store-contract.js';
export type { StoreContractHarness } from './contract-fixture.js';
