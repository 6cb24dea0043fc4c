/**
 * One contract: per milestone a timeline (announced → agreed → funded → delivered → in review →
 * accepted / disputed / CI passed → attested → settled or refunded), the Fund button with its
 * progress, the actions this party may take now, and the activity of the watcher and the funding
 * jobs. Live: the app's events refetch the contract; forms being typed into are kept.
 */
import { psbtFundingPanel, type PsbtFundingJob } from './psbt-funding.ts';
import { api, debounce, messageOf, onLive, type AppEvent } from './api.ts';
import {
  act,
  base64Of,
  button,
  copyBox,
  duration,
  errorLine,
  field,
  h,
  nowSec,
  qr,
  sat,
  sha256Hex,
  show,
  valueOf,
  when,
} from './dom.ts';
import { payoutTables } from './terms-view.ts';
import type { ActivityEntry, ContractDetail, FundingJob, MilestoneDetail, Role } from './types.ts';

const other = (r: Role): Role => (r === 'client' ? 'freelancer' : 'client');
const short = (hex: string, n = 12) => (hex.length > n ? `${hex.slice(0, n)}…` : hex);

function outcomeWords(kind: 'enum' | 'share', o: string | number): string {
  if (kind === 'enum')
    return o === 'accepted'
      ? 'accepted (the freelancer is paid)'
      : 'rejected (the client is refunded)';
  return `${String(o)} % to the freelancer`;
}

type StepState = 'done' | 'now' | 'todo' | 'bad';
interface Step {
  key: string;
  label: string;
  detail: (Node | string)[];
  state: StepState;
}

const FUNDED = ['broadcast', 'confirmed', 'settled', 'refunded'];

