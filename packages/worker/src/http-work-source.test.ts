import { httpHarness } from './testing/attempt-harness.js';
import { attemptSuite } from './testing/attempt-suite.js';

attemptSuite(httpHarness());
