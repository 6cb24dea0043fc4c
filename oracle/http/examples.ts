/**
 * An example request body for every write of the API that takes one, keyed `METHOD /openapi/path`. They are put
 * into the OpenAPI document (`requestBody…example`, shown and prefilled by the reference at
 * `/docs`) and a test validates each against its schema, so they cannot drift from the API.
 */
import { buildTestResultStatement } from '../ci/statement.ts';

const M = '/v1/contracts/{id}/milestones/{index}';
const COMMIT = '3f2c9a1e0b7d4c6a8e5f1b2d3c4a5b6c7d8e9f01';

/** One contract, one milestone; `outcome` (share) and `dispute` (3 + 3 days) are the defaults. */
export const CREATE_CONTRACT_EXAMPLE = {
  title: 'Landing page',
  client: { id: 'alice', name: 'Alice' },
  freelancer: { id: 'bob', name: 'Bob' },
  milestones: [
    {
      title: 'Design',
      amountSat: '250000',
      deliveryDeadline: 1893456000,
      reviewWindowSec: 259200,
    },
  ],
};

/** Every milestone setting spelled out: enum outcome, defaults, a dispute with its own windows. */
export const CREATE_CONTRACT_FULL_EXAMPLE = {
  title: 'Mobile app',
  client: { id: 'alice', name: 'Alice' },
  freelancer: { id: 'bob', name: 'Bob' },
  milestones: [
    {
      title: 'Beta build',
      amountSat: '400000',
      outcome: 'enum',
      deliveryDeadline: 1893456000,
      reviewWindowSec: 172800,
      defaultOnSilence: 'accepted',
      defaultOnNoDelivery: 'rejected',
      dispute: {
        panel: { poolSize: 3 },
        evidenceWindowSec: 86400,
        votingWindowSec: 86400,
        fallbackOutcome: 'rejected',
        appealAllowed: true,
      },
    },
  ],
};

export const REQUEST_EXAMPLES: Readonly<Record<string, unknown>> = {
  'POST /v1/contracts': CREATE_CONTRACT_EXAMPLE,
  'POST /v1/contracts/preview': CREATE_CONTRACT_EXAMPLE,
  'POST /v1/contracts/{id}/agreement': { decision: 'accept', termsHash: 'e3'.repeat(32) },
  [`POST ${M}/deliver`]: { commitSha: COMMIT, note: 'v1 of the landing page' },
  [`POST ${M}/propose`]: { outcome: 60 },
  [`POST ${M}/accept-proposal`]: { outcome: 60 },
  [`POST ${M}/dispute`]: { reason: 'the page does not load on mobile' },
  [`POST ${M}/dlc/{kind}`]: {
    hex: 'a71a0006226e46111a0b59caaf126043eb5bbf28c34f3a5e332a1fc7b2b73cf188910f',
  },
  [`POST ${M}/ci`]: buildTestResultStatement({
    commit: COMMIT,
    result: 'PASSED',
    passedTests: ['test/checkout.test.ts'],
    failedTests: [],
    runUrl: 'https://github.com/alice/shop/actions/runs/1',
  }),
  [`POST ${M}/ci/tokens`]: { ttlSec: 3600 },
  'POST /v1/arbiters': { id: 'carol', displayName: 'Carol', linkedIdentities: [] },
  'POST /v1/arbiters/{arbiterId}/invite': { ttlSec: 86400 },
  [`POST ${M}/dispute/evidence`]: {
    kind: 'statement',
    text: 'The review window was agreed in the kickoff call; the page fails on iOS 17.',
  },
  [`POST ${M}/dispute/appeal`]: { reason: 'the panel did not read the test report' },
  // The DLC messages in full and one 64-byte signature per CET (shortened here: a real upload
  // carries the contract's messages as the relay holds them).
  [`POST ${M}/tower`]: {
    side: 'accept',
    offerHex: 'a71a00',
    acceptHex: 'a71c00',
    signHex: 'a71e00',
    cetSignaturesHex: '00'.repeat(64),
  },
};
