// Prints the failing tests of a vitest JSON report: file, full test name and the first lines of
// each failure message, so the reason for a red run is in the last lines of the CI log.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import process from 'node:process';

const print = (line) => process.stdout.write(`${line}\n`);

const path = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(path, 'utf8'));
} catch (err) {
  print(`(no test report at ${path}: ${err.message})`);
  process.exit(0);
}

const MAX_LINES = 12;
const failed = [];
for (const file of report.testResults ?? []) {
  const name = relative(process.cwd(), file.name);
  const tests = (file.assertionResults ?? []).filter((t) => t.status === 'failed');
  if (tests.length === 0 && file.status === 'failed') {
    // A file that failed outside any test (an import error, a hook that threw).
    failed.push({ where: name, title: '(the file itself)', messages: [file.message ?? ''] });
  }
  for (const test of tests) {
    failed.push({ where: name, title: test.fullName, messages: test.failureMessages ?? [] });
  }
}

if (failed.length === 0) {
  print('vitest reported a failure but no failing test; see the output above');
  process.exit(0);
}
print(`\n==== ${failed.length} failing test(s) ====`);
for (const { where, title, messages } of failed) {
  print(`\nFAIL ${where} > ${title}`);
  for (const message of messages) {
    const lines = String(message)
      .split('\n')
      .filter((line) => line.trim() !== '' && !/node_modules|node:internal|new Promise/.test(line));
    for (const line of lines.slice(0, MAX_LINES)) print(`  ${line}`);
    if (lines.length > MAX_LINES) print(`  ... (${lines.length - MAX_LINES} more lines)`);
  }
}
