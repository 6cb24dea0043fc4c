/**
 * The arbiters' web app (issue 6 §3). Plain DOM, no framework. Every string from the service is
 * put into the page as text (createTextNode / textContent), never parsed as HTML. Attestations are
 * verified here, in the browser, with the project's own library.
 */
import { hexToBytes } from '@noble/hashes/utils.js';
import { attestedValue, verifyAttestation } from '../src/dlc/attestation.ts';
import { decodeAnnouncement, decodeAttestation } from '../src/dlc/oracle-codec.ts';
import type { DisputeView } from '../oracle/arbitration/disputes.ts';

type QueueItem = {
  disputeId: number;
  round: number;
  contractId: string;
  contractTitle: string | null;
  milestoneIndex: number;
  milestoneTitle: string;
  amountSat: string;
  outcomeKind: 'enum' | 'share';
  phase: 'evidence' | 'voting' | 'closed';
  secondsLeft: number;
  voted: boolean;
  outcome: string | null;
};
type Me = { arbiter: { id: string; displayName: string }; csrfToken: string };
type DisputePage = DisputeView & { disputeId: number };

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken = '';
const main = document.getElementById('main') as HTMLElement;
const statusRegion = document.getElementById('status') as HTMLElement;
const whoami = document.getElementById('whoami') as HTMLElement;
const logoutButton = document.getElementById('logout') as HTMLButtonElement;

// ---- tiny DOM helpers: text only ----------------------------------------------------------------

type Child = Node | string | number | null | undefined | false;
function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string | boolean | number>> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') el.className = String(v);
    else if (k === 'text') el.textContent = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(
      typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c,
    );
  }
  return el;
}

function formText(fd: FormData, name: string): string {
  const v = fd.get(name);
  return typeof v === 'string' ? v : '';
}

function announce(message: string): void {
  statusRegion.textContent = message;
}

function show(title: string, ...content: Node[]): void {
  document.title = `${title} · Verdict arbiter`;
  main.replaceChildren(h('h1', { text: title }), ...content);
  main.focus();
}

function duration(sec: number): string {
  if (sec <= 0) return 'ended';
  const d = Math.floor(sec / 86_400);
  const hrs = Math.floor((sec % 86_400) / 3600);
  const min = Math.floor((sec % 3600) / 60);
  if (d > 0) return `${d}d ${hrs}h left`;
  if (hrs > 0) return `${hrs}h ${min}m left`;
  return `${Math.max(min, 1)}m left`;
}

