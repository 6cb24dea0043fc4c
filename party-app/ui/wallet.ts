/**
 * The wallet's screens: create (24 words shown once, three asked back) or restore, unlock, and
 * the wallet itself (balance, receive with a QR code, withdraw after a review, history).
 */
import { api, debounce, messageOf, onLive, stopLive } from './api.ts';
import { button, errorLine, field, focusFirstField, h, qr, sat, show, valueOf } from './dom.ts';
import { go, rerender } from './router.ts';
import type { Status } from './types.ts';

/** A form of text fields; the error in words under its button. */
function form(
  title: string,
  fields: { id: string; label: string; type?: string; autocomplete?: string }[],
  submit: string,
  onSubmit: (values: Record<string, string>) => Promise<void>,
  heading: 'h1' | 'h2' = 'h1',
): HTMLElement {
  const err = errorLine('error');
  const f = h('form', { novalidate: true });
  for (const x of fields)
    f.append(
      field(x.id, x.label, {
        ...(x.type === undefined ? {} : { type: x.type }),
        ...(x.autocomplete === undefined ? {} : { autocomplete: x.autocomplete }),
      }),
    );
  const go = h('button', { type: 'submit' }, submit);
  f.append(go, err);
  f.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const values: Record<string, string> = {};
    for (const x of fields) values[x.id] = valueOf(f, x.id);
    err.textContent = '';
    go.disabled = true;
    onSubmit(values).then(
      () => {
        go.disabled = false;
      },
      (e: unknown) => {
        go.disabled = false;
        err.textContent = messageOf(e);
      },
    );
  });
  return h('section', {}, h(heading, {}, title), f);
}

export function trustSection(s: Status): HTMLElement {
  return h(
    'section',
    { 'aria-label': 'what this app talks to' },
    h('h2', {}, 'What this app talks to'),
    h(
      'dl',
      {},
      h('dt', {}, 'Network'),
      h('dd', {}, s.node.network ?? '—'),
      h('dt', {}, 'Bitcoin node'),
      h('dd', { class: 'mono' }, s.node.error ?? `${s.node.label} (block ${s.node.height ?? '?'})`),
      h('dt', {}, 'Oracle'),
      h('dd', { class: 'mono' }, s.oracle === null ? 'none configured' : s.oracle.url),
      h('dt', {}, 'Oracle key'),
      h('dd', { class: 'mono', id: 'oracle-key' }, s.oracle?.publicKey ?? s.oracle?.error ?? '—'),
      h('dt', {}, 'Data dir'),
      h('dd', { class: 'mono' }, s.dataDir),
    ),
    h(
      'p',
      { class: 'muted' },
      'Your keys stay in this process on your machine. Check that the oracle key is the one written in your contract terms.',
    ),
  );
}

export function startScreen(s: Status): void {
  const create = form(
    'Create a wallet',
    [
      {
        id: 'passphrase',
        label: 'Passphrase (encrypts the wallet on this machine)',
        type: 'password',
        autocomplete: 'new-password',
      },
      {
        id: 'passphrase2',
        label: 'Passphrase again',
        type: 'password',
        autocomplete: 'new-password',
      },
    ],
    'Create',
    async (v) => {
      if (v['passphrase'] !== v['passphrase2']) throw new Error('the two passphrases differ');
      const r = await api<{ words: string[]; confirm: number[] }>('POST', '/api/wallet/create', {
        passphrase: v['passphrase'],
      });
      wordsScreen(r.words, r.confirm);
    },
  );
  const restore = form(
    'Or restore one',
    [
      { id: 'mnemonic', label: 'Your 24 words' },
      {
        id: 'rpassphrase',
        label: 'A passphrase for this machine',
        type: 'password',
        autocomplete: 'new-password',
      },
    ],
    'Restore',
    async (v) => {
      await api('POST', '/api/wallet/restore', {
        mnemonic: v['mnemonic'],
        passphrase: v['rpassphrase'],
      });
      await rerender();
    },
    'h2',
  );
  show(create, restore, trustSection(s));
  focusFirstField();
}

function wordsScreen(words: string[], confirm: number[]): void {
  const list = h('ol', { class: 'words', id: 'words' }, ...words.map((w) => h('li', {}, w)));
  show(
    h(
      'section',
      {},
      h('h1', {}, 'Your 24 words'),
      h(
        'p',
        {},
        'Write them down, in order, on paper. They are your wallet: anyone with them can take your coins, and without them a lost machine cannot be restored. They are shown once.',
      ),
      list,
      button('I have written them down', () => confirmScreen(confirm), { id: 'written' }),
    ),
  );
}

