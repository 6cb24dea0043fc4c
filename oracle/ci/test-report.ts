/** The test counts and names a CI report yields, whatever its format. */
export interface TestReport {
  passedTests: string[];
  failedTests: string[];
  skipped: number;
}

export class TestReportParseError extends Error {
  readonly code = 'invalid_test_report';
  constructor(message: string) {
    super(message);
    this.name = 'TestReportParseError';
  }
}

/** FAILED as soon as one test failed; a report without failures is PASSED. */
export function resultOf(report: TestReport): 'PASSED' | 'FAILED' {
  return report.failedTests.length > 0 ? 'FAILED' : 'PASSED';
}