function when(epochSec: number | null): string {
  if (epochSec === null) return '—';
  return new Date(epochSec * 1000).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

function sats(amount: string | bigint): string {
  return `${BigInt(amount).toLocaleString('en-US')} sat`;
}

function outcomeLabel(kind: 'enum' | 'share', outcome: string | null): string {
  if (outcome === null) return '—';
  return kind === 'share' ? `${outcome} % to the freelancer` : outcome;
}

/**
 * What an outcome pays out of the milestone amount, with the DLC's rounding: the freelancer gets
 * floor(amount × share / 100), the client the rest (`freelancerPayoutForShare` in
 * src/dlc/share-contract.ts, not imported: that module pulls Node-only code into the bundle).
 */
function payout(
  kind: 'enum' | 'share',
  amountSat: string,
  outcome: string,
): { freelancer: bigint; client: bigint } {
  const amount = BigInt(amountSat);
  const freelancer =
    kind === 'share'
      ? (amount * BigInt(Math.min(Number(outcome), 100))) / 100n
      : outcome === 'accepted'
        ? amount
        : 0n;
  return { freelancer, client: amount - freelancer };
}

function payoutText(kind: 'enum' | 'share', amountSat: string, outcome: string): string {
  const p = payout(kind, amountSat, outcome);
  return `${sats(p.freelancer)} to the freelancer · ${sats(p.client)} to the client`;
}

/** An outcome with what it pays: "60 % to the freelancer (1,500,000 sat to the freelancer · …)". */
function outcomeWithSats(page: DisputePage, outcome: string): string {
  const kind = page.milestone.outcomeKind;
  return `${outcomeLabel(kind, outcome)} (${payoutText(kind, page.milestone.amountSat, outcome)})`;
}

/** Milestones are numbered from 1 for people (the API's index counts from 0). */
function milestoneNumber(index: number): string {
  return `Milestone ${index + 1}`;
}

/** The aggregation rule, said before anyone votes (DESIGN.md "Disputes", rules.ts). */
function ruleText(page: DisputePage, round: DisputePage['rounds'][number]): string {
  const fallback = outcomeWithSats(page, round.fallbackOutcome);
  const quorum = `At least ${round.quorum} of the ${round.panel.length} seated arbiters must vote; otherwise the terms' fallback applies: ${fallback}.`;
  return page.milestone.outcomeKind === 'share'
    ? `The result is the median of the votes cast. With an even number of votes it is the lower of the two middle votes. ${quorum}`
    : `The result is the majority of the votes cast; a tie gives the terms' fallback outcome. ${quorum}`;
}

// ---- HTTP ---------------------------------------------------------------------------------------

async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken !== '') headers['X-CSRF-Token'] = csrfToken;
  const res = await fetch(`/arbiter/api${path}`, {
    method,
    headers,
    credentials: 'same-origin',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (res.status === 204) return undefined as T;
  const data: unknown = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = (data as { error?: { code?: string; message?: string } }).error;
    throw new ApiError(res.status, err?.code ?? 'error', err?.message ?? `HTTP ${res.status}`);
  }
  return data as T;
}

function errorText(e: unknown): string {
  return e instanceof ApiError || e instanceof Error ? e.message : 'something went wrong';
}

// ---- views ---------------------------------------------------------------------------------------

function setUser(me: Me | null): void {
  whoami.replaceChildren(
    ...(me === null
      ? []
      : [h('span', { class: 'who-prefix', text: 'Signed in as ' }), me.arbiter.displayName]),
  );
  whoami.title = me === null ? '' : `Signed in as ${me.arbiter.displayName}`;
  logoutButton.hidden = me === null;
}

function loginView(prefillId = '', note = ''): void {
  setUser(null);
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h(
    'form',
    { class: 'stack', 'aria-label': 'Log in' },
    note === '' ? null : h('p', { text: note }),
    h(
      'div',
      {},
      h('label', { for: 'login-id', text: 'Arbiter id' }),
      h('input', {
        id: 'login-id',
        name: 'id',
        type: 'text',
        autocomplete: 'username',
        required: true,
        value: prefillId,
      }),
    ),
    h(
      'div',
      {},
      h('label', { for: 'login-password', text: 'Password' }),
      h('input', {
        id: 'login-password',
        name: 'password',
        type: 'password',
        autocomplete: 'current-password',
        required: true,
      }),
    ),
    h('button', { type: 'submit', text: 'Log in' }),
    error,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    error.textContent = '';
    api<Me>('POST', '/login', {
      id: formText(fd, 'id'),
      password: formText(fd, 'password'),
    }).then(
      (me) => {
        csrfToken = me.csrfToken;
        setUser(me);
        location.hash = '#queue';
      },
      (e: unknown) => {
        error.textContent = errorText(e);
      },
    );
  });
  show('Log in', form);
  (
    document.getElementById(prefillId === '' ? 'login-id' : 'login-password') as HTMLInputElement
  ).focus();
}