function confirmScreen(confirm: number[]): void {
  show(
    form(
      'Check what you wrote',
      confirm.map((n, i) => ({ id: `w${i}`, label: `Word ${n}` })),
      'Confirm',
      async (v) => {
        await api('POST', '/api/wallet/confirm', {
          words: confirm.map((_, i) => v[`w${i}`] ?? ''),
        });
        await rerender();
      },
    ),
  );
  focusFirstField();
}

export function unlockScreen(s: Status): void {
  show(
    form(
      'Unlock your wallet',
      [
        {
          id: 'passphrase',
          label: 'Passphrase',
          type: 'password',
          autocomplete: 'current-password',
        },
      ],
      'Unlock',
      async (v) => {
        await api('POST', '/api/wallet/unlock', { passphrase: v['passphrase'] });
        await rerender();
      },
    ),
    trustSection(s),
  );
  focusFirstField();
}

interface Payment {
  txid: string;
  broadcast: boolean;
  amountSat: string;
  feeSat: string;
  changeSat: string;
  vsize: number;
}

/** Withdraw: the payment is built and shown (amount, fee) before anything is sent. */
function sendSection(onSent: (message: string) => void): HTMLElement {
  const review = h('div', { id: 'send-review', 'aria-live': 'polite' });
  let pending: Record<string, string> | undefined;
  const body = (v: Record<string, string>, dryRun: boolean) => ({
    address: v['to'] ?? '',
    amount:
      (v['amount'] ?? '').trim().toLowerCase() === 'all'
        ? 'all'
        : (v['amount'] ?? '').replace(/[\s\u2009,]/g, ''),
    feeRateSatPerVb: (v['feerate'] ?? '').trim(),
    dryRun,
  });
  const f = form(
    'Withdraw',
    [
      { id: 'to', label: 'To address' },
      { id: 'amount', label: 'Amount in sat (or "all")' },
      { id: 'feerate', label: 'Fee rate (sat/vB)' },
    ],
    'Review',
    async (v) => {
      const r = await api<Payment>('POST', '/api/wallet/send', body(v, true));
      pending = v;
      const err = errorLine();
      const confirm = button(
        'Send now',
        () => {
          if (pending === undefined) return;
          confirm.disabled = true;
          api<Payment>('POST', '/api/wallet/send', body(pending, false)).then(
            (sent) => {
              pending = undefined;
              onSent(`Sent ${sat(sent.amountSat)}: transaction ${sent.txid}`);
            },
            (e: unknown) => {
              confirm.disabled = false;
              err.textContent = messageOf(e);
            },
          );
        },
        { id: 'send-confirm' },
      );
      review.replaceChildren(
        h(
          'p',
          { id: 'send-summary' },
          `${sat(r.amountSat)} to ${v['to'] ?? ''}, fee ${sat(r.feeSat)} (${r.vsize} vB)` +
            (BigInt(r.changeSat) > 0n ? `, ${sat(r.changeSat)} back to this wallet` : ''),
        ),
        confirm,
        err,
      );
      confirm.focus();
    },
    'h2',
  );
  f.append(review);
  return f;
}

const KIND_WORDS: Record<string, string> = {
  receive: 'received',
  send: 'sent',
  sweep: 'swept',
  dlc_funding: 'locked in a contract',
  dlc_payout: 'paid by a contract',
  dlc_refund: 'refunded by a contract',
  dlc_cpfp: 'fee bump',
};

interface HistoryEntry {
  kind: string;
  direction: string;
  txid: string;
  amountSat: string;
  status: string;
  milestone?: number;
  verdictContract?: string;
}

async function historyList(): Promise<HTMLElement> {
  const hist = await api<{ entries: HistoryEntry[] }>('GET', '/api/wallet/history');
  const list = h('ul', { id: 'history', class: 'plain' });
  for (const e of hist.entries) {
    const what = KIND_WORDS[e.kind] ?? e.kind;
    const where =
      e.verdictContract === undefined
        ? ''
        : ` (contract ${e.verdictContract}, milestone ${(e.milestone ?? 0) + 1})`;
    list.append(
      h(
        'li',
        {},
        `${e.direction === 'in' ? '+' : '−'}${sat(e.amountSat)} ${what}${where} · ${e.status} · `,
        h('span', { class: 'mono' }, e.txid.slice(0, 16) + '…'),
      ),
    );
  }
  if (hist.entries.length === 0) list.append(h('li', { class: 'muted' }, 'nothing yet'));
  return list;
}

