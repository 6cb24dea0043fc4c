/**
 * A small JUnit XML reader: enough XML to find `<testsuites>`, `<testsuite>` and `<testcase>`
 * elements with their attributes and the `<failure>`, `<error>` and `<skipped>` children of a
 * test case. Not a general XML parser: text content is ignored, and anything it cannot read is an
 * error rather than a guess.
 *
 * Counting: each `<testcase>` is passed, failed (a `<failure>` or `<error>` child) or skipped (a
 * `<skipped>` child). A report without test cases is counted from the attributes `tests`,
 * `failures`, `errors` and `skipped` (or `disabled`) of its root. When the root declares more
 * failures than its test cases show (a suite that failed to load), the extra failures count too:
 * a report never counts as better than it says it is.
 */
import { TestReportParseError, type TestReport } from './test-report.ts';

interface Tag {
  kind: 'open' | 'close' | 'empty';
  name: string;
  attrs: Map<string, string>;
}

const NAME = /^[A-Za-z_][\w.:-]*/;
const ATTR = /^\s+([A-Za-z_][\w.:-]*)\s*=\s*(?:"([^"<]*)"|'([^'<]*)')/;

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot|apos);/g, (_m, e: string) => {
    switch (e) {
      case 'lt':
        return '<';
      case 'gt':
        return '>';
      case 'amp':
        return '&';
      case 'quot':
        return '"';
      case 'apos':
        return "'";
      default: {
        const code = e.startsWith('#x') ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return code <= 0x10ffff ? String.fromCodePoint(code) : '\uFFFD';
      }
    }
  });
}

/** Yields the element tags of an XML document, skipping text, comments, CDATA, PIs and DOCTYPE. */
function* tags(xml: string): Generator<Tag> {
  let i = 0;
  while (true) {
    const lt = xml.indexOf('<', i);
    if (lt === -1) return;
    const rest = xml.slice(lt, lt + 9);
    let skipTo: string | null = null;
    if (rest.startsWith('<!--')) skipTo = '-->';
    else if (rest.startsWith('<![CDATA[')) skipTo = ']]>';
    else if (rest.startsWith('<?')) skipTo = '?>';
    else if (rest.startsWith('<!')) skipTo = '>';
    if (skipTo !== null) {
      const end = xml.indexOf(skipTo, lt);
      if (end === -1) throw new TestReportParseError(`unterminated markup at offset ${lt}`);
      i = end + skipTo.length;
      continue;
    }
    let j = lt + 1;
    const closing = xml[j] === '/';
    if (closing) j += 1;
    const name = NAME.exec(xml.slice(j, j + 200))?.[0];
    if (name === undefined) throw new TestReportParseError(`malformed tag at offset ${lt}`);
    j += name.length;
    const attrs = new Map<string, string>();
    for (;;) {
      const m = ATTR.exec(xml.slice(j, j + 100_000));
      if (m === null) break;
      attrs.set(m[1] ?? '', decodeEntities(m[2] ?? m[3] ?? ''));
      j += m[0].length;
    }
    while (j < xml.length && /\s/.test(xml[j] ?? '')) j += 1;
    let kind: Tag['kind'] = closing ? 'close' : 'open';
    if (xml.startsWith('/>', j) && !closing) {
      kind = 'empty';
      j += 2;
    } else if (xml[j] === '>') {
      j += 1;
    } else {
      throw new TestReportParseError(`malformed tag <${name}> at offset ${lt}`);
    }
    if (closing && attrs.size > 0) throw new TestReportParseError(`attributes on </${name}>`);
    yield { kind, name, attrs };
    i = j;
  }
}

function count(attrs: Map<string, string> | undefined, name: string): number {
  const raw = attrs?.get(name);
  if (raw === undefined || raw.trim() === '') return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    throw new TestReportParseError(`attribute ${name}="${raw}" is not a count`);
  }
  return n;
}

interface OpenCase {
  name: string;
  failed: boolean;
  skipped: boolean;
}

export function parseJunitXml(xml: string): TestReport {
  const stack: string[] = [];
  let root: Tag | null = null;
  const passedTests: string[] = [];
  const failedTests: string[] = [];
  let skipped = 0;
  let current: OpenCase | null = null;
  let caseCount = 0;

  const finish = (c: OpenCase): void => {
    caseCount += 1;
    if (c.failed) failedTests.push(c.name);
    else if (c.skipped) skipped += 1;
    else passedTests.push(c.name);
  };

  for (const tag of tags(xml)) {
    if (tag.kind === 'close') {
      if (stack.pop() !== tag.name) throw new TestReportParseError(`unbalanced </${tag.name}>`);
      if (tag.name === 'testcase' && current !== null && !stack.includes('testcase')) {
        finish(current);
        current = null;
      }
      continue;
    }
    if (root === null) {
      if (tag.name !== 'testsuites' && tag.name !== 'testsuite') {
        throw new TestReportParseError(`root element is <${tag.name}>, not <testsuites>`);
      }
      root = tag;
    } else if (stack.length === 0) {
      throw new TestReportParseError('more than one root element');
    }
    if (tag.name === 'testcase') {
      if (current !== null) throw new TestReportParseError('nested <testcase>');
      const classname = tag.attrs.get('classname') ?? '';
      const name = tag.attrs.get('name') ?? `(unnamed test ${caseCount + 1})`;
      const c: OpenCase = {
        name: classname === '' ? name : `${classname} > ${name}`,
        failed: false,
        skipped: false,
      };
      if (tag.kind === 'empty') finish(c);
      else current = c;
    } else if (current !== null && stack.at(-1) === 'testcase') {
      if (tag.name === 'failure' || tag.name === 'error') current.failed = true;
      else if (tag.name === 'skipped') current.skipped = true;
    }
    if (tag.kind === 'open') stack.push(tag.name);
  }
  if (root === null) throw new TestReportParseError('no <testsuites> or <testsuite> element');
  if (stack.length > 0) throw new TestReportParseError(`unclosed <${stack.at(-1) ?? ''}>`);

  const suiteName = root.attrs.get('name') ?? 'tests';
  const declaredFailed = count(root.attrs, 'failures') + count(root.attrs, 'errors');
  if (caseCount === 0) {
    // Counts only: the names are placeholders so that the statement's lists carry the counts.
    const tests = count(root.attrs, 'tests');
    const declaredSkipped = count(root.attrs, 'skipped') + count(root.attrs, 'disabled');
    if (declaredFailed + declaredSkipped > tests) {
      throw new TestReportParseError('the root declares more failures and skips than tests');
    }
    for (let k = 1; k <= tests - declaredFailed - declaredSkipped; k++) {
      passedTests.push(`${suiteName} #${k}`);
    }
    for (let k = 1; k <= declaredFailed; k++) failedTests.push(`${suiteName} failure #${k}`);
    return { passedTests, failedTests, skipped: declaredSkipped };
  }
  for (let k = failedTests.length + 1; k <= declaredFailed; k++) {
    failedTests.push(`${suiteName} failure #${k} (declared by the report, no test case)`);
  }
  return { passedTests, failedTests, skipped };
}
