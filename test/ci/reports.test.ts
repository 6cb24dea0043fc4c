import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseJunitXml } from '../../oracle/ci/junit.ts';
import { parseVitestJson } from '../../oracle/ci/vitest-report.ts';
import { resultOf, TestReportParseError } from '../../oracle/ci/test-report.ts';

const VITEST_JUNIT = `<?xml version="1.0" encoding="UTF-8" ?>
<testsuites name="vitest tests" tests="4" failures="1" errors="0" time="0.5">
    <testsuite name="test/a.test.ts" timestamp="2026-01-01T00:00:00" hostname="h" tests="4" failures="1" errors="0" skipped="1" time="0.1">
        <testcase classname="test/a.test.ts" name="a &gt; adds &amp; subtracts" time="0.001">
        </testcase>
        <testcase classname="test/a.test.ts" name="a &gt; multiplies" time="0.001"/>
        <testcase classname="test/a.test.ts" name="a &gt; divides" time="0.002">
            <failure message="expected 1 to be 2" type="AssertionError">
<![CDATA[AssertionError: expected 1 to be 2 <testcase name="fake"/>]]>
            </failure>
            <system-out>log &lt;testcase&gt;</system-out>
        </testcase>
        <testcase classname="test/a.test.ts" name="a &gt; later" time="0">
            <skipped/>
        </testcase>
    </testsuite>
</testsuites>
`;

describe('JUnit XML', () => {
  it('counts test cases, with names, failures and skips', () => {
    const r = parseJunitXml(VITEST_JUNIT);
    expect(r.passedTests).toEqual([
      'test/a.test.ts > a > adds & subtracts',
      'test/a.test.ts > a > multiplies',
    ]);
    expect(r.failedTests).toEqual(['test/a.test.ts > a > divides']);
    expect(r.skipped).toBe(1);
    expect(resultOf(r)).toBe('FAILED');
  });

  it('counts <error> as a failure and reads a single <testsuite> root', () => {
    const r = parseJunitXml(
      `<testsuite name="py" tests="2"><!-- c --><testcase classname="m" name="t1"><error message="boom"/></testcase><testcase name='t2'/></testsuite>`,
    );
    expect(r).toEqual({ passedTests: ['t2'], failedTests: ['m > t1'], skipped: 0 });
  });

  it('falls back to root attributes when there are no test cases', () => {
    const r = parseJunitXml(
      `<testsuites name="s" tests="5" failures="1" errors="1" skipped="1"></testsuites>`,
    );
    expect(r.passedTests).toHaveLength(2);
    expect(r.failedTests).toHaveLength(2);
    expect(r.skipped).toBe(1);
  });

  it('never counts fewer failures than the root declares', () => {
    const r = parseJunitXml(
      `<testsuites tests="1" failures="2"><testsuite><testcase name="ok"/></testsuite></testsuites>`,
    );
    expect(r.passedTests).toEqual(['ok']);
    expect(r.failedTests).toHaveLength(2);
  });

  it.each([
    ['an empty file', ''],
    ['another root', '<html><body/></html>'],
    ['unbalanced tags', '<testsuites><testsuite></testsuites>'],
    ['an unclosed root', '<testsuites><testcase name="a"/>'],
    ['a bad count', '<testsuites tests="x"/>'],
    ['more failures than tests', '<testsuites tests="1" failures="3"/>'],
    ['nested test cases', '<testsuite><testcase><testcase/></testcase></testsuite>'],
    ['two roots', '<testsuite/><testsuite/>'],
    ['an unterminated comment', '<testsuite><!-- x </testsuite>'],
    ['a broken tag', '<testsuite <testcase/></testsuite>'],
  ])('rejects %s', (_name, xml) => {
    expect(() => parseJunitXml(xml)).toThrow(TestReportParseError);
  });
});

describe('vitest JSON report', () => {
  const report = {
    numTotalTests: 4,
    numFailedTests: 1,
    numPassedTests: 2,
    success: false,
    testResults: [
      {
        name: '/w/test/a.test.ts',
        status: 'failed',
        assertionResults: [
          { ancestorTitles: ['a'], fullName: 'a adds', title: 'adds', status: 'passed' },
          { ancestorTitles: ['a'], fullName: 'a subs', title: 'subs', status: 'passed' },
          { ancestorTitles: ['a'], fullName: 'a divs', title: 'divs', status: 'failed' },
          { ancestorTitles: ['a'], fullName: 'a todo', title: 'todo', status: 'todo' },
        ],
      },
      { name: '/w/test/b.test.ts', status: 'failed', assertionResults: [] },
    ],
  };

  it('reads passed, failed and skipped tests; a failed file without tests is a failure', () => {
    const r = parseVitestJson(JSON.stringify(report));
    expect(r.passedTests).toEqual(['/w/test/a.test.ts > a adds', '/w/test/a.test.ts > a subs']);
    expect(r.failedTests).toEqual([
      '/w/test/a.test.ts > a divs',
      '/w/test/b.test.ts (test file failed)',
    ]);
    expect(r.skipped).toBe(1);
  });

  it.each([
    ['not JSON', '{'],
    ['another shape', '{"tests": []}'],
    ['more declared failures than listed', JSON.stringify({ ...report, numFailedTests: 9 })],
  ])('rejects %s', (_name, text) => {
    expect(() => parseVitestJson(text)).toThrow(TestReportParseError);
  });
});

describe('JUnit XML: encode → parse', () => {
  const escapeXml = (s: string) =>
    s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const name = fc
    .string({ minLength: 1, maxLength: 20 })
    .filter((s) => [...s].every((ch) => ch.charCodeAt(0) >= 0x20));

  it('reads back every test case with its status and exact name', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ name, status: fc.constantFrom('pass', 'fail', 'error', 'skip') }), {
          maxLength: 30,
        }),
        fc.boolean(),
        (cases, wrapInSuites) => {
          const body = cases
            .map((c) => {
              const open = `<testcase name="${escapeXml(c.name)}" time="0.1"`;
              if (c.status === 'pass') return `${open}/>`;
              const child =
                c.status === 'fail'
                  ? `<failure message="${escapeXml(c.name)}"><![CDATA[<x>]]></failure>`
                  : c.status === 'error'
                    ? '<error/>'
                    : '<skipped/>';
              return `${open}>\n  ${child}\n</testcase>`;
            })
            .join('\n');
          const suite = `<testsuite name="s" tests="${cases.length}">${body}</testsuite>`;
          const xml = `<?xml version="1.0"?>\n${wrapInSuites ? `<testsuites>${suite}</testsuites>` : suite}`;
          const r = parseJunitXml(xml);
          expect(r.passedTests).toEqual(
            cases.filter((c) => c.status === 'pass').map((c) => c.name),
          );
          expect(r.failedTests).toEqual(
            cases.filter((c) => c.status === 'fail' || c.status === 'error').map((c) => c.name),
          );
          expect(r.skipped).toBe(cases.filter((c) => c.status === 'skip').length);
        },
      ),
    );
  });
});