interface WalletInfo {
  network: string;
  balanceSat: string;
  contractsOpen: number;
  pendingSat?: string;
  lockedSat?: string;
}

function balanceLines(w: WalletInfo): Node[] {
  const parts = [`confirmed`];
  if (w.pendingSat !== undefined && BigInt(w.pendingSat) !== 0n)
    parts.push(`${sat(w.pendingSat)} pending`);
  if (w.lockedSat !== undefined) parts.push(`${sat(w.lockedSat)} locked in contracts`);
  parts.push(`${w.contractsOpen} contract(s) open`, w.network);
  return [
    h('p', { class: 'balance', id: 'balance' }, sat(w.balanceSat)),
    h('p', { class: 'muted', id: 'balance-detail' }, parts.join(' · ')),
  ];
}

/** A message for the next render (what was just sent). */
let flash: string | undefined;

export async function walletScreen(s: Status): Promise<void> {
  const w = await api<WalletInfo>('GET', '/api/wallet');
  const balance = h('div', { id: 'balance-box' }, ...balanceLines(w));
  const address = h('div', { id: 'receive-box', 'aria-live': 'polite' });
  const receive = button(
    'Show a receive address',
    (b) => {
      b.disabled = true;
      api<{ address: string }>('POST', '/api/wallet/address').then(
        (r) => {
          b.disabled = false;
          address.replaceChildren(
            h('p', { class: 'mono', id: 'address' }, r.address),
            qr(`bitcoin:${r.address}`, `QR code of the address ${r.address}`),
          );
        },
        (e: unknown) => {
          b.disabled = false;
          address.replaceChildren(h('p', { class: 'error', role: 'alert' }, messageOf(e)));
        },
      );
    },
    { id: 'receive' },
  );
  const lock = button(
    'Lock',
    () => {
      stopLive();
      void api('POST', '/api/wallet/lock').then(rerender);
    },
    { class: 'secondary', id: 'lock' },
  );
  const descriptors = h(
    'details',
    {},
    h('summary', {}, 'Watch this wallet from Bitcoin Core or Sparrow'),
  );
  descriptors.addEventListener(
    'toggle',
    () => {
      void api<{ receive: string; change: string }>('GET', '/api/wallet/descriptor').then((d) => {
        descriptors.append(
          h('p', { class: 'muted' }, 'Descriptors (watch-only; importdescriptors in Core):'),
          h('p', { class: 'mono', id: 'descriptor-receive' }, d.receive),
          h('p', { class: 'mono' }, d.change),
        );
      });
    },
    { once: true },
  );
  const notice =
    flash === undefined ? null : h('p', { id: 'notice', role: 'status', class: 'mono' }, flash);
  flash = undefined;
  const history = h(
    'section',
    { 'aria-label': 'history' },
    h('h2', {}, 'History'),
    await historyList(),
  );
  show(
    ...(notice === null ? [] : [notice]),
    h(
      'section',
      { 'aria-label': 'wallet' },
      h('h1', {}, 'Wallet'),
      balance,
      receive,
      address,
      descriptors,
      h(
        'div',
        { class: 'row' },
        lock,
        button('Your contracts', () => go('contracts'), { class: 'secondary' }),
      ),
    ),
    sendSection((message) => {
      flash = message;
      void rerender();
    }),
    history,
    trustSection(s),
  );
  // Live: a payment in or out, a payout, a refund: the balance and the history follow.
  const refresh = debounce(() => {
    // Locked meanwhile (here or in another tab): the full render shows the unlock screen.
    void api<Status>('GET', '/api/status')
      .then(async (now) => {
        if (now.wallet !== 'unlocked') return rerender();
        const [x, l] = await Promise.all([api<WalletInfo>('GET', '/api/wallet'), historyList()]);
        balance.replaceChildren(...balanceLines(x));
        history.querySelector('#history')?.replaceWith(l);
      })
      .catch(rerender);
  });
  onLive((e) => {
    if (e.kind === 'wallet' || e.kind === 'contract' || e.kind === 'activity') refresh();
  });
  // A payment from outside raises no event: look again every 10 s while this screen is shown.
  const every = setInterval(() => {
    if (!balance.isConnected) clearInterval(every);
    else refresh();
  }, 10_000);
}
