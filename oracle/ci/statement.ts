/**
 * The in-toto test-result statement a CI pipeline submits (in-toto attestation framework,
 * Statement v1 with predicate `https://in-toto.io/attestation/test-result/v0.1`,
 * spec/predicates/test-result.md).
 */
import { z } from 'zod';

export const IN_TOTO_STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
export const TEST_RESULT_PREDICATE_TYPE = 'https://in-toto.io/attestation/test-result/v0.1';

/** A full (40 hex SHA-1) or SHA-256 (64 hex) git object id, lower-case. */
export const gitCommitSchema = z
  .string()
  .regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, 'a git commit id: 40 or 64 lower-case hex digits');

const testNameSchema = z.string().min(1).max(1000);
const testListSchema = z.array(testNameSchema).max(100_000);

/** in-toto v1 ResourceDescriptor: one of uri, digest or content is required. */
const resourceDescriptorSchema = z
  .looseObject({
    name: z.string().max(1000).optional(),
    uri: z.string().max(2000).optional(),
    digest: z.record(z.string(), z.string().max(200)).optional(),
    downloadLocation: z.string().max(2000).optional(),
    mediaType: z.string().max(200).optional(),
  })
  .refine((d) => d.uri !== undefined || d.digest !== undefined || 'content' in d, {
    message: 'a ResourceDescriptor needs uri, digest or content',
  });

/**
 * Test-result predicate v0.1. `result` and `configuration` are required by the spec; the test
 * name lists are optional there and default to empty here. Verdict's counts are the lengths of
 * these lists (the spec has no count fields): skipped tests are in none of them.
 */
export const testResultPredicateSchema = z.looseObject({
  result: z.enum(['PASSED', 'WARNED', 'FAILED']),
  configuration: z.array(resourceDescriptorSchema).max(100),
  url: z.url().max(2000).optional(),
  passedTests: testListSchema.default([]),
  warnedTests: testListSchema.default([]),
  failedTests: testListSchema.default([]),
});

/** Deeper than any real statement (about 5 levels); the bound keeps hostile nesting out of storage. */
export const MAX_STATEMENT_DEPTH = 32;

/**
 * True when `v` nests at most `max` objects/arrays deep. Iterative: a hostile body nested 100,000
 * deep must not overflow the stack here (it did in `JSON.stringify` when it was stored: a 500).
 */
export function nestsAtMost(v: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[v, 0]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [x, depth] = top;
    if (typeof x !== 'object' || x === null) continue;
    if (depth >= max) return false;
    for (const y of Object.values(x)) stack.push([y, depth + 1]);
  }
  return true;
}

export const testResultStatementSchema = z
  .looseObject({
    _type: z.literal(IN_TOTO_STATEMENT_TYPE),
    subject: z
      .array(
        z.looseObject({
          name: z.string().max(1000).optional(),
          uri: z.string().max(2000).optional(),
          digest: z.looseObject({ gitCommit: gitCommitSchema }),
        }),
      )
      .min(1)
      .max(16),
    predicateType: z.literal(TEST_RESULT_PREDICATE_TYPE),
    predicate: testResultPredicateSchema,
  })
  .refine((s) => nestsAtMost(s, MAX_STATEMENT_DEPTH), {
    message: `the statement nests deeper than ${MAX_STATEMENT_DEPTH} levels`,
  });

export type TestResultStatement = z.infer<typeof testResultStatementSchema>;
export type TestResultPredicate = z.infer<typeof testResultPredicateSchema>;
export type TestResult = TestResultPredicate['result'];

export interface TestCounts {
  passed: number;
  warned: number;
  failed: number;
}

export function countsOf(statement: TestResultStatement): TestCounts {
  const p = statement.predicate;
  return {
    passed: p.passedTests.length,
    warned: p.warnedTests.length,
    failed: p.failedTests.length,
  };
}

/** The git commits a statement claims to have tested (one per subject). */
export function subjectCommits(statement: TestResultStatement): string[] {
  return statement.subject.map((s) => s.digest.gitCommit);
}

export interface BuildStatementInput {
  commit: string;
  result: TestResult;
  passedTests: readonly string[];
  warnedTests?: readonly string[];
  failedTests: readonly string[];
  runUrl?: string;
  configuration?: readonly z.input<typeof resourceDescriptorSchema>[];
  subjectName?: string;
}

/** Builds a statement and validates it with the same schema the oracle applies. */
export function buildTestResultStatement(input: BuildStatementInput): TestResultStatement {
  return testResultStatementSchema.parse({
    _type: IN_TOTO_STATEMENT_TYPE,
    subject: [
      {
        ...(input.subjectName === undefined ? {} : { name: input.subjectName }),
        digest: { gitCommit: input.commit },
      },
    ],
    predicateType: TEST_RESULT_PREDICATE_TYPE,
    predicate: {
      result: input.result,
      configuration: input.configuration ?? [],
      ...(input.runUrl === undefined ? {} : { url: input.runUrl }),
      passedTests: input.passedTests,
      warnedTests: input.warnedTests ?? [],
      failedTests: input.failedTests,
    },
  });
}
