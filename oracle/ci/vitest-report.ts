/**
 * Reads vitest's JSON report (`--reporter=json`, the Jest-compatible shape): one entry per test
 * file with its assertion results. A test file that failed without a failed assertion (it did not
 * load, or a hook threw) counts as one failed test.
 */
import { z } from 'zod';
import { TestReportParseError, type TestReport } from './test-report.ts';

const assertionSchema = z.looseObject({
  fullName: z.string().optional(),
  title: z.string(),
  ancestorTitles: z.array(z.string()).default([]),
  status: z.string(),
});

const vitestJsonReportSchema = z.looseObject({
  numTotalTests: z.number().int().min(0),
  numFailedTests: z.number().int().min(0),
  testResults: z.array(
    z.looseObject({
      name: z.string(),
      status: z.string(),
      assertionResults: z.array(assertionSchema),
    }),
  ),
});

export function parseVitestJson(text: string): TestReport {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TestReportParseError('the vitest report is not JSON');
  }
  const parsed = vitestJsonReportSchema.safeParse(json);
  if (!parsed.success) {
    throw new TestReportParseError(`not a vitest JSON report: ${parsed.error.issues[0]?.message}`);
  }
  const passedTests: string[] = [];
  const failedTests: string[] = [];
  let skipped = 0;
  for (const file of parsed.data.testResults) {
    let fileFailures = 0;
    for (const a of file.assertionResults) {
      const name = `${file.name} > ${a.fullName ?? [...a.ancestorTitles, a.title].join(' ')}`;
      if (a.status === 'passed') passedTests.push(name);
      else if (a.status === 'failed') {
        failedTests.push(name);
        fileFailures += 1;
      } else skipped += 1; // skipped, pending, todo, disabled
    }
    if (file.status === 'failed' && fileFailures === 0) {
      failedTests.push(`${file.name} (test file failed)`);
    }
  }
  if (parsed.data.numFailedTests > failedTests.length) {
    throw new TestReportParseError('the report declares more failed tests than it lists');
  }
  return { passedTests, failedTests, skipped };
}
