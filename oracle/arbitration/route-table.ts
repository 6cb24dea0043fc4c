/**
 * Arbitration's rows of the service's role × route table (`oracle/http/access.ts` spreads them into
 * `ROUTES`), checked by the service's `authorize` with bearer tokens. The arbiters' own routes under
 * `/arbiter/` are cookie-authenticated instead (session.ts) and are listed in `ARBITER_UI_ROUTES`.
 */
const MILESTONE_DISPUTE = '/v1/contracts/:id/milestones/:index/dispute';

export const ARBITRATION_ROUTES = {
  arbitersList: { method: 'GET', path: '/v1/arbiters', allow: ['admin'] },
  arbiterInvite: { method: 'POST', path: '/v1/arbiters', allow: ['admin'] },
  arbiterReinvite: { method: 'POST', path: '/v1/arbiters/:arbiterId/invite', allow: ['admin'] },
  arbiterDisable: { method: 'POST', path: '/v1/arbiters/:arbiterId/disable', allow: ['admin'] },
  disputeView: { method: 'GET', path: MILESTONE_DISPUTE, allow: ['client', 'freelancer', 'admin'] },
  disputeEvidence: {
    method: 'POST',
    path: `${MILESTONE_DISPUTE}/evidence`,
    allow: ['client', 'freelancer'],
  },
  disputeAttachment: {
    method: 'GET',
    path: `${MILESTONE_DISPUTE}/evidence/:evidenceId/file`,
    allow: ['client', 'freelancer', 'admin'],
  },
  disputeAppeal: {
    method: 'POST',
    path: `${MILESTONE_DISPUTE}/appeal`,
    allow: ['client', 'freelancer'],
  },
} as const satisfies Record<
  string,
  {
    readonly method: 'GET' | 'POST';
    readonly path: string;
    readonly allow: readonly ('client' | 'freelancer' | 'admin')[];
  }
>;

/** Cookie-session routes of the arbiters' web app (all under `/arbiter`). */
export const ARBITER_UI_ROUTES = [
  { method: 'GET', path: '/arbiter/', auth: 'none' },
  { method: 'GET', path: '/arbiter/app.js', auth: 'none' },
  { method: 'GET', path: '/arbiter/app.css', auth: 'none' },
  { method: 'GET', path: '/arbiter/favicon.svg', auth: 'none' },
  { method: 'POST', path: '/arbiter/api/invite/check', auth: 'origin' },
  { method: 'POST', path: '/arbiter/api/invite/accept', auth: 'origin' },
  { method: 'POST', path: '/arbiter/api/login', auth: 'origin' },
  { method: 'POST', path: '/arbiter/api/logout', auth: 'session+csrf' },
  { method: 'GET', path: '/arbiter/api/me', auth: 'session' },
  { method: 'GET', path: '/arbiter/api/disputes', auth: 'session' },
  { method: 'GET', path: '/arbiter/api/disputes/:disputeId', auth: 'session' },
  { method: 'POST', path: '/arbiter/api/disputes/:disputeId/vote', auth: 'session+csrf' },
  {
    method: 'GET',
    path: '/arbiter/api/disputes/:disputeId/evidence/:evidenceId/file',
    auth: 'session',
  },
] as const;
