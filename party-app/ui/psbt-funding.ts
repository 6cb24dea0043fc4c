/**
 * "Fund from another wallet (PSBT)" for one milestone (issue 15 §2): the client brings its coins
 * from Bitcoin Core, Sparrow or a hardware wallet instead of the Verdict wallet, as
 * `verdict dlc offer --funding-psbt` / `verdict dlc sign --signed-psbt` do (docs/wallet.md,
 * "Funding from Core or Sparrow"; docs/parties-app-funding.md).
 *
 * Self-contained (its own DOM and fetch helpers) so that any screen can mount it:
 *
 * ```ts
 * import { psbtFundingPanel } from './psbt-funding.ts';
 * const panel = psbtFundingPanel({
 *   contractId, milestone: 0, role: 'client', job,            // job: GET …/fund's `job`, or null
 *   qrUrl: (t) => `/api/qr?text=${encodeURIComponent(t)}`,   // omit while /api/qr does not exist
 *   onJob: (job) => refresh(),                               // after a POST answered a job
 * });
 * container.append(panel.element);
 * // on every `funding` event of this milestone (or a refetch):
 * panel.update(event.data);
 * ```
 *
 * Stage 1 (no job, or a failed one): the external wallet's PSBT (file or pasted), "Fund with this
 * PSBT" → `POST …/fund {fundingPsbt}`. Stage 2 (the job waits in `waiting_signed_psbt`): a
 * download link of the funding PSBT (a Blob, the binary BIP174 file), the same in base64 to copy,
 * its QR where it fits and `qrUrl` is given, and the signed PSBT (file or pasted) → `POST
 * …/fund/signed-psbt {psbt}`; a refusal is shown in words and the job keeps waiting.
 */

/** The fields of the funding job (`party-app/funding.ts` `FundingJobView`) this panel reads. */
export interface PsbtFundingJob {
  readonly state: 'running' | 'done' | 'failed';
  readonly step: string;
  readonly steps: readonly string[];
  readonly note: string | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  readonly fundingTxid: string | null;
  /** The unsigned funding PSBT (base64) while the job waits for it signed. */
  readonly psbt: string | null;
}

export interface PsbtFundingOptions {
  readonly contractId: string;
  readonly milestone: number;
  /** This party's role: only the client brings coins (the app's milestones are single-funded). */
  readonly role: 'client' | 'freelancer';
  /** The milestone's funding job now, or null. */
  readonly job: PsbtFundingJob | null;
  /** The fee rate to fund at (whole sat/vB as a string); the server's default otherwise. */
  readonly feeRateSatPerVb?: string;
  /** A QR image URL for a text (`/api/qr?text=…`); without it no QR is shown. */
  readonly qrUrl?: (text: string) => string;
  /** Called with the job a POST answered (the page may refetch the contract). */
  readonly onJob?: (job: PsbtFundingJob) => void;
}

export interface PsbtFundingPanel {
  /** A `<details>` disclosure, closed until the job waits for the signed PSBT. */
  readonly element: HTMLDetailsElement;
  /** Re-renders for the milestone's job (a `funding` event's `data`, or a refetch). */
  update(job: PsbtFundingJob | null): void;
}

/** The longest text the QR route takes (`GET /api/qr?text=`, at most 2000 characters). */
const QR_MAX_CHARS = 2000;
const PSBT_MAGIC = [0x70, 0x73, 0x62, 0x74, 0xff];
const MAX_PSBT_BYTES = 1024 * 1024;

function h(tag: string, attrs: Record<string, string> = {}, ...children: (Node | string)[]) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