/** A used or expired invite link says so before any form (issue 13 §11). */
async function inviteView(token: string): Promise<void> {
  setUser(null);
  const check = await api<{
    state: 'valid' | 'used' | 'expired' | 'unknown';
    arbiterId: string | null;
    expiresAt: number | null;
  }>('POST', '/invite/check', { token });
  if (check.state !== 'valid') {
    const toLogin = h('a', { href: '#login', text: 'Go to the log-in page' });
    const text =
      check.state === 'used'
        ? `This invite link has already been used: the account${check.arbiterId === null ? '' : ` “${check.arbiterId}”`} is set up. Log in with its password. If you have lost the password, ask the operator for a new invite link.`
        : check.state === 'expired'
          ? `This invite link expired on ${when(check.expiresAt)}. Ask the operator for a new one.`
          : 'This invite link is not valid. Check that you copied all of it, or ask the operator for a new one.';
    show(
      check.state === 'used' ? 'Invite already used' : 'Invite link not usable',
      h('p', { class: 'notice', id: 'invite-state', 'data-state': check.state, text }),
      h('p', {}, toLogin),
    );
    return;
  }
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h(
    'form',
    { class: 'stack', 'aria-label': 'Set your password' },
    h('p', {
      text: 'Choose a password (at least 12 characters) to activate your arbiter account.',
    }),
    h(
      'div',
      {},
      h('label', { for: 'new-password', text: 'New password' }),
      h('input', {
        id: 'new-password',
        name: 'password',
        type: 'password',
        autocomplete: 'new-password',
        minlength: 12,
        required: true,
      }),
    ),
    h(
      'div',
      {},
      h('label', { for: 'new-password2', text: 'Repeat the password' }),
      h('input', {
        id: 'new-password2',
        name: 'password2',
        type: 'password',
        autocomplete: 'new-password',
        minlength: 12,
        required: true,
      }),
    ),
    h('button', { type: 'submit', text: 'Activate account' }),
    error,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const fd = new FormData(form);
    const password = formText(fd, 'password');
    if (password !== formText(fd, 'password2')) {
      error.textContent = 'The two passwords differ.';
      return;
    }
    api<{ arbiter: { id: string } }>('POST', '/invite/accept', { token, password }).then(
      (r) => {
        history.replaceState(null, '', '#login');
        loginView(r.arbiter.id, 'Your account is active. Log in with your new password.');
      },
      (e: unknown) => {
        error.textContent = errorText(e);
      },
    );
  });
  show('Accept your invitation', form);
}

async function queueView(): Promise<void> {
  const { disputes } = await api<{ disputes: QueueItem[] }>('GET', '/disputes');
  if (disputes.length === 0) {
    show('Your disputes', h('p', { class: 'muted', text: 'No disputes are assigned to you.' }));
    return;
  }
  const list = h('ul', { class: 'queue', 'aria-label': 'Assigned disputes' });
  for (const d of disputes) {
    const left =
      d.phase === 'closed'
        ? `Result: ${outcomeLabel(d.outcomeKind, d.outcome)}${d.outcome === null ? '' : ` (${sats(payout(d.outcomeKind, d.amountSat, d.outcome).freelancer)})`}`
        : duration(d.secondsLeft);
    list.append(
      h(
        'li',
        {},
        h(
          'a',
          { href: `#dispute/${d.disputeId}` },
          h('span', {
            class: 'title',
            text: `${d.contractTitle ?? d.contractId} — ${milestoneNumber(d.milestoneIndex)}: ${d.milestoneTitle}`,
          }),
          h('span', { class: `badge phase-${d.phase}`, text: d.phase }),
          h('span', {
            class: 'meta',
            text: `${d.round === 2 ? 'Appeal · ' : ''}${d.outcomeKind === 'share' ? 'share %' : 'accept / reject'} · ${d.voted ? 'you voted' : 'not voted'}`,
          }),
          h('span', { class: 'meta', text: left }),
        ),
      ),
    );
  }
  show('Your disputes', list);
}

function facts(pairs: [string, Child][]): HTMLDListElement {
  const dl = h('dl', { class: 'facts' });
  for (const [k, v] of pairs) dl.append(h('dt', { text: k }), h('dd', {}, v));
  return dl;
}