/** The milestone's story so far, from the oracle's view, the local DLC and the attestation. */
function steps(c: ContractDetail, m: MilestoneDetail): Step[] {
  const now = nowSec();
  const s: Step[] = [];
  s.push({
    key: 'announced',
    label: 'Announced',
    detail: [`oracle event `, h('span', { class: 'mono' }, short(m.eventId, 16))],
    state: 'done',
  });
  const agreed = c.agreement.client === 'accepted' && c.agreement.freelancer === 'accepted';
  const declined = c.agreement.client === 'declined' || c.agreement.freelancer === 'declined';
  s.push({
    key: 'agreed',
    label: declined ? 'Declined' : 'Agreed',
    detail: [`client ${c.agreement.client}, freelancer ${c.agreement.freelancer}`],
    state: declined ? 'bad' : agreed ? 'done' : 'now',
  });
  const dlc = m.dlc;
  const funded = dlc !== null && FUNDED.includes(dlc.state);
  const fundDetail: (Node | string)[] = [];
  if (dlc?.fundingTxid != null) {
    fundDetail.push('funding ', h('span', { class: 'mono' }, short(dlc.fundingTxid, 16)));
    if (dlc.confirmations !== null)
      fundDetail.push(`, ${dlc.confirmations} confirmation${dlc.confirmations === 1 ? '' : 's'}`);
  } else if (dlc !== null) fundDetail.push(`the DLC is ${dlc.state}`);
  s.push({
    key: 'funded',
    label: 'Funded',
    detail: fundDetail,
    state: funded && (dlc.confirmations ?? 0) > 0 ? 'done' : agreed ? 'now' : 'todo',
  });
  const d = m.delivery;
  s.push({
    key: 'delivered',
    label: 'Delivered',
    detail:
      d === null
        ? m.deliveryDeadline === null
          ? []
          : [`due by ${when(m.deliveryDeadline)}`]
        : [
            when(d.deliveredAt),
            ...(d.commitSha === undefined
              ? []
              : [', commit ', h('span', { class: 'mono' }, short(d.commitSha, 12))]),
            ...(d.artifactDigest === undefined
              ? []
              : [', artifact ', h('span', { class: 'mono' }, short(d.artifactDigest, 20))]),
            ...(d.note === undefined ? [] : [h('q', {}, d.note)]),
          ],
    state:
      d !== null
        ? 'done'
        : funded
          ? m.deliveryDeadline !== null && now > m.deliveryDeadline
            ? 'bad'
            : 'now'
          : 'todo',
  });
  if (d !== null || m.reviewEndsAt !== null) {
    const ends = m.reviewEndsAt;
    const open = m.status === 'delivered' && ends !== null && now < ends;
    s.push({
      key: 'review',
      label: 'In review',
      detail:
        ends === null
          ? []
          : open
            ? [`${duration(ends - now)} left (until ${when(ends)})`]
            : m.dispute !== null
              ? [`closed by the dispute, ${when(m.dispute.openedAt)}`]
              : m.decision !== null && m.decision.decidedAt < ends
                ? [`closed by the decision, ${when(m.decision.decidedAt)}`]
                : [`ended ${when(ends)}`],
      state: open ? 'now' : m.status === 'delivered' ? 'now' : 'done',
    });
  }
  if (m.dispute !== null) {
    const p = m.dispute.panel;
    const votes = m.dispute.votes ?? p?.votes;
    const phase =
      now < m.dispute.evidenceEndsAt
        ? `evidence until ${when(m.dispute.evidenceEndsAt)}`
        : now < m.dispute.votingEndsAt
          ? `voting until ${when(m.dispute.votingEndsAt)}`
          : 'voting closed';
    s.push({
      key: 'disputed',
      label: 'Disputed',
      detail: [
        `by the ${m.dispute.byRole}: `,
        h('q', {}, m.dispute.reason),
        p === undefined
          ? ''
          : ` · panel ${p.seated}/${p.seats} seated, quorum ${p.quorum}${votes === undefined ? '' : `, ${votes} vote${votes === 1 ? '' : 's'} in`}`,
        ` · ${phase}`,
        ...(p?.notice == null ? [] : [h('span', { class: 'notice' }, p.notice)]),
      ],
      state: m.decision === null ? 'now' : 'done',
    });
  }
  if (m.proposal !== null && m.decision === null)
    s.push({
      key: 'proposal',
      label: 'Settlement proposed',
      detail: [`by the ${m.proposal.byRole}: ${outcomeWords(m.outcomeKind, m.proposal.outcome)}`],
      state: 'now',
    });
  if (m.decision !== null) {
    const by = m.decision.decidedBy;
    const label = /ci/i.test(by)
      ? 'CI passed'
      : m.dispute !== null
        ? 'Decided by the panel'
        : 'Decided';
    s.push({
      key: 'decided',
      label,
      detail: [`${outcomeWords(m.outcomeKind, m.decision.outcome)} · ${m.decision.reason}`],
      state: 'done',
    });
  }
  const a = m.attestation;
  s.push({
    key: 'attested',
    label: 'Attested',
    detail:
      a === null
        ? []
        : [
            `${outcomeWords(m.outcomeKind, a.outcome)} · `,
            h(
              'strong',
              { class: a.verified ? 'ok' : 'error' },
              a.verified
                ? 'the signature verifies against the announcement'
                : 'the signature does NOT verify against the announcement',
            ),
          ],
    state: a === null ? 'todo' : a.verified ? 'done' : 'bad',
  });
  if (dlc?.closingKind === 'refund' || dlc?.state === 'refunded') {
    s.push({
      key: 'refunded',
      label: 'Refunded',
      detail:
        dlc.closingTxid === null
          ? []
          : ['refund ', h('span', { class: 'mono' }, short(dlc.closingTxid, 16))],
      state: 'done',
    });
  } else if (
    dlc?.state === 'settled' ||
    (dlc?.closingTxid != null && dlc.closingKind !== 'refund')
  ) {
    s.push({
      key: 'settled',
      label: 'Settled',
      detail: [
        'CET ',
        h('span', { class: 'mono' }, short(dlc.closingTxid ?? '', 16)),
        ...(dlc.payoutSat === null
          ? []
          : [
              ' · ',
              h('strong', { class: 'mine' }, `${sat(dlc.payoutSat.mine)} to you`),
              `, ${sat(dlc.payoutSat.theirs)} to the ${other(c.role)}`,
            ]),
      ],
      state: dlc.state === 'settled' ? 'done' : 'now',
    });
  } else {
    const lock = dlc?.refundLocktime ?? null;
    s.push({
      key: 'settled',
      label: 'Settled',
      detail:
        lock === null || !funded
          ? []
          : [
              lock > now
                ? `or refunded after ${when(lock)} (in ${duration(lock - now)}) if no outcome is attested`
                : `refund possible since ${when(lock)}`,
            ],
      state: 'todo',
    });
  }
  return s;
}

