/** The terms as a person reads them: per milestone what is due, when, and what each outcome pays. */
import { duration, h, sat, when } from './dom.ts';
import type { MilestonePayouts } from './types.ts';

/** One table per milestone: each outcome and what the client and the freelancer get. */
export function payoutTables(payouts: readonly MilestonePayouts[]): HTMLElement {
  return h(
    'div',
    { class: 'payouts', id: 'payouts' },
    ...payouts.map((m) =>
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          {},
          h('caption', {}, `Milestone ${m.index + 1}: ${m.title} · ${sat(m.amountSat)}`),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h(
                'th',
                { scope: 'col' },
                /^\d+$/.test(m.outcomes[0]?.outcome ?? '') ? 'Share' : 'Outcome',
              ),
              h('th', { scope: 'col', class: 'num' }, 'Client gets'),
              h('th', { scope: 'col', class: 'num' }, 'Freelancer gets'),
            ),
          ),
          h(
            'tbody',
            {},
            ...m.outcomes.map((o) =>
              h(
                'tr',
                {},
                h(
                  'th',
                  { scope: 'row', title: o.label },
                  /^\d+$/.test(o.outcome) ? `${o.outcome}\u00a0%` : o.outcome,
                ),
                h('td', { class: 'num' }, sat(o.clientSat)),
                h('td', { class: 'num' }, sat(o.freelancerSat)),
              ),
            ),
          ),
        ),
        m.note === undefined ? null : h('p', { class: 'muted' }, m.note),
      ),
    ),
  );
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);

function outcomeWords(v: unknown): string {
  if (v === 'accepted') return 'accepted: the freelancer is paid';
  if (v === 'rejected') return 'rejected: the client gets the money back';
  if (typeof v === 'number' || (typeof v === 'string' && /^\d+$/.test(v)))
    return `${String(v)} % to the freelancer`;
  return String(v);
}

/** The terms object (as hashed) in words: parties and milestones. Anything odd shows as is. */
export function termsSummary(terms: Record<string, unknown>): HTMLElement {
  const party = (p: unknown) => {
    const o = (p ?? {}) as Record<string, unknown>;
    return `${str(o['name']) ?? '?'} (${str(o['id']) ?? '?'})`;
  };
  const milestones = Array.isArray(terms['milestones']) ? (terms['milestones'] as unknown[]) : [];
  return h(
    'div',
    { class: 'terms', id: 'terms-summary' },
    h(
      'dl',
      {},
      h('dt', {}, 'Title'),
      h('dd', {}, str(terms['title']) ?? '—'),
      h('dt', {}, 'Client'),
      h('dd', {}, party(terms['client'])),
      h('dt', {}, 'Freelancer'),
      h('dd', {}, party(terms['freelancer'])),
      h('dt', {}, 'Oracle key'),
      h('dd', { class: 'mono' }, str(terms['oraclePublicKey']) ?? '—'),
    ),
    ...milestones.map((raw, i) => {
      const m = (raw ?? {}) as Record<string, unknown>;
      const d = (m['dispute'] ?? {}) as Record<string, unknown>;
      const panel = (d['panel'] ?? {}) as Record<string, unknown>;
      const criteria = Array.isArray(m['acceptanceCriteria'])
        ? (m['acceptanceCriteria'] as unknown[]).map(String)
        : [];
      const deadline = num(m['deliveryDeadline']);
      const review = num(m['reviewWindowSec']);
      return h(
        'article',
        { class: 'milestone-terms' },
        h('h3', {}, `Milestone ${i + 1}: ${str(m['title']) ?? ''}`),
        str(m['description']) === undefined ? null : h('p', {}, str(m['description'])),
        criteria.length === 0
          ? null
          : h('ul', { class: 'criteria' }, ...criteria.map((c) => h('li', {}, c))),
        h(
          'dl',
          {},
          h('dt', {}, 'Amount'),
          h('dd', {}, str(m['amountSat']) === undefined ? '?' : sat(str(m['amountSat']) ?? '0')),
          h('dt', {}, 'Delivery by'),
          h('dd', {}, deadline === undefined ? '?' : when(deadline)),
          h('dt', {}, 'Review window'),
          h('dd', {}, review === undefined ? '?' : duration(review)),
          h('dt', {}, 'Outcome kind'),
          h('dd', {}, m['outcome'] === 'enum' ? 'accepted or rejected' : 'a share, 0-100 %'),
          h('dt', {}, 'If the client is silent'),
          h('dd', {}, outcomeWords(m['defaultOnSilence'])),
          h('dt', {}, 'If nothing is delivered'),
          h('dd', {}, outcomeWords(m['defaultOnNoDelivery'])),
          h('dt', {}, 'Dispute panel'),
          h(
            'dd',
            {},
            Array.isArray(panel['arbiters'])
              ? `arbiters ${(panel['arbiters'] as unknown[]).map(String).join(', ')}`
              : `${num(panel['poolSize']) ?? '?'} arbiters from the pool`,
            `, quorum ${num(d['quorum']) ?? '?'}; evidence ${duration(num(d['evidenceWindowSec']) ?? 0)}, voting ${duration(num(d['votingWindowSec']) ?? 0)}`,
          ),
          h('dt', {}, 'CI'),
          h(
            'dd',
            {},
            m['ci'] === undefined
              ? 'none'
              : (m['ci'] as Record<string, unknown>)['decisive'] === true
                ? 'a passing CI run decides the milestone'
                : 'CI results are evidence only',
          ),
        ),
      );
    }),
  );
}