function evidenceColumn(page: DisputePage, role: 'client' | 'freelancer'): HTMLElement {
  const party = role === 'client' ? page.contract.client : page.contract.freelancer;
  const items = page.evidence.filter((e) => e.partyRole === role);
  const list = h('ul', {});
  for (const e of items) {
    const li = h('li', { 'data-evidence': e.id });
    if (e.text !== '') li.append(h('p', { class: 'text', text: e.text }));
    if (e.kind === 'link' && e.url !== null) {
      li.append(
        h('a', { href: e.url, rel: 'noopener noreferrer nofollow', target: '_blank', text: e.url }),
      );
    }
    if (e.kind === 'file') {
      li.append(
        h('a', {
          href: `/arbiter/api/disputes/${page.disputeId}/evidence/${e.id}/file`,
          download: e.fileName ?? 'attachment',
          text: `Download ${e.fileName ?? 'attachment'}`,
        }),
        h('span', {
          class: 'muted',
          text: ` (${e.sizeBytes ?? 0} bytes, SHA-256 ${(e.sha256 ?? '').slice(0, 16)}…)`,
        }),
      );
    }
    li.append(h('div', { class: 'muted', text: `${e.kind} · ${when(e.createdAt)}` }));
    list.append(li);
  }
  return h(
    'div',
    { 'aria-label': `Evidence from the ${role}` },
    h('h3', { text: `${role === 'client' ? 'Client' : 'Freelancer'}: ${party.name}` }),
    items.length === 0 ? h('p', { class: 'muted', text: 'No evidence.' }) : list,
  );
}

function voteForm(page: DisputePage, round: DisputePage['rounds'][number]): HTMLElement {
  const kind = page.milestone.outcomeKind;
  const error = h('p', { class: 'error', role: 'alert' });
  let chosen = round.myVote?.outcome ?? (kind === 'share' ? '50' : '');
  const form = h('form', { class: 'stack', 'aria-label': 'Your vote' });
  if (kind === 'enum') {
    const group = h('div', { class: 'choices', role: 'group', 'aria-label': 'Outcome' });
    for (const o of ['accepted', 'rejected']) {
      const b = h('button', {
        type: 'button',
        class: 'secondary',
        'aria-pressed': String(chosen === o),
        'data-outcome': o,
        text: o === 'accepted' ? 'Accept the delivery' : 'Reject the delivery',
      });
      b.addEventListener('click', () => {
        chosen = o;
        group
          .querySelectorAll('button')
          .forEach((x) => x.setAttribute('aria-pressed', String(x.dataset['outcome'] === o)));
      });
      group.append(b);
    }
    form.append(
      h('div', {}, h('span', { class: 'label', id: 'outcome-label', text: 'Outcome' }), group),
    );
  } else {
    const range = h('input', {
      id: 'share-range',
      type: 'range',
      min: 0,
      max: 100,
      step: 1,
      value: chosen,
      'aria-label': 'Share to the freelancer, percent (slider)',
    });
    const num = h('input', {
      id: 'share-number',
      name: 'share',
      type: 'number',
      min: 0,
      max: 100,
      step: 1,
      value: chosen,
      required: true,
      inputmode: 'numeric',
    });
    // The chosen share in satoshis, as it would pay out.
    const inSats = h('output', { id: 'share-sats', for: 'share-number share-range' });
    const showSats = () => {
      inSats.textContent = /^(0|[1-9]\d?|100)$/.test(chosen)
        ? payoutText(kind, page.milestone.amountSat, chosen)
        : '';
    };
    showSats();
    range.addEventListener('input', () => {
      num.value = range.value;
      chosen = range.value;
      showSats();
    });
    num.addEventListener('input', () => {
      range.value = num.value;
      chosen = num.value;
      showSats();
    });
    form.append(
      h(
        'div',
        {},
        h('label', {
          for: 'share-number',
          text: 'Share of the milestone owed to the freelancer (%)',
        }),
        h('div', { class: 'share' }, range, num, h('span', { text: '%' })),
        h('p', { class: 'muted sats-line' }, inSats),
      ),
    );
  }
  const rationale = h('textarea', {
    id: 'rationale',
    name: 'rationale',
    required: true,
    maxlength: 10000,
  });
  rationale.value = round.myVote?.rationale ?? '';
  form.append(
    h(
      'div',
      {},
      h('label', {
        for: 'rationale',
        text: 'Rationale (required; shown to everyone after the close)',
      }),
      rationale,
    ),
    h('button', {
      type: 'submit',
      text: round.myVote === null ? 'Cast sealed vote' : 'Change my vote',
    }),
    error,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    error.textContent = '';
    if (chosen === '') {
      error.textContent = 'Choose an outcome.';
      return;
    }
    if (kind === 'share' && !/^(0|[1-9]\d?|100)$/.test(chosen)) {
      error.textContent = 'The share is a whole number from 0 to 100.';
      return;
    }
    if (rationale.value.trim() === '') {
      error.textContent = 'A rationale is required.';
      return;
    }
    api<undefined>('POST', `/disputes/${page.disputeId}/vote`, {
      outcome: kind === 'share' ? Number(chosen) : chosen,
      rationale: rationale.value,
    }).then(
      () => {
        announce('Your vote is recorded.');
        void route();
      },
      (e: unknown) => {
        error.textContent = errorText(e);
      },
    );
  });
  return form;
}

