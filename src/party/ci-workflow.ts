/**
 * The GitHub Actions workflow that `verdict ci attest` documents (`docs/github-actions-verdict.yml`),
 * filled in for one milestone: the oracle, the contract and the milestone in its `env`, and the
 * CI token's secret uncommented when the milestone's policy identity is a token rather than OIDC.
 * One workflow, read from the file the docs show: the app's snippet cannot drift from it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const WORKFLOW = fileURLToPath(new URL('../../docs/github-actions-verdict.yml', import.meta.url));

/** YAML single-quoted scalar. */
const quoted = (s: string) => `'${s.replaceAll("'", "''")}'`;

export function ciWorkflowSnippet(o: {
  oracleUrl: string;
  contractId: string;
  milestoneIndex: number;
  /** The policy's identity is a CI token (the client issues it): the secret goes in the env. */
  tokenIdentity: boolean;
}): string {
  let text = readFileSync(WORKFLOW, 'utf8')
    .replace(/^( {2}VERDICT_URL: ).*$/m, `$1${quoted(o.oracleUrl.replace(/\/+$/, ''))}`)
    .replace(/^( {2}VERDICT_CONTRACT: ).*$/m, `$1${quoted(o.contractId)}`)
    .replace(/^( {2}VERDICT_MILESTONE: ).*$/m, `$1${quoted(String(o.milestoneIndex))}`);
  if (o.tokenIdentity) {
    text = text
      .replace(/^( +)# env:$/m, '$1env:')
      .replace(/^( +)# {3}(VERDICT_CI_TOKEN: .*)$/m, '$1  $2');
  }
  return text;
}
