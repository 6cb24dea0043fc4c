/**
 * The parties' app in the browser: plain TypeScript, no framework. It never sees a key: the
 * wallet lives in the party's own `verdict app` process; this page only calls its API with the
 * session cookie it got for the one-time secret in the URL fragment.
 */

interface Status {
  wallet: 'none' | 'locked' | 'unlocked';
  dataDir: string;
  node: { label: string; height?: number; network?: string; error?: string };
  oracle: { url: string; publicKey?: string; error?: string } | null;
}

class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function api<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as T & { error?: { code: string; message: string } };
  if (!res.ok)
    throw new ApiError(json.error?.code ?? 'error', json.error?.message ?? res.statusText);
  return json;
}

const main = document.getElementById('main') as HTMLElement;
const where = document.getElementById('where') as HTMLElement;

/** Builds an element: `el('p', { class: 'muted' }, 'text', child)`. Text is never parsed as HTML. */
function el(
  tag: string,
  attrs: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

function show(...nodes: Node[]): void {
  main.replaceChildren(...nodes);
  const first = main.querySelector<HTMLElement>('input, button');
  first?.focus();
}

function errorLine(): HTMLElement {
  return el('p', { class: 'error', role: 'alert', id: 'error' });
}

function form(
  title: string,
  fields: { id: string; label: string; type?: string; autocomplete?: string }[],
  submit: string,
  onSubmit: (values: Record<string, string>) => Promise<void>,
  extra: Node[] = [],
): HTMLElement {
  const err = errorLine();
  const f = el('form', { novalidate: '' });
  for (const x of fields) {
    f.append(
      el('label', { for: x.id }, x.label),
      el('input', {
        id: x.id,
        name: x.id,
        type: x.type ?? 'text',
        autocomplete: x.autocomplete ?? 'off',
      }),
    );
  }
  f.append(el('button', { type: 'submit' }, submit), err);
  f.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const values: Record<string, string> = {};
    for (const x of fields) values[x.id] = (f.querySelector(`#${x.id}`) as HTMLInputElement).value;
    err.textContent = '';
    onSubmit(values).catch((e: unknown) => {
      err.textContent = e instanceof Error ? e.message : String(e);
    });
  });
  return el('section', {}, el('h1', {}, title), ...extra, f);
}

function networkLine(s: Status): void {
  const net = s.node.network ?? 'unknown network';
  where.textContent =
    s.node.error === undefined
      ? `${net} · node ${s.node.label} · block ${s.node.height ?? '?'}`
      : `node ${s.node.label} unreachable`;
}

function trustSection(s: Status): HTMLElement {
  return el(
    'section',
    { 'aria-label': 'what this app talks to' },
    el('h2', {}, 'What this app talks to'),
    el(
      'dl',
      {},
      el('dt', {}, 'Network'),
      el('dd', {}, s.node.network ?? '—'),
      el('dt', {}, 'Bitcoin node'),
      el(
        'dd',
        { class: 'mono' },
        s.node.error ?? `${s.node.label} (block ${s.node.height ?? '?'})`,
      ),
      el('dt', {}, 'Oracle'),
      el('dd', { class: 'mono' }, s.oracle === null ? 'none configured' : s.oracle.url),
      el('dt', {}, 'Oracle key'),
      el('dd', { class: 'mono', id: 'oracle-key' }, s.oracle?.publicKey ?? s.oracle?.error ?? '—'),
      el('dt', {}, 'Data dir'),
      el('dd', { class: 'mono' }, s.dataDir),
    ),
    el(
      'p',
      { class: 'muted' },
      'Your keys stay in this process on your machine. Check that the oracle key is the one written in your contract terms.',
    ),
  );
}

async function render(): Promise<void> {
  const s = await api<Status>('GET', '/api/status');
  networkLine(s);
  if (s.wallet === 'none') return startScreen(s);
  if (s.wallet === 'locked') return unlockScreen(s);
  return walletScreen(s);
}

function startScreen(s: Status): void {
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
      await render();
    },
  );
  show(create, restore, trustSection(s));
}

function wordsScreen(words: string[], confirm: number[]): void {
  const list = el('ol', { class: 'words', id: 'words' }, ...words.map((w) => el('li', {}, w)));
  const next = el('button', { type: 'button', id: 'written' }, 'I have written them down');
  next.addEventListener('click', () => confirmScreen(confirm));
  show(
    el(
      'section',
      {},
      el('h1', {}, 'Your 24 words'),
      el(
        'p',
        {},
        'Write them down, in order, on paper. They are your wallet: anyone with them can take your coins, and without them a lost machine cannot be restored. They are shown once.',
      ),
      list,
      next,
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
        await render();
      },
    ),
  );
}

function unlockScreen(s: Status): void {
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
        await render();
      },
    ),
    trustSection(s),
  );
}

