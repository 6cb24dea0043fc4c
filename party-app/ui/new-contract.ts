/**
 * Making a contract: the form → the review (the canonical JSON exactly as the oracle will hash it,
 * and what each outcome pays) → created (the invitation link to send, with a QR code). And the
 * other side: open an invitation → read the terms and the payouts → accept or decline.
 */
import { api, messageOf, stopLive } from './api.ts';
import { button, checked, copyBox, errorLine, field, h, qr, show, valueOf } from './dom.ts';
import { go } from './router.ts';
import { payoutTables, termsSummary } from './terms-view.ts';
import type { OpenedInvite, Preview, Role } from './types.ts';

interface MilestoneForm {
  title: string;
  description: string;
  criteria: string;
  amount: string;
  deadline: string;
  reviewDays: string;
  outcome: 'share' | 'enum';
  silence: string;
  noDelivery: string;
  panel: 'pool' | 'arbiters';
  poolSize: string;
  arbiters: string;
  quorum: string;
  evidenceDays: string;
  votingDays: string;
  ci: 'none' | 'token' | 'github';
  ciRepo: string;
  ciDecisive: boolean;
}

interface DraftForm {
  title: string;
  myRole: Role;
  meId: string;
  meName: string;
  themId: string;
  themName: string;
  milestones: MilestoneForm[];
}

