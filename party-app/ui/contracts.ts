/** The Contracts screen: every contract this party belongs to, with where each milestone is. */
import { api, debounce, onLive } from './api.ts';
import { button, h, sat, show } from './dom.ts';
import { go, rerender } from './router.ts';
import type { ContractSummary, Role } from './types.ts';

const AGREEMENT_WORDS = { pending: 'has not answered', accepted: 'accepted', declined: 'declined' };

/** Where a milestone stands, in a few words, from the oracle's status and the local DLC's state. */
export function milestoneWords(status: string | null, dlcState: string | null): string {
  if (dlcState === 'settled') return 'settled';
  if (dlcState === 'refunded') return 'refunded';
  if (status === 'attested') return 'decided';
  if (status === 'disputed') return 'in dispute';
  if (status === 'delivered') return 'delivered, in review';
  if (dlcState === 'confirmed' || dlcState === 'broadcast') return 'funded';
  if (dlcState !== null) return `funding (${dlcState})`;
  return 'not funded';
}

const other = (r: Role): Role => (r === 'client' ? 'freelancer' : 'client');

export async function contractsScreen(): Promise<void> {
  const { contracts } = await api<{ contracts: ContractSummary[] }>('GET', '/api/contracts');
  const list = h('ul', { id: 'contract-list', class: 'cards' });
  for (const c of contracts) {
    const total = c.milestones.reduce((t, m) => t + BigInt(m.amountSat), 0n);
    const them = c.agreement[other(c.role)];
    list.append(
      h(
        'li',
        {},
        h(
          'a',
          { href: `#/contract/${encodeURIComponent(c.contractId)}`, class: 'card-link' },
          c.title ?? `Contract ${c.contractId}`,
        ),
        h(
          'p',
          { class: 'muted' },
          `You are the ${c.role} · ${c.counterparty.name} (${c.counterparty.id}) ${AGREEMENT_WORDS[them]} · ${sat(total)}`,
        ),
        h(
          'ol',
          { class: 'mini' },
          ...c.milestones.map((m) =>
            h('li', {}, `${m.title}: ${sat(m.amountSat)}, ${milestoneWords(m.status, m.dlcState)}`),
          ),
        ),
        c.oracleError === undefined
          ? null
          : h(
              'p',
              { class: 'error' },
              `The oracle did not answer: ${typeof c.oracleError === 'string' ? c.oracleError : c.oracleError.message}`,
            ),
      ),
    );
  }
  show(
    h(
      'section',
      { 'aria-label': 'contracts' },
      h('h1', {}, 'Contracts'),
      contracts.length === 0
        ? h(
            'p',
            { class: 'muted', id: 'no-contracts' },
            'No contract yet. Make one, or open an invitation someone sent you.',
          )
        : list,
      h(
        'div',
        { class: 'row' },
        button('New contract', () => go('new')),
        button('Open an invitation', () => go('invite'), { class: 'secondary' }),
      ),
    ),
  );
  const refresh = debounce(() => void rerender());
  onLive((e) => {
    if (e.kind === 'contracts' || e.kind === 'contract') refresh();
  });
}