function timeline(c: ContractDetail, m: MilestoneDetail): HTMLElement {
  return h(
    'ol',
    { class: 'timeline', id: `timeline-${m.index}` },
    ...steps(c, m).map((st) =>
      h(
        'li',
        { class: `step ${st.state}`, 'data-step': st.key },
        h('span', { class: 'step-label' }, st.label),
        h(
          'span',
          { class: 'visually-hidden' },
          st.state === 'done'
            ? ' (done)'
            : st.state === 'now'
              ? ' (now)'
              : st.state === 'bad'
                ? ' (problem)'
                : ' (not yet)',
        ),
        st.detail.length === 0 ? null : h('span', { class: 'step-detail' }, ...st.detail),
      ),
    ),
  );
}

const STEP_WORDS: Record<string, string> = {
  terms: 'checking the terms',
  offer: 'making the offer',
  waiting_accept: 'waiting for the freelancer’s app to accept',
  accept: 'accepting: signing the CETs',
  waiting_sign: 'waiting for the client’s app to sign',
  sign: 'signing: checking their signatures',
  finalize: 'finalizing and broadcasting',
  waiting_confirmation: 'waiting for the funding to confirm',
  funded: 'funded',
};

function fundingBox(c: ContractDetail, m: MilestoneDetail, err: HTMLElement): HTMLElement {
  const job: FundingJob | null = m.funding;
  const box = h('div', { class: 'funding', id: `funding-${m.index}` });
  const agreed = c.agreement.client === 'accepted' && c.agreement.freelancer === 'accepted';
  const fundedAlready = m.dlc !== null && FUNDED.includes(m.dlc.state) && job?.state !== 'running';
  // Funded and confirmed: the timeline says so; the finished job's bar would only repeat it.
  if (job?.state === 'done' && m.dlc !== null && m.dlc.state !== 'broadcast') return box;
  if (job !== null) {
    const at = Math.max(0, job.steps.indexOf(job.step));
    const total = Math.max(1, job.steps.length);
    const value = job.state === 'done' ? 1 : Math.min(1, (at + job.fraction) / total);
    const bar = h('progress', {
      max: '1',
      id: `progress-${m.index}`,
      'aria-label': `Funding milestone ${m.index + 1}`,
    });
    bar.value = value;
    box.append(
      h(
        'p',
        { class: 'funding-step' },
        job.state === 'failed' ? 'Funding stopped' : `Funding: ${STEP_WORDS[job.step] ?? job.step}`,
        job.state === 'running' && job.fraction > 0 && job.fraction < 1
          ? ` (${Math.round(job.fraction * 100)} %)`
          : '',
      ),
      bar,
    );
    if (job.note !== null && job.note !== undefined && job.state === 'running')
      box.append(h('p', { class: 'muted', id: `funding-note-${m.index}` }, job.note));
    if (job.error !== null)
      box.append(h('p', { class: 'error', role: 'alert' }, job.error.message));
  }
  if (!fundedAlready && job?.state !== 'running' && job?.state !== 'done') {
    const label =
      c.role === 'client' ? `Fund ${sat(m.amountSat)}` : 'Fund (accept the client’s offer)';
    const b = button(
      label,
      (btn) => act(btn, err, () => api('POST', `${base(c)}/milestones/${m.index}/fund`, {})),
      {
        id: `fund-${m.index}`,
        ...(agreed ? {} : { disabled: true, 'aria-describedby': `fund-why-${m.index}` }),
      },
    );
    box.append(b);
    if (!agreed)
      box.append(
        h(
          'p',
          { class: 'muted', id: `fund-why-${m.index}` },
          'Both sides must accept the terms first.',
        ),
      );
    else if (c.role === 'client')
      box.append(
        h(
          'p',
          { class: 'muted' },
          'Locks the amount in a DLC with the freelancer. Both apps must be open: the offer, the accept and the signatures travel through the oracle’s relay.',
        ),
      );
    else
      box.append(
        h(
          'p',
          { class: 'muted' },
          'You bring no money: your app checks the client’s offer, signs and broadcasts.',
        ),
      );
  }
  // The client may lock the amount from another wallet (Core, Sparrow) by PSBT instead.
  // Not beside a job funding from this wallet: only before one, after a failed one, or when the
  // job waits for the external wallet's signature.
  const psbtJob = job as PsbtFundingJob | null;
  if (
    c.role === 'client' &&
    agreed &&
    !fundedAlready &&
    (psbtJob === null || psbtJob.state === 'failed' || psbtJob.psbt !== null)
  )
    box.append(
      psbtFundingPanel({
        contractId: c.contractId,
        milestone: m.index,
        role: c.role,
        job: psbtJob,
        qrUrl: (text) => `/api/qr?text=${encodeURIComponent(text)}`,
      }).element,
    );
  return box;
}