function verification(page: DisputePage): HTMLElement {
  const p = h('p', { id: 'verify-result' });
  if (page.attestation === null || page.announcementHex === null) {
    p.className = 'muted';
    p.textContent = 'Not attested yet.';
    return p;
  }
  try {
    const announcement = decodeAnnouncement(hexToBytes(page.announcementHex));
    const attestation = decodeAttestation(hexToBytes(page.attestation.hex));
    const ok =
      verifyAttestation(announcement, attestation) &&
      announcement.event.eventId === page.milestone.eventId;
    const value = ok ? String(attestedValue(announcement, attestation)) : '';
    if (ok && value === page.attestation.outcome) {
      p.className = 'verify-ok';
      p.textContent = `✓ Verifies against the announcement of ${announcement.event.eventId}: attested outcome ${value}.`;
    } else {
      p.className = 'verify-bad';
      p.textContent = '✗ Does NOT verify against the announcement.';
    }
  } catch (e) {
    p.className = 'verify-bad';
    p.textContent = `✗ Cannot decode: ${errorText(e)}`;
  }
  p.dataset['verified'] = String(p.className === 'verify-ok');
  return p;
}

function resultSection(page: DisputePage, round: DisputePage['rounds'][number]): HTMLElement {
  const r = round.result;
  if (r === null) return h('p', {});
  const kind = page.milestone.outcomeKind;
  const table = h(
    'table',
    { class: 'votes' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col', class: 'nowrap', text: 'Arbiter' }),
        h('th', { scope: 'col', class: 'nowrap', text: 'Vote (to the freelancer)' }),
        h('th', { scope: 'col', text: 'Rationale' }),
      ),
    ),
  );
  const body = h('tbody', {});
  for (const v of r.votes) {
    body.append(
      h(
        'tr',
        {},
        h('td', { class: 'name', text: v.displayName }),
        h(
          'td',
          { class: 'vote' },
          h('span', { class: 'nowrap', text: kind === 'share' ? `${v.outcome} %` : v.outcome }),
          h('span', {
            class: 'sats',
            text: sats(payout(kind, page.milestone.amountSat, v.outcome).freelancer),
          }),
        ),
        h('td', { class: 'rationale', text: v.rationale }),
      ),
    );
  }
  table.append(body);
  const rule: Record<string, string> = {
    median: 'median of the votes',
    majority: 'majority of the votes',
    tie_rule: 'tie, broken by the terms',
    tie_fallback: 'tie: the terms’ fallback outcome',
    no_quorum_fallback: 'quorum missed: the terms’ fallback outcome',
  };
  return h(
    'div',
    {},
    h('p', {
      class: 'outcome-big',
      id: `round-${round.round}-outcome`,
      text: outcomeLabel(kind, r.outcome),
    }),
    r.outcome === null
      ? null
      : h('p', {
          class: 'payout',
          id: `round-${round.round}-sats`,
          text: payoutText(kind, page.milestone.amountSat, r.outcome),
        }),
    h('p', {
      class: 'muted',
      text: `${rule[r.rule ?? ''] ?? r.rule ?? ''} · ${r.tally.votes} of ${round.panel.length} seated arbiters voted, quorum ${round.quorum}`,
    }),
    round.closedEarly
      ? h('p', {
          class: 'muted',
          id: `round-${round.round}-closed-early`,
          text: `Voting closed early (${when(r.closedAt)}): every seated arbiter had voted.`,
        })
      : null,
    r.votes.length === 0 ? h('p', { class: 'muted', text: 'No votes were cast.' }) : table,
  );
}

