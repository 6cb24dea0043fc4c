/**
 * The parties' app in the browser: plain TypeScript, no framework. It never sees a key: the
 * wallet lives in the party's own `verdict app` process; this page only calls its API with the
 * session cookie it got for the one-time secret in the URL fragment.
 *
 * Screens: wallet.ts (start, unlock, wallet), contracts.ts (the list), new-contract.ts (form,
 * review, created; open an invitation), contract.ts (one contract's timeline and actions).
 */
import { ApiError, api, messageOf, stopLive } from './api.ts';
import { contractScreen } from './contract.ts';
import { contractsScreen } from './contracts.ts';
import { h, show } from './dom.ts';
import { inviteScreen, newContractScreen } from './new-contract.ts';
import { route, setRenderer } from './router.ts';
import type { Status } from './types.ts';
import { startScreen, unlockScreen, walletScreen } from './wallet.ts';

const where = document.getElementById('where') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;

function networkLine(s: Status): void {
  const net = s.node.network ?? 'unknown network';
  where.textContent =
    s.node.error === undefined
      ? `${net} · node ${s.node.label} · block ${s.node.height ?? '?'}`
      : `node ${s.node.label} unreachable`;
}

const NAV: readonly (readonly [string, string])[] = [
  ['Wallet', '#/'],
  ['Contracts', '#/contracts'],
  ['New contract', '#/new'],
  ['Open an invitation', '#/invite'],
];

/** The menu, links (not buttons: they change the place); the current one marked for readers. */
function navigation(unlocked: boolean): void {
  if (!unlocked) return nav.replaceChildren();
  const here = route()[0] ?? '';
  const current = (href: string) =>
    href === `#/${here}` || (here === 'contract' && href === '#/contracts');
  nav.replaceChildren(
    ...NAV.map(([text, href]) =>
      h('a', { href, ...(current(href) ? { 'aria-current': 'page' } : {}) }, text),
    ),
  );
}

async function render(): Promise<void> {
  stopLive();
  const s = await api<Status>('GET', '/api/status');
  networkLine(s);
  navigation(s.wallet === 'unlocked');
  if (s.wallet === 'none') return startScreen(s);
  if (s.wallet === 'locked') return unlockScreen(s);
  const [screen, arg] = route();
  if (screen === 'contracts') return contractsScreen();
  if (screen === 'new') return newContractScreen();
  if (screen === 'invite') return inviteScreen();
  if (screen === 'contract' && arg !== undefined) return contractScreen(arg);
  return walletScreen(s);
}

function failed(e: unknown): void {
  const code = e instanceof ApiError ? e.code : 'error';
  show(
    h(
      'section',
      {},
      h(
        'h1',
        {},
        code === 'no_session' || code === 'invalid_secret'
          ? 'Open your own link'
          : 'Something went wrong',
      ),
      h('p', { class: 'error', role: 'alert', id: 'error' }, messageOf(e)),
    ),
  );
}

async function start(): Promise<void> {
  const fragment = location.hash.slice(1);
  if (fragment !== '' && !fragment.startsWith('/')) {
    // The fragment never reaches a server or a log; drop it from the address bar and history.
    history.replaceState(null, '', '/');
    await api('POST', '/api/session', { secret: fragment });
  }
  setRenderer(() => render().catch(failed));
  window.addEventListener('hashchange', () => void render().catch(failed));
  await render();
}

start().catch(failed);