const base = (c: ContractDetail) => `/api/contracts/${encodeURIComponent(c.contractId)}`;

/** A small form in a <details>: the action's button opens it, the submit runs it. */
function actionForm(
  id: string,
  title: string,
  fields: HTMLElement[],
  submit: string,
  run: (f: HTMLFormElement) => Promise<unknown>,
  open = false,
): HTMLElement {
  const err = errorLine();
  const f = h(
    'form',
    { novalidate: true, id },
    ...fields,
    h('button', { type: 'submit' }, submit),
    err,
  );
  f.addEventListener('submit', (ev) => {
    ev.preventDefault();
    act(f.querySelector('button[type=submit]'), err, () => run(f));
  });
  return h(
    'details',
    { class: 'action', ...(open ? { open: true } : {}) },
    h('summary', {}, title),
    f,
  );
}

function ciPolicyOf(c: ContractDetail, index: number): Record<string, unknown> | undefined {
  try {
    const t = JSON.parse(c.canonicalJson) as { milestones?: { ci?: Record<string, unknown> }[] };
    return t.milestones?.[index]?.ci;
  } catch {
    return undefined;
  }
}

function actions(c: ContractDetail, m: MilestoneDetail, err: HTMLElement): HTMLElement {
  const url = `${base(c)}/milestones/${m.index}`;
  const box = h('div', { class: 'actions', id: `actions-${m.index}` });
  const allowed = new Set(m.allowedActions);
  const shareOrEnum = (id: string, label: string) =>
    m.outcomeKind === 'share'
      ? field(id, label, {
          type: 'number',
          value: '50',
          attrs: { min: '0', max: '100', inputmode: 'numeric' },
        })
      : field(id, label, {
          options: [
            ['accepted', 'accepted'],
            ['rejected', 'rejected'],
          ],
        });
  const outcomeOf = (f: HTMLFormElement, id: string): string | number =>
    m.outcomeKind === 'share' ? Number(valueOf(f, id)) : valueOf(f, id);

  if (allowed.has('deliver'))
    box.append(
      actionForm(
        `deliver-${m.index}`,
        'Deliver',
        [
          field(`deliver-commit-${m.index}`, 'Commit (git SHA, 40 or 64 hex digits)', {
            attrs: { spellcheck: 'false' },
          }),
          field(`deliver-artifact-${m.index}`, 'Artifact link (optional)', { type: 'url' }),
          field(
            `deliver-file-${m.index}`,
            'Or an artifact file (its SHA-256 is sent, not the file)',
            { type: 'file' },
          ),
          field(`deliver-note-${m.index}`, 'Note', { textarea: true }),
        ],
        'Deliver',
        async (f) => {
          const commit = valueOf(f, `deliver-commit-${m.index}`).trim().toLowerCase();
          const link = valueOf(f, `deliver-artifact-${m.index}`).trim();
          const note = valueOf(f, `deliver-note-${m.index}`).trim();
          const file = f.querySelector<HTMLInputElement>(`#deliver-file-${m.index}`)?.files?.[0];
          const digest =
            file === undefined ? undefined : `sha256:${await sha256Hex(await file.arrayBuffer())}`;
          const fullNote = [note, link === '' ? '' : `Artifact: ${link}`]
            .filter((x) => x !== '')
            .join('\n');
          return api('POST', `${url}/deliver`, {
            ...(commit === '' ? {} : { commitSha: commit }),
            ...(digest === undefined ? {} : { artifactDigest: digest }),
            ...(fullNote === '' ? {} : { note: fullNote }),
          });
        },
        true,
      ),
    );
  if (allowed.has('accept'))
    box.append(
      button('Accept the delivery', (b) => act(b, err, () => api('POST', `${url}/accept`, {})), {
        id: `accept-${m.index}`,
      }),
    );
  if (allowed.has('accept-proposal') && m.proposal !== null)
    box.append(
      button(
        `Accept the proposal: ${outcomeWords(m.outcomeKind, m.proposal.outcome)}`,
        (b) => act(b, err, () => api('POST', `${url}/accept-proposal`, {})),
        { id: `accept-proposal-${m.index}` },
      ),
    );
  if (allowed.has('dispute'))
    box.append(
      actionForm(
        `dispute-${m.index}`,
        'Open a dispute',
        [field(`dispute-reason-${m.index}`, 'Reason (the arbiters read it)', { textarea: true })],
        'Open the dispute',
        (f) =>
          api('POST', `${url}/dispute`, { reason: valueOf(f, `dispute-reason-${m.index}`).trim() }),
      ),
    );
  if (allowed.has('propose'))
    box.append(
      actionForm(
        `propose-${m.index}`,
        'Propose a settlement',
        [
          shareOrEnum(
            `propose-outcome-${m.index}`,
            m.outcomeKind === 'share' ? 'Percent to the freelancer' : 'Outcome',
          ),
        ],
        'Propose',
        (f) =>
          api('POST', `${url}/propose`, { outcome: outcomeOf(f, `propose-outcome-${m.index}`) }),
      ),
    );
  if (m.status === 'disputed') box.append(evidenceForm(url, m.index));
  const ci = ciPolicyOf(c, m.index);
  if (
    ci !== undefined &&
    (ci['identity'] as { kind?: string } | undefined)?.kind === 'token' &&
    m.status !== 'attested'
  )
    box.append(ciTokens(url, m.index));
  box.append(towerSwitch(url, m, err));
  return box;
}

