/**
 * Issues 8 and 13: every command the README shows works exactly as printed.
 *
 * This test reads README.md when it runs, takes the `$ ` commands of the ```sh blocks of "One
 * contract by hand" and "Disputes" (with their `\\` continuation lines and multi-line quotes) and
 * the output shown under each, and runs them in order in ONE real bash session, as a person pasting
 * them into a second terminal would: `export`, variables set from `$(node -p …)`, pipes, `tee`,
 * redirections and `curl` are bash's and curl's own. Only what a test must isolate differs:
 * - the service (port 0, its data dir standing for the checkout's `./data`) and a devnet (port 0,
 *   mining a block every second like `npm start`'s devnet does while transactions wait) are
 *   started here; `localhost:8080` / `127.0.0.1:8080` / `127.0.0.1:18443` become their ports;
 * - the session runs in a temp dir standing for the checkout, with HOME in a temp dir too (so the
 *   parties' `~/.verdict` is there), and `/tmp/verdict-*` files under it;
 * - `npm run verdict -- …` is `node --import tsx scripts/verdict.ts …` (what the package script
 *   runs), as a bash function, so that no npm banner is mixed into the outputs.
 * Each shown output must match the real one in substance (ids, keys and tokens differ). Afterwards
 * the "checkout" holds nothing but `data/`: the README's commands leave no file in it.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevnet, type Devnet } from '../../src/chain/devnet/index.ts';
import { startTestServer, TestClock, type TestServer } from '../oracle/helpers.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const SECTIONS = ['One contract by hand', 'Disputes'] as const;

// ------------------------------------------------------------------------------ the README

interface ShownCommand {
  /** The command as the README shows it (continuation lines joined). */
  readonly text: string;
  /** The lines the README shows under it (its output), possibly none. */
  readonly output: readonly string[];
}

