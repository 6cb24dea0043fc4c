/**
 * Screens by the URL fragment (`#/contracts`, `#/contract/<id>` …), so the browser's back button
 * and a reload keep the place. The very first fragment is the one-time secret instead (it has no
 * `/`), exchanged at start and dropped from the address bar.
 */
let renderer: () => Promise<void> = async () => {};

export function setRenderer(fn: () => Promise<void>): void {
  renderer = fn;
}

/** The current route: `['contract', id]`, `['contracts']`, `[]` (the wallet) … */
export function route(): string[] {
  const f = location.hash.replace(/^#\/?/, '');
  return f === '' ? [] : f.split('/').map((p) => decodeURIComponent(p));
}

/** Goes to a screen (`go('contract', id)`); the same screen again renders again. */
export function go(...parts: string[]): void {
  const hash = parts.length === 0 ? '#/' : `#/${parts.map(encodeURIComponent).join('/')}`;
  if (location.hash === hash) void rerender();
  else location.hash = hash;
}

export const rerender = (): Promise<void> => renderer();
