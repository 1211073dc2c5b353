import { storeHarness } from './testing/attempt-harness.js';
import { attemptSuite } from './testing/attempt-suite.js';

attemptSuite(storeHarness());