function attestationSection(page: DisputePage): HTMLElement {
  const section = h(
    'section',
    { class: 'card', 'aria-labelledby': 'att-h' },
    h('h2', { id: 'att-h', text: 'Attestation' }),
  );
  if (page.attestation === null) {
    section.append(
      h('p', { class: 'muted', text: 'The oracle has not attested this milestone yet.' }),
    );
    return section;
  }
  const code = h('code', { id: 'attestation-hex', text: page.attestation.hex });
  const copy = h('button', { type: 'button', class: 'secondary', text: 'Copy hex' });
  copy.addEventListener('click', () => {
    navigator.clipboard.writeText(page.attestation?.hex ?? '').then(
      () => announce('Attestation copied.'),
      () => announce('Copy failed: select the text instead.'),
    );
  });
  section.append(
    h(
      'p',
      {},
      'Outcome attested: ',
      h('strong', { text: outcomeWithSats(page, page.attestation.outcome) }),
    ),
    h('div', { class: 'hexbox' }, code, copy),
    verification(page),
  );
  return section;
}

/**
 * What happens once the voting closes: the attestation, the parties' wallets settling on chain,
 * and whether an appeal is possible and until when (there is none unless the terms allow it).
 */
function afterCloseSection(page: DisputePage, current: DisputePage['rounds'][number]): HTMLElement {
  const closed = current.result !== null;
  const lines: string[] = [];
  lines.push(
    closed
      ? 'The oracle attests the result. Each party’s wallet then settles on chain by itself: it completes the contract execution transaction for this outcome and broadcasts it, paying the amounts above. Nobody else holds the money.'
      : 'At the close the oracle attests the result. Each party’s wallet then settles on chain by itself: it completes the contract execution transaction for that outcome and broadcasts it. Nobody else holds the money.',
  );
  const { appeal } = page;
  if (!appeal.allowed) {
    lines.push(
      'No appeal is possible: the terms of this contract do not allow one. The result is final.',
    );
  } else if (current.round === 2) {
    lines.push('This is the appeal round: its result is final; there is no further appeal.');
  } else if (appeal.requested) {
    lines.push(
      'A party has appealed: a larger panel hears the dispute again and its result is final.',
    );
  } else if (appeal.deadline !== null) {
    lines.push(
      closed
        ? `Either party may appeal until ${when(appeal.deadline)}; a larger panel then hears the dispute again. Without an appeal by then this result is final and attested.`
        : `After the close either party may appeal, for one evidence window (until ${when(appeal.deadline)} at the latest); a larger panel then hears the dispute again. Without an appeal the result is final.`,
    );
  }
  return h(
    'section',
    { class: 'card', id: 'after-close', 'aria-labelledby': 'after-h' },
    h('h2', { id: 'after-h', text: closed ? 'What happens now' : 'What happens after the close' }),
    ...lines.map((text) => h('p', { text })),
  );
}