function evidenceForm(url: string, index: number): HTMLElement {
  const kind = field(`evidence-kind-${index}`, 'Kind', {
    options: [
      ['statement', 'a statement'],
      ['link', 'a link'],
      ['file', 'a file'],
    ],
  });
  const text = field(`evidence-text-${index}`, 'Statement or description', { textarea: true });
  const link = field(`evidence-url-${index}`, 'Link', { type: 'url' });
  const file = field(`evidence-file-${index}`, 'File', { type: 'file' });
  const digest = h('p', { class: 'mono', id: `evidence-sha-${index}`, 'aria-live': 'polite' });
  const showKind = (k: string) => {
    link.hidden = k !== 'link';
    file.hidden = k !== 'file';
    digest.hidden = k !== 'file';
  };
  showKind('statement');
  kind
    .querySelector('select')
    ?.addEventListener('change', (ev) => showKind((ev.target as HTMLSelectElement).value));
  file.querySelector('input')?.addEventListener('change', (ev) => {
    const f = (ev.target as HTMLInputElement).files?.[0];
    if (f === undefined) return void (digest.textContent = '');
    void f
      .arrayBuffer()
      .then(sha256Hex)
      .then((x) => (digest.textContent = `SHA-256 ${x}`));
  });
  return actionForm(
    `evidence-${index}`,
    'Add evidence',
    [kind, text, link, file, digest],
    'Add the evidence',
    async (f) => {
      const k = valueOf(f, `evidence-kind-${index}`);
      const body: Record<string, string> = {
        kind: k,
        text: valueOf(f, `evidence-text-${index}`).trim(),
      };
      if (k === 'link') body['url'] = valueOf(f, `evidence-url-${index}`).trim();
      if (k === 'file') {
        const one = f.querySelector<HTMLInputElement>(`#evidence-file-${index}`)?.files?.[0];
        if (one === undefined) throw new Error('choose a file');
        const data = await one.arrayBuffer();
        body['fileName'] = one.name;
        body['fileBase64'] = base64Of(data);
      }
      const r = await api<{ sha256?: string | null }>('POST', `${url}/evidence`, body);
      f.reset();
      showKind('statement');
      digest.textContent = r.sha256 == null ? 'added' : `added · SHA-256 ${r.sha256}`;
      digest.hidden = false;
    },
  );
}