function base64Of(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function bytesOfBase64(text: string): Uint8Array {
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** A PSBT file as text the server reads: a binary file in base64, a text file as it is. */
async function psbtTextOfFile(file: File): Promise<string> {
  if (file.size > MAX_PSBT_BYTES * 2) throw new Error('this file is too large for a PSBT');
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (PSBT_MAGIC.every((b, i) => bytes[i] === b)) return base64Of(bytes);
  return new TextDecoder().decode(bytes).trim();
}

async function post(path: string, body: unknown): Promise<PsbtFundingJob> {
  const res = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as {
    job?: PsbtFundingJob;
    error?: { code: string; message: string };
  };
  if (!res.ok || json.job === undefined)
    throw new Error(json.error?.message ?? `the app answered ${res.status}`);
  return json.job;
}

/**
 * A PSBT input: a file chooser and a textarea (paste base64 or hex); `read()` gives the text,
 * or throws in words when there is none.
 */
function psbtInput(id: string, label: string): { nodes: Node[]; read(): Promise<string> } {
  const file = h('input', { id: `${id}-file`, type: 'file', accept: '.psbt,.txt,text/plain' });
  const text = h('textarea', {
    id: `${id}-text`,
    rows: '4',
    spellcheck: 'false',
    autocomplete: 'off',
    class: 'mono',
    placeholder: 'cHNidP8B… (base64) or 70736274ff… (hex)',
  }) as HTMLTextAreaElement;
  return {
    nodes: [
      h('label', { for: `${id}-file` }, `${label}: its file`),
      file,
      h('label', { for: `${id}-text` }, 'or paste it'),
      text,
    ],
    async read() {
      const chosen = (file as HTMLInputElement).files?.[0];
      const value = chosen !== undefined ? await psbtTextOfFile(chosen) : text.value.trim();
      if (value === '') throw new Error('choose the PSBT file or paste the PSBT first');
      return value;
    },
  };
}

/**
 * The "Fund from another wallet (PSBT)" disclosure of one milestone; see the module comment for
 * how to mount it and feed it the job.
 */
export function psbtFundingPanel(o: PsbtFundingOptions): PsbtFundingPanel {
  const base = `/api/contracts/${encodeURIComponent(o.contractId)}/milestones/${o.milestone}/fund`;
  const element = h('details', { class: 'psbt-funding' }) as HTMLDetailsElement;
  const summary = h('summary', {}, 'Fund from another wallet (PSBT)');
  const body = h('div');
  element.append(summary, body);
  let objectUrl: string | undefined;
  let shownKey: string | null = null;
  /** While a POST is out, the job's steps in between (checking the PSBT) do not re-render. */
  let submitting = false;

  const errorLine = () => h('p', { class: 'error', role: 'alert' });
  const busy = async (
    button: HTMLElement,
    err: HTMLElement,
    action: () => Promise<void>,
  ): Promise<void> => {
    button.setAttribute('disabled', '');
    err.textContent = '';
    submitting = true;
    try {
      await action();
    } catch (e) {
      err.textContent = e instanceof Error ? e.message : String(e);
    } finally {
      submitting = false;
      button.removeAttribute('disabled');
    }
  };
  const answered = (job: PsbtFundingJob): void => {
    submitting = false;
    update(job);
    o.onJob?.(job);
  };

  function startStage(job: PsbtFundingJob | null): Node[] {
    const input = psbtInput(`psbt-fund-${o.milestone}`, 'The PSBT made by your other wallet');
    const err = errorLine();
    const button = h('button', { type: 'submit' }, 'Fund with this PSBT');
    const form = h(
      'form',
      { novalidate: '' },
      h(
        'p',
        { class: 'muted' },
        'In Bitcoin Core (walletcreatefundedpsbt) or Sparrow (Send → Create Transaction → Save ' +
          'Transaction, unsigned), pay the milestone amount plus about 10 000 sat for fees to ' +
          'any address that is not that wallet’s own. Verdict uses only its coins and its change ' +
          'output, and computes the exact change itself. Your Verdict wallet’s coins are not touched.',
      ),
      ...input.nodes,
      button,
      err,
    );
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void busy(button, err, async () => {
        const fundingPsbt = await input.read();
        answered(
          await post(base, {
            fundingPsbt,
            ...(o.feeRateSatPerVb === undefined ? {} : { feeRateSatPerVb: o.feeRateSatPerVb }),
          }),
        );
      });
    });
    const nodes: Node[] = [];
    if (job?.state === 'failed' && job.error !== null)
      nodes.push(h('p', { class: 'error' }, `The last try failed: ${job.error.message}`));
    nodes.push(form);
    return nodes;
  }

  function waitingStage(job: PsbtFundingJob, psbt: string): Node[] {
    if (objectUrl !== undefined) URL.revokeObjectURL(objectUrl);
    const bytes = bytesOfBase64(psbt);
    objectUrl = URL.createObjectURL(
      new Blob([bytes.buffer as ArrayBuffer], { type: 'application/octet-stream' }),
    );
    const name = `verdict-${o.contractId}-m${o.milestone}-funding.psbt`;
    const nodes: Node[] = [
      h(
        'p',
        {},
        'The funding transaction is agreed. Sign it with your other wallet (Core: ' +
          'walletprocesspsbt; Sparrow: File → Open Transaction, Sign, then Save), then hand ' +
          'back what it signed. Nothing is broadcast until the signed PSBT checks out.',
      ),
    ];
    if (job.fundingTxid !== null)
      nodes.push(h('p', { class: 'muted mono' }, `funding txid ${job.fundingTxid}`));
    nodes.push(
      h('p', {}, h('a', { href: objectUrl, download: name }, 'Download the funding PSBT')),
      h('label', { for: `psbt-unsigned-${o.milestone}` }, 'The funding PSBT (base64), to copy'),
      h(
        'textarea',
        {
          id: `psbt-unsigned-${o.milestone}`,
          rows: '4',
          readonly: '',
          spellcheck: 'false',
          class: 'mono',
        },
        psbt,
      ),
    );
    if (o.qrUrl !== undefined && psbt.length <= QR_MAX_CHARS)
      nodes.push(
        h('img', {
          src: o.qrUrl(psbt),
          alt: 'QR code of the funding PSBT (base64)',
          class: 'qr',
          width: '280',
          height: '280',
        }),
      );
    else if (o.qrUrl !== undefined)
      nodes.push(
        h('p', { class: 'muted' }, 'This PSBT is too long for one QR code: use the file.'),
      );
    const input = psbtInput(`psbt-signed-${o.milestone}`, 'The signed PSBT');
    const err = errorLine();
    const button = h('button', { type: 'submit' }, 'Hand back the signed PSBT');
    const form = h('form', { novalidate: '' }, ...input.nodes, button, err);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void busy(button, err, async () => {
        answered(await post(`${base}/signed-psbt`, { psbt: await input.read() }));
      });
    });
    nodes.push(form);
    return nodes;
  }

  function update(job: PsbtFundingJob | null): void {
    if (submitting) return;
    const waiting = job?.step === 'waiting_signed_psbt' && job.psbt !== null;
    // Re-rendering would clear what the person typed: only when the stage changes.
    const key = waiting ? job.psbt : `${job?.state ?? 'none'}:${job?.step ?? ''}`;
    if (key === shownKey) return;
    shownKey = key;
    if (!waiting && objectUrl !== undefined) {
      URL.revokeObjectURL(objectUrl);
      objectUrl = undefined;
    }
    if (o.role !== 'client') {
      body.replaceChildren(
        h(
          'p',
          { class: 'muted' },
          'The client locks this milestone’s amount; as the freelancer you bring no coins.',
        ),
      );
      return;
    }
    if (waiting) {
      body.replaceChildren(...waitingStage(job, job.psbt));
      element.open = true;
    } else if (job === null || job.state === 'failed') body.replaceChildren(...startStage(job));
    else if (job.state === 'done')
      body.replaceChildren(h('p', { class: 'muted' }, 'This milestone is funded.'));
    else
      body.replaceChildren(
        h(
          'p',
          { class: 'muted' },
          job.steps.includes('waiting_signed_psbt')
            ? `Funding from your other wallet: ${job.note ?? job.step}. The funding PSBT appears here when the counterparty has accepted.`
            : 'This milestone is being funded from the Verdict wallet.',
        ),
      );
  }

  update(o.job);
  return { element, update };
}