async function disputeView(id: number): Promise<void> {
  const page = await api<DisputePage>('GET', `/disputes/${id}`);
  const m = page.milestone;
  const current = page.rounds.find((r) => r.disputeId === id) ?? page.rounds.at(-1);
  if (current === undefined) throw new Error('dispute without rounds');
  const title = `${page.contract.title ?? page.contract.id} — ${milestoneNumber(m.index)}: ${m.title}`;
  const delivery = m.delivery;
  const ci = h('div', {});
  if (m.ciResults.length > 0) {
    const t = h(
      'table',
      {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { text: 'Commit' }),
          h('th', { text: 'Result' }),
          h('th', { text: 'Passed / failed' }),
          h('th', { text: 'Run' }),
        ),
      ),
    );
    const tb = h('tbody', {});
    for (const c of m.ciResults) {
      tb.append(
        h(
          'tr',
          {},
          h('td', {}, h('code', { text: c.commitSha.slice(0, 12) })),
          h('td', { text: c.result }),
          h('td', { text: `${c.passed} / ${c.failed}` }),
          h(
            'td',
            {},
            c.runUrl === null
              ? '—'
              : h('a', {
                  href: c.runUrl,
                  rel: 'noopener noreferrer nofollow',
                  target: '_blank',
                  text: 'CI run',
                }),
          ),
        ),
      );
    }
    t.append(tb);
    ci.append(h('h3', { text: 'CI results' }), t);
  } else {
    ci.append(h('p', { class: 'muted', text: 'No CI results were recorded.' }));
  }
  const sections: Node[] = [
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'phase-h' },
      h(
        'h2',
        { id: 'phase-h' },
        `${current.round === 2 ? 'Appeal round' : 'Dispute'} · `,
        h('span', { class: `badge phase-${current.phase}`, text: current.phase }),
      ),
      current.panelShort && current.phase !== 'closed'
        ? h('p', {
            class: 'notice',
            id: 'short-panel',
            role: 'note',
            text: `Short panel: ${current.panel.length} of ${current.seats} seats are filled. Empty seats are filled as arbiters join, until the evidence phase ends (${when(current.evidenceEndsAt)}); a round that misses its quorum of ${current.quorum} ends in the terms' fallback.`,
          })
        : null,
      facts([
        ['Time left', current.phase === 'closed' ? 'closed' : duration(current.secondsLeft)],
        ['Evidence until', when(current.evidenceEndsAt)],
        ['Voting until', when(current.votingEndsAt)],
        [
          'Panel',
          current.panel.length === 0
            ? 'nobody seated yet'
            : current.panel.map((p) => p.displayName).join(', '),
        ],
        ['Quorum', `${current.quorum} votes`],
        ['If no quorum', outcomeWithSats(page, current.fallbackOutcome)],
        [
          'Opened by',
          page.milestone.dispute === null
            ? '—'
            : `${page.milestone.dispute.byRole}: ${page.milestone.dispute.reason}`,
        ],
      ]),
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'terms-h' },
      h('h2', { id: 'terms-h', text: 'Terms and milestone' }),
      facts([
        ['Contract', page.contract.title ?? page.contract.id],
        ['Client', `${page.contract.client.name} (${page.contract.client.id})`],
        ['Freelancer', `${page.contract.freelancer.name} (${page.contract.freelancer.id})`],
        ['Milestone', `${milestoneNumber(m.index)}: ${m.title}`],
        [
          'Deliverable',
          m.description === null
            ? h('span', { class: 'muted', text: 'not described in the terms' })
            : h('span', { class: 'prewrap', id: 'scope-description', text: m.description }),
        ],
        [
          'Acceptance criteria',
          m.acceptanceCriteria.length === 0
            ? h('span', { class: 'muted', text: 'none stated in the terms' })
            : h(
                'ol',
                { class: 'criteria', id: 'scope-criteria' },
                ...m.acceptanceCriteria.map((c) => h('li', { text: c })),
              ),
        ],
        ['Amount', sats(m.amountSat)],
        [
          'Outcome',
          m.outcomeKind === 'share'
            ? 'share of the amount to the freelancer, 0–100 %'
            : 'accepted or rejected',
        ],
        ['Delivery deadline', when(m.deliveryDeadline)],
        ['Delivered', when(m.deliveredAt)],
        [
          'Commit',
          delivery?.['commitSha'] === undefined ? '—' : h('code', { text: delivery['commitSha'] }),
        ],
        ['Artifact', delivery?.['artifactDigest'] ?? '—'],
        ['Delivery note', delivery?.['note'] ?? '—'],
        ['Event id', h('code', { text: m.eventId })],
        ['Terms hash', h('code', { text: page.contract.termsHash })],
      ]),
      ci,
    ),
    h(
      'section',
      { class: 'card', 'aria-labelledby': 'ev-h' },
      h('h2', { id: 'ev-h', text: 'Evidence' }),
      h(
        'div',
        { class: 'evidence' },
        evidenceColumn(page, 'client'),
        evidenceColumn(page, 'freelancer'),
      ),
    ),
  ];
  for (const r of page.rounds) {
    if (r.result !== null) {
      sections.push(
        h(
          'section',
          { class: 'card', 'aria-labelledby': `res-${r.round}` },
          h('h2', { id: `res-${r.round}`, text: r.round === 2 ? 'Appeal result' : 'Result' }),
          resultSection(page, r),
        ),
      );
    }
  }
  const myVote =
    current.myVote === null || current.phase === 'closed'
      ? null
      : h('p', {
          class: 'muted',
          id: 'my-vote',
          text: `Your current vote: ${outcomeWithSats(page, current.myVote.outcome)}`,
        });
  if (current.youSit && current.phase === 'voting') {
    sections.push(
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'vote-h' },
        h('h2', { id: 'vote-h', text: 'Your sealed vote' }),
        h('p', { class: 'rule', id: 'vote-rule', text: ruleText(page, current) }),
        h('p', {
          class: 'muted',
          text: 'Nobody sees any vote until the voting closes. You can change your vote until then; the voting closes at its deadline, or as soon as every seated arbiter has voted.',
        }),
        myVote,
        voteForm(page, current),
      ),
    );
  } else if (current.youSit && current.phase === 'evidence') {
    sections.push(
      h(
        'section',
        { class: 'card' },
        h('h2', { text: 'Your sealed vote' }),
        h('p', {
          class: 'muted',
          text: `Voting opens when the evidence phase ends (${when(current.evidenceEndsAt)}).`,
        }),
        h('p', { class: 'rule', id: 'vote-rule', text: ruleText(page, current) }),
      ),
    );
  }
  sections.push(afterCloseSection(page, current));
  if (page.rounds.some((r) => r.result !== null)) sections.push(attestationSection(page));
  show(title, ...sections);
}