interface CiToken {
  jti: string;
  issuedAt?: number;
  expiresAt?: number;
  revokedAt?: number | null;
}

function ciTokens(url: string, index: number): HTMLElement {
  const list = h('ul', { class: 'plain', id: `ci-tokens-${index}` });
  const out = h('div', { 'aria-live': 'polite' });
  const err = errorLine();
  const load = () =>
    api<{ tokens: CiToken[] }>('GET', `${url}/ci/tokens`).then(
      (r) => {
        list.replaceChildren(
          ...r.tokens.map((t) =>
            h(
              'li',
              {},
              h('span', { class: 'mono' }, short(t.jti, 16)),
              t.revokedAt != null
                ? ' · revoked'
                : t.expiresAt === undefined
                  ? ''
                  : ` · until ${when(t.expiresAt)}`,
              t.revokedAt != null
                ? null
                : button(
                    'Revoke',
                    (b) =>
                      act(b, err, () =>
                        api(
                          'POST',
                          `${url}/ci/tokens/${encodeURIComponent(t.jti)}/revoke`,
                          {},
                        ).then(load),
                      ),
                    { class: 'secondary small' },
                  ),
            ),
          ),
        );
        if (r.tokens.length === 0) list.append(h('li', { class: 'muted' }, 'no token issued'));
      },
      (e: unknown) => {
        err.textContent = messageOf(e);
      },
    );
  const d = h(
    'details',
    { class: 'action' },
    h('summary', {}, 'CI token'),
    list,
    button(
      'Issue a CI token',
      (b) =>
        act(b, err, async () => {
          const r = await api<{ token: string; workflowSnippet?: string }>(
            'POST',
            `${url}/ci/tokens`,
            {},
          );
          out.replaceChildren(
            copyBox(
              `ci-token-${index}`,
              'The token (shown once: store it as a CI secret)',
              r.token,
            ),
            r.workflowSnippet === undefined
              ? ''
              : copyBox(`ci-workflow-${index}`, 'GitHub Actions workflow', r.workflowSnippet, true),
          );
          await load();
        }),
      { id: `ci-issue-${index}` },
    ),
    out,
    err,
  );
  d.addEventListener('toggle', () => void (d.open ? load() : undefined), { once: true });
  return d;
}

function towerSwitch(url: string, m: MilestoneDetail, err: HTMLElement): HTMLElement {
  if (m.tower !== null)
    return h(
      'p',
      { class: 'muted', id: `tower-${m.index}` },
      `Watchtower on (${m.tower.url}): ${m.tower.status}`,
    );
  if (
    m.dlc === null ||
    !FUNDED.includes(m.dlc.state) ||
    m.dlc.state === 'settled' ||
    m.dlc.state === 'refunded'
  )
    return h('span', {});
  return h(
    'div',
    { id: `tower-${m.index}` },
    button('Turn on the watchtower', (b) => act(b, err, () => api('POST', `${url}/tower`, {})), {
      class: 'secondary',
    }),
    h(
      'p',
      { class: 'muted' },
      'The oracle’s tower then settles this milestone for you if your app is closed when the outcome comes.',
    ),
  );
}