const satText = (v: string | bigint): string =>
  BigInt(v).toLocaleString('en-US').replace(/,/g, ' ') + ' sat';

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
  const review = el('div', { id: 'send-review', 'aria-live': 'polite' });
  let pending: Record<string, string> | undefined;
  const body = (v: Record<string, string>, dryRun: boolean) => ({
    address: v['to'] ?? '',
    amount: (v['amount'] ?? '').trim().toLowerCase() === 'all' ? 'all' : (v['amount'] ?? '').trim(),
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
      const confirm = el('button', { type: 'button', id: 'send-confirm' }, 'Send now');
      confirm.addEventListener('click', () => {
        if (pending === undefined) return;
        confirm.setAttribute('disabled', '');
        api<Payment>('POST', '/api/wallet/send', body(pending, false)).then(
          (sent) => {
            pending = undefined;
            onSent(`Sent ${satText(sent.amountSat)}: transaction ${sent.txid}`);
          },
          (e: unknown) => {
            review.replaceChildren(
              el(
                'p',
                { class: 'error', role: 'alert' },
                e instanceof Error ? e.message : String(e),
              ),
            );
          },
        );
      });
      review.replaceChildren(
        el(
          'p',
          { id: 'send-summary' },
          `${satText(r.amountSat)} to ${v['to'] ?? ''}, fee ${satText(r.feeSat)} (${r.vsize} vB)` +
            (BigInt(r.changeSat) > 0n ? `, ${satText(r.changeSat)} back to this wallet` : ''),
        ),
        confirm,
      );
    },
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

async function historySection(): Promise<HTMLElement> {
  const h = await api<{
    entries: {
      kind: string;
      direction: string;
      txid: string;
      amountSat: string;
      status: string;
      milestone?: number;
      verdictContract?: string;
    }[];
  }>('GET', '/api/wallet/history');
  const list = el('ul', { id: 'history' });
  for (const e of h.entries) {
    const what = KIND_WORDS[e.kind] ?? e.kind;
    const where =
      e.verdictContract === undefined
        ? ''
        : ` (contract ${e.verdictContract}, milestone ${(e.milestone ?? 0) + 1})`;
    list.append(
      el(
        'li',
        {},
        `${e.direction === 'in' ? '+' : '−'}${satText(e.amountSat)} ${what}${where} · ${e.status} · `,
        el('span', { class: 'mono' }, e.txid.slice(0, 16) + '…'),
      ),
    );
  }
  if (h.entries.length === 0) list.append(el('li', { class: 'muted' }, 'nothing yet'));
  return el('section', { 'aria-label': 'history' }, el('h2', {}, 'History'), list);
}

async function contractsSection(): Promise<HTMLElement> {
  const c = await api<{
    contracts: {
      id: number;
      role: string;
      state: string;
      contractId: string | null;
      terms: { amountSat?: string; title?: string };
    }[];
  }>('GET', '/api/dlcs');
  const list = el('ul', { id: 'contracts' });
  for (const x of c.contracts) {
    list.append(
      el(
        'li',
        {},
        `${x.terms.title ?? `contract ${x.id}`} · ${x.terms.amountSat === undefined ? '' : satText(x.terms.amountSat) + ' · '}${x.state}`,
      ),
    );
  }
  if (c.contracts.length === 0)
    list.append(
      el('li', { class: 'muted' }, 'no contract yet: fund one with "verdict dlc" for now'),
    );
  return el('section', { 'aria-label': 'contracts' }, el('h2', {}, 'Contracts'), list);
}

/** A message for the next render (what was just sent). */
let flash: string | undefined;

async function walletScreen(s: Status): Promise<void> {
  const w = await api<{ network: string; balanceSat: string; contractsOpen: number }>(
    'GET',
    '/api/wallet',
  );
  const address = el('p', { class: 'mono', id: 'address' }, '');
  const receive = el('button', { type: 'button', id: 'receive' }, 'Show a receive address');
  receive.addEventListener('click', () => {
    api<{ address: string }>('POST', '/api/wallet/address').then(
      (r) => {
        address.textContent = r.address;
      },
      (e: unknown) => {
        address.textContent = e instanceof Error ? e.message : String(e);
      },
    );
  });
  const lock = el('button', { type: 'button', class: 'secondary', id: 'lock' }, 'Lock');
  lock.addEventListener('click', () => {
    void api('POST', '/api/wallet/lock').then(render);
  });
  const descriptors = el(
    'details',
    {},
    el('summary', {}, 'Watch this wallet from Bitcoin Core or Sparrow'),
  );
  descriptors.addEventListener(
    'toggle',
    () => {
      void api<{ receive: string; change: string }>('GET', '/api/wallet/descriptor').then((d) => {
        descriptors.append(
          el('p', { class: 'muted' }, 'Descriptors (watch-only; importdescriptors in Core):'),
          el('p', { class: 'mono', id: 'descriptor-receive' }, d.receive),
          el('p', { class: 'mono' }, d.change),
        );
      });
    },
    { once: true },
  );
  const notice =
    flash === undefined ? [] : [el('p', { id: 'notice', role: 'status', class: 'mono' }, flash)];
  flash = undefined;
  const sections: Node[] = [
    ...notice,
    el(
      'section',
      { 'aria-label': 'wallet' },
      el('h1', {}, 'Wallet'),
      el('p', { class: 'balance', id: 'balance' }, satText(w.balanceSat)),
      el('p', { class: 'muted' }, `confirmed · ${w.contractsOpen} contract(s) open · ${w.network}`),
      receive,
      address,
      descriptors,
      lock,
    ),
    sendSection((message) => {
      flash = message;
      void render();
    }),
    await contractsSection(),
    await historySection(),
    trustSection(s),
  ];
  show(...sections);
}

async function start(): Promise<void> {
  const secret = location.hash.slice(1);
  if (secret !== '') {
    // The fragment never reaches a server or a log; drop it from the address bar and history.
    history.replaceState(null, '', '/');
    await api('POST', '/api/session', { secret });
  }
  await render();
}

start().catch((e: unknown) => {
  const code = e instanceof ApiError ? e.code : 'error';
  show(
    el(
      'section',
      {},
      el(
        'h1',
        {},
        code === 'no_session' || code === 'invalid_secret'
          ? 'Open your own link'
          : 'Something went wrong',
      ),
      el(
        'p',
        { class: 'error', role: 'alert', id: 'error' },
        e instanceof Error ? e.message : String(e),
      ),
    ),
  );
});