// ---- routing --------------------------------------------------------------------------------------

async function ensureSession(): Promise<boolean> {
  try {
    const me = await api<Me>('GET', '/me');
    csrfToken = me.csrfToken;
    setUser(me);
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return false;
    throw e;
  }
}

async function route(): Promise<void> {
  const hash = location.hash.replace(/^#/, '');
  try {
    const invite = /^invite=([A-Za-z0-9_-]{43})$/.exec(hash);
    if (invite?.[1] !== undefined) return await inviteView(invite[1]);
    if (!(await ensureSession())) return loginView();
    const dispute = /^dispute\/(\d{1,15})$/.exec(hash);
    if (dispute?.[1] !== undefined) return await disputeView(Number(dispute[1]));
    if (hash !== 'queue') {
      history.replaceState(null, '', '#queue');
    }
    return await queueView();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return loginView();
    show(
      'Something went wrong',
      h('p', { class: 'error', role: 'alert', text: errorText(e) }),
      h('p', {}, h('a', { href: '#queue', text: 'Back to your disputes' })),
    );
  }
}

logoutButton.addEventListener('click', () => {
  api<undefined>('POST', '/logout').then(
    () => {
      csrfToken = '';
      location.hash = '#login';
    },
    (e: unknown) => announce(errorText(e)),
  );
});
window.addEventListener('hashchange', () => void route());
void route();