/** What decides whether a milestone's action forms are rebuilt (a form being typed in is kept). */
const actionsKey = (c: ContractDetail, m: MilestoneDetail) =>
  JSON.stringify([
    m.allowedActions,
    m.status,
    m.proposal,
    m.tower,
    m.dlc?.state ?? null,
    c.agreement,
  ]);

function milestoneCard(c: ContractDetail, m: MilestoneDetail): HTMLElement {
  const err = errorLine(`error-${m.index}`);
  const card = h(
    'section',
    {
      class: 'milestone-card',
      id: `milestone-${m.index}`,
      'aria-labelledby': `milestone-title-${m.index}`,
    },
    h(
      'h2',
      { id: `milestone-title-${m.index}` },
      `Milestone ${m.index + 1}: ${m.title} · `,
      h('span', { class: 'sat' }, sat(m.amountSat)),
    ),
    m.description == null || m.description === '' ? null : h('p', {}, m.description),
    m.acceptanceCriteria === undefined || m.acceptanceCriteria.length === 0
      ? null
      : h('ul', { class: 'criteria' }, ...m.acceptanceCriteria.map((x) => h('li', {}, x))),
    timeline(c, m),
    m.payouts === undefined
      ? null
      : h(
          'details',
          { class: 'payouts-of' },
          h('summary', {}, 'What each outcome pays'),
          payoutTables([
            { index: m.index, title: m.title, amountSat: m.amountSat, outcomes: m.payouts },
          ]),
        ),
    fundingBox(c, m, err),
    actions(c, m, err),
    err,
  );
  card.dataset['actions'] = actionsKey(c, m);
  return card;
}

/** Updates a card in place: the timeline and funding always, the actions only when they changed. */
function updateCard(card: HTMLElement, c: ContractDetail, m: MilestoneDetail): void {
  const err = card.querySelector<HTMLElement>(`#error-${m.index}`) ?? errorLine();
  card.querySelector(`#timeline-${m.index}`)?.replaceWith(timeline(c, m));
  card.querySelector(`#funding-${m.index}`)?.replaceWith(fundingBox(c, m, err));
  const key = actionsKey(c, m);
  if (card.dataset['actions'] !== key) {
    card.querySelector(`#actions-${m.index}`)?.replaceWith(actions(c, m, err));
    card.dataset['actions'] = key;
  }
}

function header(c: ContractDetail): HTMLElement {
  const them = other(c.role);
  const err = errorLine('agree-error');
  const mine = c.agreement[c.role];
  const answer = (decision: 'accept' | 'decline') => (b: HTMLButtonElement) =>
    act(b, err, () => api('POST', `${base(c)}/agreement`, { decision }));
  return h(
    'section',
    { id: 'contract-head' },
    h('h1', {}, c.title ?? `Contract ${c.contractId}`),
    h(
      'dl',
      {},
      h('dt', {}, 'You are'),
      h('dd', {}, `the ${c.role}`),
      h('dt', {}, `The ${them}`),
      h('dd', {}, `${c.counterparty.name} (${c.counterparty.id})`),
      h('dt', {}, 'Agreement'),
      h('dd', { id: 'agreement' }, `you: ${mine}; the ${them}: ${c.agreement[them]}`),
      h('dt', {}, 'Terms hash'),
      h('dd', { class: 'mono' }, c.termsHash),
      h('dt', {}, 'Contract id'),
      h('dd', { class: 'mono' }, c.contractId),
    ),
    c.oracleError === undefined
      ? null
      : h('p', { class: 'error' }, `The oracle did not answer: ${c.oracleError}`),
    mine === 'pending'
      ? h(
          'div',
          { class: 'row' },
          button('Accept the contract', answer('accept'), { id: 'accept-contract' }),
          button('Decline', answer('decline'), { class: 'secondary' }),
        )
      : null,
    c.invite == null
      ? null
      : h(
          'details',
          { class: 'invite', open: true },
          h('summary', {}, `Invite the ${them}`),
          copyBox('invite-link', 'Invitation link', c.invite),
          qr(c.invite, 'QR code of the invitation link'),
        ),
    h(
      'details',
      {},
      h('summary', {}, 'The terms as hashed (canonical JSON)'),
      h('pre', { class: 'mono canonical', tabindex: '0' }, c.canonicalJson),
    ),
    err,
  );
}

