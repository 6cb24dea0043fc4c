/**
 * Tiny DOM helpers, text only: every string from the API goes into the page as text, never
 * parsed as HTML. Nothing here writes a `style` attribute (the CSP forbids inline styles).
 */
import { messageOf } from './api.ts';

export type Child = Node | string | null | undefined | false;

/** `h('p', { class: 'muted', id: 'x' }, 'text', child)`; `true` sets an empty attribute. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

const main = (): HTMLElement => document.getElementById('main') as HTMLElement;

/** Replaces the screen; focus goes to its heading so a keyboard user starts at the top. */
export function show(...nodes: Node[]): void {
  main().replaceChildren(...nodes);
  const first = main().querySelector<HTMLElement>('h1');
  if (first !== null) {
    first.tabIndex = -1;
    first.focus({ preventScroll: false });
  }
}

/** The first input or button of the screen, for the forms where typing comes first. */
export function focusFirstField(): void {
  main().querySelector<HTMLElement>('input, textarea, select, button')?.focus();
}

export const errorLine = (id?: string): HTMLElement =>
  h('p', { class: 'error', role: 'alert', ...(id === undefined ? {} : { id }) });

/**
 * Sats with thin spaces (U+2009) between thousands and "sat": `1 234 567 sat`. Where the number
 * sits alone, {@link satEl} keeps it on one line.
 */
export function sat(v: string | bigint | number): string {
  const digits = BigInt(v).toString();
  const neg = digits.startsWith('-');
  const abs = neg ? digits.slice(1) : digits;
  return `${neg ? '−' : ''}${abs.replace(/\B(?=(\d{3})+(?!\d))/g, '\u2009')} sat`;
}

export const satEl = (v: string | bigint | number, attrs: Record<string, string> = {}) =>
  h('span', { class: 'sat', ...attrs }, sat(v));

/** A date in the reader's locale, with its time. */
export const when = (epochSec: number): string =>
  new Date(epochSec * 1000).toLocaleString(undefined, {
    dateStyle: 'medium',
    timeStyle: 'short',
  });

/** "2 days 3 h", "5 min", "now". */
export function duration(sec: number): string {
  if (sec <= 0) return 'now';
  const d = Math.floor(sec / 86_400);
  const hr = Math.floor((sec % 86_400) / 3600);
  const min = Math.floor((sec % 3600) / 60);
  if (d > 0) return hr > 0 ? `${d} day${d > 1 ? 's' : ''} ${hr} h` : `${d} day${d > 1 ? 's' : ''}`;
  if (hr > 0) return min > 0 ? `${hr} h ${min} min` : `${hr} h`;
  return min > 0 ? `${min} min` : `${sec} s`;
}

export const nowSec = (): number => Math.floor(Date.now() / 1000);

export function button(
  text: string,
  onClick: (b: HTMLButtonElement) => void,
  attrs: Record<string, string | boolean | undefined> = {},
): HTMLButtonElement {
  const b = h('button', { type: 'button', ...attrs }, text);
  b.addEventListener('click', () => onClick(b));
  return b;
}

/**
 * Runs an action from a button: disabled while it runs, the error in words into `err`.
 * Resolves after `then` (usually a refetch).
 */
export function act(
  b: HTMLButtonElement | null,
  err: HTMLElement,
  run: () => Promise<unknown>,
): void {
  err.textContent = '';
  if (b !== null) b.disabled = true;
  run().then(
    () => {
      if (b !== null) b.disabled = false;
    },
    (e: unknown) => {
      if (b !== null) b.disabled = false;
      err.textContent = messageOf(e);
    },
  );
}

/** A labelled field; `kind` 'textarea' or 'select' or an input type. */
export function field(
  id: string,
  label: string,
  opts: {
    type?: string;
    value?: string;
    hint?: string;
    autocomplete?: string;
    options?: readonly (readonly [string, string])[];
    textarea?: boolean;
    attrs?: Record<string, string | boolean | undefined>;
  } = {},
): HTMLElement {
  let input: HTMLElement;
  const hintId = opts.hint === undefined ? undefined : `${id}-hint`;
  const common = { id, name: id, 'aria-describedby': hintId, ...(opts.attrs ?? {}) };
  if (opts.options !== undefined) {
    const s = h('select', common, ...opts.options.map(([v, t]) => h('option', { value: v }, t)));
    if (opts.value !== undefined) s.value = opts.value;
    input = s;
  } else if (opts.textarea === true) {
    const t = h('textarea', { rows: '3', ...common });
    t.value = opts.value ?? '';
    input = t;
  } else {
    const i = h('input', {
      type: opts.type ?? 'text',
      autocomplete: opts.autocomplete ?? 'off',
      ...common,
    });
    i.value = opts.value ?? '';
    input = i;
  }
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    input,
    hintId === undefined ? null : h('p', { class: 'hint', id: hintId }, opts.hint ?? ''),
  );
}

/** The value of the form control with this id inside `root`. */
export function valueOf(root: ParentNode, id: string): string {
  const e = root.querySelector<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>(
    `#${CSS.escape(id)}`,
  );
  return e === null ? '' : e.value;
}

export const checked = (root: ParentNode, id: string): boolean =>
  root.querySelector<HTMLInputElement>(`#${CSS.escape(id)}`)?.checked === true;

/** A read-only text to copy (an invitation link, an address, a workflow), with its button. */
export function copyBox(id: string, label: string, text: string, multiline = false): HTMLElement {
  const box = multiline
    ? h('textarea', { id, readonly: true, rows: '8', class: 'mono', spellcheck: 'false' })
    : h('input', { id, readonly: true, class: 'mono', type: 'text' });
  box.value = text;
  const done = h('span', { class: 'muted', role: 'status' });
  const copy = button(
    'Copy',
    () => {
      const fallback = () => {
        box.select();
        done.textContent = 'selected: press Ctrl+C (⌘C) to copy';
      };
      if (navigator.clipboard === undefined) return fallback();
      navigator.clipboard.writeText(text).then(() => {
        done.textContent = 'copied';
      }, fallback);
    },
    { class: 'secondary', 'aria-label': `Copy ${label.toLowerCase()}` },
  );
  return h(
    'div',
    { class: 'copy' },
    h('label', { for: id }, label),
    box,
    h('div', {}, copy, ' ', done),
  );
}

/** A QR code of `text`, drawn by the app (`/api/qr`, an SVG image: the CSP allows only self). */
export const qr = (text: string, alt: string): HTMLImageElement =>
  h('img', {
    class: 'qr',
    src: `/api/qr?text=${encodeURIComponent(text)}`,
    alt,
    width: '200',
    height: '200',
  });

/** SHA-256 of a file, hex, computed here in the browser (WebCrypto). */
export async function sha256Hex(data: ArrayBuffer): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', data));
  return [...d].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export function base64Of(data: ArrayBuffer): string {
  const bytes = new Uint8Array(data);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}