function sectionOf(markdown: string, title: string): string {
  const start = markdown.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README.md has no section "## ${title}"`);
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end < 0 ? undefined : end);
}

/**
 * Shell words of a command, or null while a quote is open or the line ends with `\`. Variables
 * are expanded from `env`; without it they stay as written.
 */
function shellWords(text: string, env?: Record<string, string>): string[] | null {
  const words: string[] = [];
  let word: string | null = null;
  const expand = (s: string, i: number): [string, number] => {
    const m = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/.exec(s.slice(i));
    if (m === null) return ['$', i + 1];
    const name = (m[1] ?? m[2])!;
    if (env === undefined) return [m[0], i + m[0].length];
    const value = env[name];
    if (value === undefined) throw new Error(`$${name} is not set (in: ${text})`);
    return [value, i + m[0].length];
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (word !== null) words.push(word);
      word = null;
      i++;
    } else if (c === '\\') {
      if (i + 1 >= text.length) return null;
      if (text[i + 1] !== '\n') word = (word ?? '') + text[i + 1]!;
      i += 2;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return null;
      word = (word ?? '') + text.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      let s = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) return null;
        const d = text[j]!;
        if (d === '"') break;
        if (d === '\\' && j + 1 < text.length && '$`"\\'.includes(text[j + 1]!)) {
          s += text[j + 1]!;
          j += 2;
        } else if (d === '$') {
          const [v, next] = expand(text, j);
          s += v;
          j = next;
        } else {
          s += d;
          j++;
        }
      }
      word = (word ?? '') + s;
      i = j + 1;
    } else if (c === '$') {
      const [v, next] = expand(text, i);
      word = (word ?? '') + v;
      i = next;
    } else {
      word = (word ?? '') + c;
      i++;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

/** The `$ ` commands of the section's ```sh blocks, each with the output shown under it. */
function shownCommands(section: string): ShownCommand[] {
  const commands: { text: string; output: string[] }[] = [];
  const blocks = [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  for (const block of blocks) {
    const lines = block.replace(/\n$/, '').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if (line.startsWith('$ ')) {
        let text = line.slice(2);
        // Continuation: a trailing backslash, or a quote still open (a multi-line JSON body).
        while (shellWords(text) === null) {
          i++;
          if (i >= lines.length) throw new Error(`unterminated command in README: ${text}`);
          text += '\n' + lines[i]!;
        }
        commands.push({ text, output: [] });
      } else if (line.startsWith('#') || line.trim() === '') {
        continue;
      } else {
        const last = commands.at(-1);
        if (last === undefined) throw new Error(`output without a command in README: ${line}`);
        last.output.push(line);
      }
    }
  }
  return commands;
}

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const story = SECTIONS.map((title) => sectionOf(readme, title)).join('\n');
const COMMANDS = shownCommands(story);

// The README's example ids: those of the answer shown under the first create call.
const exampleContractId = /"contract":\{"id":"([0-9a-f]+)"/.exec(story)?.[1];
const exampleEventId = /"eventId":"(verdict\/[0-9a-f]+\/0\/[0-9a-f]+)"/.exec(story)?.[1];
const exampleOracleKey = /"publicKey":"([0-9a-f]+)…"/.exec(story)?.[1];

// ------------------------------------------------------------------------------ checks

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const isHex = (s: string): boolean => /^[0-9a-f]+$/.test(s);

/**
 * The shown output against the real one, in substance. JSON (shown compact, elided with `…`):
 * every `"key":value` pair shown is in the real answer — exactly, or for an elided string its
 * shown start (hex values: hex of at least that length, with the same TLV type). Text: each shown
 * line as a pattern (`…` any text, hex digests any hex of their length), in order.
 */
function expectLike(shown: readonly string[], actual: string, label: string): void {
  if (shown.length === 0) return;
  const text = shown.map((l) => l.trim()).join(' ');
  if (text.startsWith('{')) {
    expect(() => JSON.parse(actual) as unknown, `${label}: JSON answer`).not.toThrow();
    const pairs = [
      ...text.matchAll(/"([A-Za-z]+)":("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false|null)/g),
    ];
    expect(pairs.length, `${label}: pairs in the shown output`).toBeGreaterThan(0);
    for (const [, key, value] of pairs) {
      if (!value!.includes('…')) {
        expect(actual, `${label}: "${key}":${value}`).toContain(`"${key}":${value}`);
        continue;
      }
      const prefix = value!.slice(1, value!.indexOf('…')).trimEnd();
      const real = new RegExp(`"${key}":"([^"]*)"`).exec(actual)?.[1];
      expect(real, `${label}: "${key}" in ${actual}`).toBeDefined();
      if (isHex(prefix)) {
        expect(real!, `${label}: "${key}"`).toMatch(new RegExp(`^[0-9a-f]{${prefix.length},}$`));
        if (key!.endsWith('Hex'))
          expect(real!.slice(0, 6), `${label}: TLV type`).toBe(prefix.slice(0, 6));
      } else expect(real!, `${label}: "${key}"`).toMatch(new RegExp(`^${escapeRe(prefix)}`));
    }
    return;
  }
  // Text: the shown lines appear in this order among the real ones (a watcher may print more
  // lines before the one shown); whitespace runs compare equal (the CLI separates with tabs).
  const lines = actual
    .trim()
    .split('\n')
    .map((l) => l.trim().replace(/\s+/g, ' '));
  let at = 0;
  for (const l of shown) {
    const pattern = l
      .trim()
      .replace(/\s+/g, ' ')
      .split(/(…|\b[0-9a-f]{16,}\b)/)
      .map((part) =>
        part === '…'
          ? '.*'
          : /^[0-9a-f]{16,}$/.test(part)
            ? `[0-9a-f]{${part.length}}`
            : escapeRe(part),
      )
      .join('');
    const re = new RegExp(`^${pattern}$`);
    while (at < lines.length && !re.test(lines[at]!)) at++;
    expect(at, `${label}: "${l}" in:\n${actual}`).toBeLessThan(lines.length);
    at++;
  }
}

// ------------------------------------------------------------------------------ the session

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const tsxLoader = pathToFileURL(createRequire(join(repoRoot, 'package.json')).resolve('tsx')).href;
const verdictScript = join(repoRoot, 'scripts', 'verdict.ts');
const q = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/** The caller's environment without any VERDICT_* (the README's session sets its own). */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('VERDICT_') && k !== 'CI') env[k] = v;
  return env;
}

describe(`README "${SECTIONS.join('", "')}": every command runs as printed, in bash`, () => {
  let server: TestServer;
  let devnet: Devnet;
  let root: string;
  let checkout: string;
  const ran: Ran[] = [];
  /** The README's example values → the real ones, for the outputs. */
  const real = new Map<string, string>();

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'verdict-readme-'));
    checkout = join(root, 'checkout');
    mkdirSync(join(checkout, 'data', 'devnet'), { recursive: true });
    mkdirSync(join(root, 'home'));
    mkdirSync(join(root, 'tmp'));
    // `npm start`'s devnet mines while transactions wait; this one every second.
    devnet = await startDevnet({
      dataDir: join(checkout, 'data', 'devnet'),
      port: 0,
      autoMineSec: 1,
    });
    server = await startTestServer({
      clock: new TestClock(Math.floor(Date.now() / 1000)),
      dataDir: join(checkout, 'data'),
    });
    const port = new URL(server.url).port;
    const devnetPort = new URL(devnet.url).port;
    const sub = (t: string): string =>
      t
        .replaceAll('localhost:8080', `127.0.0.1:${port}`)
        .replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`)
        .replaceAll('127.0.0.1:18443', `127.0.0.1:${devnetPort}`)
        .replaceAll('/tmp/verdict-', `${join(root, 'tmp')}/verdict-`);
    const out = join(root, 'out');
    mkdirSync(out);
    const script = [
      `export HOME=${q(join(root, 'home'))}`,
      // The checkout's ./data (the operator CLI and `devnet` read it from there, as npm start's).
      // npm start's port, as the operator CLI (`arbiter invite`) assumes by default.
      `export VERDICT_DATA_DIR=${q(join(checkout, 'data'))} VERDICT_DEVNET_PORT=${devnetPort} VERDICT_PORT=${port}`,
      `npm() {`,
      `  [ "$1" = run ] || { echo "npm $1: not part of this session" >&2; return 127; }`,
      `  shift; [ "$1" = -s ] && shift`,
      `  [ "$1" = verdict ] || { echo "npm run $1: not part of this session" >&2; return 127; }`,
      `  shift; [ "$1" = -- ] && shift`,
      `  node --import ${q(tsxLoader)} ${q(verdictScript)} "$@"`,
      `}`,
      `cd ${q(checkout)}`,
      ...COMMANDS.map(
        (c, i) =>
          `{\n${sub(c.text)}\n} >${q(join(out, `${i}.out`))} 2>${q(join(out, `${i}.err`))} </dev/null; echo $? >${q(join(out, `${i}.rc`))}`,
      ),
    ].join('\n');
    writeFileSync(join(root, 'session.sh'), script);
    await new Promise<void>((resolve) => {
      execFile(
        'bash',
        [join(root, 'session.sh')],
        { env: baseEnv(), timeout: 560_000, maxBuffer: 16 << 20 },
        () => resolve(),
      );
    });
    for (let i = 0; i < COMMANDS.length; i++) {
      const read = (ext: string): string => {
        try {
          return readFileSync(join(out, `${i}.${ext}`), 'utf8');
        } catch {
          return '';
        }
      };
      const rc = read('rc').trim();
      ran.push({ code: rc === '' ? -1 : Number(rc), stdout: read('out'), stderr: read('err') });
    }
    // The real ids, keys and tokens of the session, for comparing the shown outputs.
    const created = JSON.parse(
      readFileSync(join(root, 'tmp', 'verdict-contract.json'), 'utf8'),
    ) as { contract: { id: string; milestones: { eventId: string }[] } };
    // The event id first: it contains the contract id.
    if (exampleEventId !== undefined)
      real.set(exampleEventId, created.contract.milestones[0]!.eventId);
    if (exampleContractId !== undefined) real.set(exampleContractId, created.contract.id);
    const oracle = (await (await fetch(`${server.url}/v1/oracle`)).json()) as { publicKey: string };
    if (exampleOracleKey !== undefined)
      real.set(exampleOracleKey, oracle.publicKey.slice(0, exampleOracleKey.length));
  }, 600_000);

  afterAll(async () => {
    await server?.dispose();
    await devnet?.stop();
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  it('finds the commands, the example ids and a runnable story in the README', () => {
    expect(exampleContractId, 'the example contract id').toMatch(/^[0-9a-f]{16}$/);
    expect(exampleEventId, 'the example event id').toBeDefined();
    expect(exampleOracleKey, 'the example oracle key').toBeDefined();
    const programs = COMMANDS.map((c) => shellWords(c.text)?.find((w) => !w.includes('=')));
    for (const p of ['curl', 'npm', 'export']) expect(programs).toContain(p);
    expect(COMMANDS.length).toBeGreaterThanOrEqual(25);
    // The example deadlines are used as they are: the README must move them once they pass.
    for (const [, t] of story.matchAll(/"deliveryDeadline": (\d+)/g))
      expect(Number(t), 'a README deadline in the past').toBeGreaterThan(Date.now() / 1000);
    // Issue 13: the story says where to run it, and sets every variable it uses.
    expect(story).toContain('second terminal');
    for (const v of ['CONTRACT', 'CLIENT', 'FREELANCER', 'EVENT']) {
      expect(story, `$${v} is set before use`).toMatch(new RegExp(`^\\$ ${v}=`, 'm'));
    }
    // Both parties make their wallets, and each watcher runs with its own party.
    for (const party of ['client', 'freelancer']) {
      expect(story).toContain(`dlc wallet init --party ${party}`);
      expect(story).toMatch(new RegExp(`dlc watch --party ${party}`));
    }
    // The dispute settings are shown with their names.
    for (const f of ['evidenceWindowSec', 'votingWindowSec', 'panel', 'fallbackOutcome'])
      expect(sectionOf(readme, 'Disputes')).toContain(f);
  });

  for (const [n, shown] of COMMANDS.entries()) {
    const label = `$ ${shown.text.split('\n')[0]!.slice(0, 110)}`;
    it(`${n + 1}. ${label}`, () => {
      const r = ran[n]!;
      expect(r.code, `${label}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
      if (/^\s*curl\s/.test(shown.text) && shown.output.length === 0 && !shown.text.includes('>'))
        expect(r.stdout, label).not.toMatch(/"error":\{/);
      const subst = (l: string): string => {
        let t = l;
        for (const [example, value] of real) t = t.replaceAll(example, value);
        return t;
      };
      expectLike(shown.output.map(subst), r.stdout, label);
    });
  }

  it('leaves no file in the checkout but the git-ignored data/', () => {
    expect(readdirSync(checkout)).toEqual(['data']);
    const gitignore = readFileSync(join(repoRoot, '.gitignore'), 'utf8').split('\n');
    expect(gitignore).toContain('data/');
    // The parties' data dirs are under ~/.verdict, outside the checkout.
    expect(readdirSync(join(root, 'home', '.verdict', 'parties')).sort()).toEqual([
      'client',
      'freelancer',
    ]);
  });
});