function activityItem(e: ActivityEntry): HTMLElement {
  return h(
    'li',
    {},
    h(
      'time',
      { datetime: new Date(e.at * 1000).toISOString() },
      new Date(e.at * 1000).toLocaleTimeString(),
    ),
    ' ',
    e.text,
  );
}

/**
 * The contract with each milestone's funding job: the detail carries it where the contracts
 * module asks the funding module; otherwise it is read from `GET …/fund`.
 */
async function load(path: string): Promise<ContractDetail> {
  const c = await api<ContractDetail>('GET', path);
  await Promise.all(
    c.milestones.map(async (m) => {
      if (m.funding !== null && m.funding !== undefined) return;
      const r = await api<{ job: FundingJob | null }>('GET', `${path}/milestones/${m.index}/fund`);
      m.funding = r.job;
    }),
  );
  return c;
}

let timer: ReturnType<typeof setInterval> | undefined;

export async function contractScreen(id: string): Promise<void> {
  const path = `/api/contracts/${encodeURIComponent(id)}`;
  const [c, activity] = await Promise.all([
    load(path),
    api<{ entries: ActivityEntry[] }>('GET', '/api/activity').catch(() => ({ entries: [] })),
  ]);
  const feed = h(
    'ol',
    { class: 'activity', id: 'activity', reversed: true },
    ...activity.entries
      .filter((e) => e.contractId === id)
      .reverse()
      .map(activityItem),
  );
  const cards = c.milestones.map((m) => milestoneCard(c, m));
  show(
    header(c),
    ...cards,
    h(
      'section',
      { 'aria-label': 'activity' },
      h('h2', {}, 'Activity'),
      h(
        'p',
        { class: 'muted' },
        'What your app did for this contract while it was open (funding, the watcher).',
      ),
      feed,
    ),
  );
  const headErr = document.getElementById('agree-error');
  let latest = c;
  const refresh = debounce(() => {
    load(path).then(
      (x) => {
        latest = x;
        const head = document.getElementById('contract-head');
        const newHead = header(x);
        // Keep an open invitation box as it is (a half-done copy), unless the answer changed.
        if (
          head !== null &&
          head.querySelector('#agreement')?.textContent !==
            newHead.querySelector('#agreement')?.textContent
        )
          head.replaceWith(newHead);
        for (const m of x.milestones) {
          const card = document.getElementById(`milestone-${m.index}`);
          if (card !== null) updateCard(card, x, m);
        }
      },
      (e: unknown) => {
        if (headErr !== null) headErr.textContent = messageOf(e);
      },
    );
  }, 200);
  onLive((e: AppEvent) => {
    if (e.contractId !== undefined && e.contractId !== id) return;
    if (e.kind === 'activity' && e.text !== undefined && e.contractId === id) {
      feed.prepend(
        activityItem({
          at: nowSec(),
          text: e.text,
          ...(e.milestone === undefined ? {} : { milestone: e.milestone }),
        }),
      );
    }
    if (e.kind === 'funding' && e.milestone !== undefined && e.data !== undefined) {
      // The progress bar moves at once; the rest follows with the refetch.
      const m = latest.milestones[e.milestone];
      const card = document.getElementById(`milestone-${e.milestone}`);
      if (m !== undefined && card !== null) {
        const err = card.querySelector<HTMLElement>(`#error-${e.milestone}`) ?? errorLine();
        card
          .querySelector(`#funding-${e.milestone}`)
          ?.replaceWith(
            fundingBox(latest, { ...m, funding: e.data as unknown as FundingJob }, err),
          );
      }
    }
    refresh();
  });
  // What the other side does at the oracle (deliver, dispute, a panel's vote) raises no event in
  // this app: look again every 5 s while the page is shown; countdowns move with it.
  if (timer !== undefined) clearInterval(timer);
  timer = setInterval(() => {
    if (document.getElementById('contract-head') === null) {
      clearInterval(timer);
      timer = undefined;
      return;
    }
    refresh();
  }, 5_000);
}