/** `YYYY-MM-DDTHH:mm` in local time, as `<input type="datetime-local">` wants it. */
function localInput(epochSec: number): string {
  const d = new Date(epochSec * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

const blankMilestone = (): MilestoneForm => ({
  title: '',
  description: '',
  criteria: '',
  amount: '',
  deadline: localInput(Math.floor(Date.now() / 1000) + 14 * 86_400),
  reviewDays: '3',
  outcome: 'share',
  silence: '100',
  noDelivery: '0',
  panel: 'pool',
  poolSize: '3',
  arbiters: '',
  quorum: '',
  evidenceDays: '3',
  votingDays: '3',
  ci: 'none',
  ciRepo: '',
  ciDecisive: true,
});

/** The form as last typed: "Change the terms" on the review comes back to it. */
let draft: DraftForm = {
  title: '',
  myRole: 'client',
  meId: '',
  meName: '',
  themId: '',
  themName: '',
  milestones: [blankMilestone()],
};

const OUTCOME_OPTIONS: Record<'share' | 'enum', readonly (readonly [string, string])[]> = {
  share: [
    ['100', '100 % to the freelancer'],
    ['75', '75 % to the freelancer'],
    ['50', '50 % to the freelancer'],
    ['25', '25 % to the freelancer'],
    ['0', '0 %: all back to the client'],
  ],
  enum: [
    ['accepted', 'accepted: the freelancer is paid'],
    ['rejected', 'rejected: back to the client'],
  ],
};

function milestoneFieldset(m: MilestoneForm, i: number, count: number, onRemove: () => void) {
  const id = (k: string) => `m${i}-${k}`;
  const outcomeSelects = h('div', { class: 'pair' });
  const drawOutcomeSelects = (kind: 'share' | 'enum', silence: string, noDelivery: string) => {
    const opts = OUTCOME_OPTIONS[kind];
    const pick = (v: string, fallback: string) => (opts.some(([x]) => x === v) ? v : fallback);
    outcomeSelects.replaceChildren(
      field(id('silence'), 'If the client says nothing in the review window', {
        options: opts,
        value: pick(silence, kind === 'share' ? '100' : 'accepted'),
      }),
      field(id('nodelivery'), 'If nothing is delivered by the deadline', {
        options: opts,
        value: pick(noDelivery, kind === 'share' ? '0' : 'rejected'),
      }),
    );
  };
  drawOutcomeSelects(m.outcome, m.silence, m.noDelivery);
  const outcome = field(id('outcome'), 'Outcome kind', {
    options: [
      ['share', 'a share (0–100 %)'],
      ['enum', 'accepted or rejected'],
    ],
    value: m.outcome,
  });
  outcome.querySelector('select')?.addEventListener('change', (ev) => {
    const kind = (ev.target as HTMLSelectElement).value === 'enum' ? 'enum' : 'share';
    drawOutcomeSelects(kind, '', '');
  });
  const panelPool = field(id('poolsize'), 'Arbiters drawn from the oracle’s pool', {
    type: 'number',
    value: m.poolSize,
    attrs: { min: '1', max: '15', inputmode: 'numeric' },
  });
  const panelNamed = field(id('arbiters'), 'Arbiter ids (comma-separated)', {
    value: m.arbiters,
    hint: 'Ids of arbiters registered at the oracle; neither party may be one.',
  });
  const showPanel = (kind: string) => {
    panelPool.hidden = kind !== 'pool';
    panelNamed.hidden = kind !== 'arbiters';
  };
  const panel = field(id('panel'), 'Dispute panel', {
    options: [
      ['pool', 'drawn from the pool'],
      ['arbiters', 'named arbiters'],
    ],
    value: m.panel,
  });
  panel.querySelector('select')?.addEventListener('change', (ev) => {
    showPanel((ev.target as HTMLSelectElement).value);
  });
  showPanel(m.panel);
  const ciRepo = field(id('cirepo'), 'GitHub repository (owner/name)', { value: m.ciRepo });
  const ciDecisive = h(
    'div',
    { class: 'check' },
    h('input', { type: 'checkbox', id: id('cidecisive'), checked: m.ciDecisive }),
    h('label', { for: id('cidecisive') }, 'A passing run decides the milestone (else: evidence)'),
  );
  const showCi = (kind: string) => {
    ciRepo.hidden = kind !== 'github';
    ciDecisive.hidden = kind === 'none';
  };
  const ci = field(id('ci'), 'CI', {
    options: [
      ['none', 'no CI'],
      ['token', 'CI with a token this app issues'],
      ['github', 'GitHub Actions (OIDC)'],
    ],
    value: m.ci,
  });
  ci.querySelector('select')?.addEventListener('change', (ev) => {
    showCi((ev.target as HTMLSelectElement).value);
  });
  showCi(m.ci);
  return h(
    'fieldset',
    { class: 'milestone', id: id('fieldset') },
    h('legend', {}, `Milestone ${i + 1}`),
    field(id('title'), 'Title', { value: m.title }),
    field(id('description'), 'Description (what is delivered)', {
      textarea: true,
      value: m.description,
    }),
    field(id('criteria'), 'Acceptance criteria (one per line)', {
      textarea: true,
      value: m.criteria,
    }),
    field(id('amount'), 'Amount in sat', {
      value: m.amount,
      attrs: { inputmode: 'numeric' },
    }),
    field(id('deadline'), 'Delivery deadline', { type: 'datetime-local', value: m.deadline }),
    field(id('review'), 'Review window (days)', {
      type: 'number',
      value: m.reviewDays,
      attrs: { min: '0', step: 'any', inputmode: 'decimal' },
    }),
    outcome,
    outcomeSelects,
    h(
      'details',
      { class: 'dispute-settings' },
      h('summary', {}, 'Dispute panel and windows'),
      panel,
      panelPool,
      panelNamed,
      field(id('quorum'), 'Quorum (votes needed; empty: a majority)', {
        type: 'number',
        value: m.quorum,
        attrs: { min: '1', max: '15', inputmode: 'numeric' },
      }),
      h(
        'div',
        { class: 'pair' },
        field(id('evidence'), 'Evidence window (days)', {
          type: 'number',
          value: m.evidenceDays,
          attrs: { min: '0', step: 'any', inputmode: 'decimal' },
        }),
        field(id('voting'), 'Voting window (days)', {
          type: 'number',
          value: m.votingDays,
          attrs: { min: '0', step: 'any', inputmode: 'decimal' },
        }),
      ),
    ),
    h('details', { class: 'ci-settings' }, h('summary', {}, 'CI policy'), ci, ciRepo, ciDecisive),
    count > 1
      ? button('Remove this milestone', onRemove, { class: 'secondary', id: id('remove') })
      : null,
  );
}

function readForm(root: ParentNode): DraftForm {
  const milestones: MilestoneForm[] = [];
  for (let i = 0; root.querySelector(`#m${i}-fieldset`) !== null; i++) {
    const v = (k: string) => valueOf(root, `m${i}-${k}`);
    milestones.push({
      title: v('title'),
      description: v('description'),
      criteria: v('criteria'),
      amount: v('amount'),
      deadline: v('deadline'),
      reviewDays: v('review'),
      outcome: v('outcome') === 'enum' ? 'enum' : 'share',
      silence: v('silence'),
      noDelivery: v('nodelivery'),
      panel: v('panel') === 'arbiters' ? 'arbiters' : 'pool',
      poolSize: v('poolsize'),
      arbiters: v('arbiters'),
      quorum: v('quorum'),
      evidenceDays: v('evidence'),
      votingDays: v('voting'),
      ci: v('ci') === 'token' ? 'token' : v('ci') === 'github' ? 'github' : 'none',
      ciRepo: v('cirepo'),
      ciDecisive: checked(root, `m${i}-cidecisive`),
    });
  }
  return {
    title: valueOf(root, 'title'),
    myRole: valueOf(root, 'my-role') === 'freelancer' ? 'freelancer' : 'client',
    meId: valueOf(root, 'me-id'),
    meName: valueOf(root, 'me-name'),
    themId: valueOf(root, 'them-id'),
    themName: valueOf(root, 'them-name'),
    milestones,
  };
}

/** Days typed by a person → whole seconds; a field left empty or not a number says so. */
function seconds(days: string, what: string): number {
  const n = Number(days.trim().replace(',', '.'));
  if (days.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new Error(`${what}: a number of days (decimals allowed)`);
  return Math.round(n * 86_400);
}

/** The oracle's `POST /v1/contracts` body from the form; the oracle checks the rest, in words. */
function toDraft(f: DraftForm): Record<string, unknown> {
  const me = { id: f.meId.trim(), name: f.meName.trim() };
  const them = { id: f.themId.trim(), name: f.themName.trim() };
  return {
    ...(f.title.trim() === '' ? {} : { title: f.title.trim() }),
    client: f.myRole === 'client' ? me : them,
    freelancer: f.myRole === 'client' ? them : me,
    milestones: f.milestones.map((m, i) => {
      const at = `Milestone ${i + 1}`;
      const deadline = new Date(m.deadline).getTime();
      if (!Number.isFinite(deadline)) throw new Error(`${at}: pick a delivery deadline`);
      const criteria = m.criteria
        .split('\n')
        .map((c) => c.trim())
        .filter((c) => c !== '');
      const outcome = (v: string) => (m.outcome === 'share' ? Number(v) : v);
      const quorum = m.quorum.trim();
      return {
        title: m.title.trim(),
        ...(m.description.trim() === '' ? {} : { description: m.description.trim() }),
        ...(criteria.length === 0 ? {} : { acceptanceCriteria: criteria }),
        amountSat: m.amount.replace(/[\s\u2009\u202f,_]/g, ''),
        outcome: m.outcome,
        deliveryDeadline: Math.floor(deadline / 1000),
        reviewWindowSec: seconds(m.reviewDays, `${at}, review window`),
        defaultOnSilence: outcome(m.silence),
        defaultOnNoDelivery: outcome(m.noDelivery),
        dispute: {
          panel:
            m.panel === 'arbiters'
              ? {
                  arbiters: m.arbiters
                    .split(',')
                    .map((a) => a.trim())
                    .filter((a) => a !== ''),
                }
              : { poolSize: Number(m.poolSize) },
          ...(quorum === '' ? {} : { quorum: Number(quorum) }),
          evidenceWindowSec: seconds(m.evidenceDays, `${at}, evidence window`),
          votingWindowSec: seconds(m.votingDays, `${at}, voting window`),
        },
        ...(m.ci === 'none'
          ? {}
          : {
              ci: {
                identity:
                  m.ci === 'token'
                    ? { kind: 'token' }
                    : { kind: 'github-oidc', repository: m.ciRepo.trim() },
                decisive: m.ciDecisive,
              },
            }),
      };
    }),
  };
}

export function newContractScreen(): void {
  stopLive();
  const err = errorLine('error');
  const milestones = h('div', { id: 'milestones' });
  const f = h(
    'form',
    { novalidate: true, id: 'new-contract' },
    field('title', 'Contract title', { value: draft.title }),
    field('my-role', 'I am the', {
      options: [
        ['client', 'client (I pay)'],
        ['freelancer', 'freelancer (I am paid)'],
      ],
      value: draft.myRole,
    }),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Me'),
      h(
        'div',
        { class: 'pair' },
        field('me-id', 'My id', { value: draft.meId, hint: 'Letters, digits and . _ @ : -' }),
        field('me-name', 'My name', { value: draft.meName }),
      ),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'The other side'),
      h(
        'div',
        { class: 'pair' },
        field('them-id', 'Their id', { value: draft.themId }),
        field('them-name', 'Their name', { value: draft.themName }),
      ),
    ),
    milestones,
  );
  const draw = () => {
    milestones.replaceChildren(
      ...draft.milestones.map((m, i) =>
        milestoneFieldset(m, i, draft.milestones.length, () => {
          draft = readForm(f);
          draft.milestones.splice(i, 1);
          draw();
          document.getElementById(`m${Math.max(0, i - 1)}-title`)?.focus();
        }),
      ),
    );
  };
  draw();
  const add = button(
    'Add a milestone',
    () => {
      draft = readForm(f);
      draft.milestones.push(blankMilestone());
      draw();
      document.getElementById(`m${draft.milestones.length - 1}-title`)?.focus();
    },
    { class: 'secondary', id: 'add-milestone' },
  );
  const submit = h('button', { type: 'submit', id: 'to-review' }, 'Review the terms');
  f.append(add, h('div', {}, submit), err);
  f.addEventListener('submit', (ev) => {
    ev.preventDefault();
    err.textContent = '';
    draft = readForm(f);
    let body: Record<string, unknown>;
    try {
      body = toDraft(draft);
    } catch (e) {
      err.textContent = messageOf(e);
      return;
    }
    submit.disabled = true;
    api<Preview>('POST', '/api/contracts/preview', { myRole: draft.myRole, draft: body }).then(
      (p) => reviewScreen(draft.myRole, body, p),
      (e: unknown) => {
        submit.disabled = false;
        err.textContent = messageOf(e);
      },
    );
  });
  show(
    h(
      'section',
      {},
      h('h1', {}, 'New contract'),
      h(
        'p',
        { class: 'muted' },
        'Either side may write the contract. Next you review the terms exactly as the oracle will hash them, then send the other side an invitation.',
      ),
      f,
    ),
  );
}

function reviewScreen(myRole: Role, body: Record<string, unknown>, p: Preview): void {
  const err = errorLine('error');
  const create = button(
    'Create the contract at the oracle',
    (b) => {
      b.disabled = true;
      err.textContent = '';
      api<{ contractId: string; invite: string }>('POST', '/api/contracts', {
        myRole,
        draft: body,
        reviewedCanonicalJson: p.canonicalJson,
      }).then(
        (r) => {
          draft = {
            ...draft,
            title: '',
            themId: '',
            themName: '',
            milestones: [blankMilestone()],
          };
          createdScreen(r.contractId, r.invite);
        },
        (e: unknown) => {
          b.disabled = false;
          err.textContent = messageOf(e);
        },
      );
    },
    { id: 'create' },
  );
  show(
    h(
      'section',
      {},
      h('h1', {}, 'Review the terms'),
      h(
        'p',
        {},
        'This is what the oracle will hash, byte for byte (the contract id is filled in at creation). Every milestone’s oracle event commits to this hash: once funded, the terms cannot change.',
      ),
      h('h2', {}, 'What each outcome pays'),
      payoutTables(p.payouts),
      h('h2', {}, 'In words'),
      termsSummary(p.terms),
      h(
        'details',
        { open: true },
        h('summary', {}, 'The terms as hashed (canonical JSON)'),
        h('pre', { class: 'mono canonical', id: 'canonical', tabindex: '0' }, p.canonicalJson),
      ),
      h(
        'div',
        { class: 'row' },
        create,
        button('Change the terms', () => newContractScreen(), { class: 'secondary' }),
      ),
      err,
    ),
  );
}

function createdScreen(contractId: string, invite: string): void {
  show(
    h(
      'section',
      {},
      h('h1', {}, 'Contract created'),
      h(
        'p',
        {},
        'Send this invitation to the other side, by a channel you trust (it carries their access to the contract). They paste it into ',
        h('em', {}, 'Open an invitation'),
        ' in their own Verdict app.',
      ),
      copyBox('invite-link', 'Invitation link', invite),
      qr(invite, 'QR code of the invitation link'),
      h('p', { class: 'muted' }, `Contract id ${contractId}`),
      button('Open the contract', () => go('contract', contractId), { id: 'open-contract' }),
    ),
  );
}

export function inviteScreen(): void {
  stopLive();
  const err = errorLine('error');
  const out = h('div', { id: 'invite-terms', 'aria-live': 'polite' });
  const f = h(
    'form',
    { novalidate: true },
    field('invite', 'Invitation link', {
      textarea: true,
      hint: 'The whole link, with the part after #. That part never reached a server.',
    }),
    h('button', { type: 'submit' }, 'Read the terms'),
    err,
  );
  f.addEventListener('submit', (ev) => {
    ev.preventDefault();
    err.textContent = '';
    api<OpenedInvite>('POST', '/api/invites/open', { link: valueOf(f, 'invite').trim() }).then(
      (r) => {
        out.replaceChildren(...invitationTerms(r));
        out.querySelector('h2')?.focus();
      },
      (e: unknown) => {
        err.textContent = messageOf(e);
      },
    );
  });
  show(h('section', {}, h('h1', {}, 'Open an invitation'), f), out);
}

function invitationTerms(r: OpenedInvite): Node[] {
  const err = errorLine('agree-error');
  const answer = (decision: 'accept' | 'decline') => (b: HTMLButtonElement) => {
    b.disabled = true;
    err.textContent = '';
    api('POST', `/api/contracts/${encodeURIComponent(r.contractId)}/agreement`, { decision }).then(
      () => go('contract', r.contractId),
      (e: unknown) => {
        b.disabled = false;
        err.textContent = messageOf(e);
      },
    );
  };
  return [
    h(
      'section',
      { 'aria-label': 'the terms' },
      h('h2', { tabindex: '-1' }, `You are invited as the ${r.role}`),
      h(
        'p',
        {},
        'The terms below match the hash in the link and the oracle key in the link is this app’s oracle. Read them; your answer is final.',
      ),
      h('h3', {}, 'What each outcome pays'),
      payoutTables(r.payouts),
      termsSummary(r.terms),
      h(
        'details',
        {},
        h('summary', {}, 'The terms as hashed (canonical JSON)'),
        h('pre', { class: 'mono canonical', id: 'canonical', tabindex: '0' }, r.canonicalJson),
      ),
      h(
        'div',
        { class: 'row' },
        button('Accept the contract', answer('accept'), { id: 'accept-contract' }),
        button('Decline', answer('decline'), { class: 'secondary', id: 'decline-contract' }),
      ),
      err,
    ),
  ];
}
