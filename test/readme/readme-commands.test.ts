/**
 * Issue 8: "Every command shown in the README works as shown (a test or the demo runs them)."
 *
 * This test reads README.md when it runs, takes the `$ ` commands of the fenced ```sh blocks of
 * "The story of one contract" (with their `\` continuation lines and multi-line quotes) and the
 * output shown under each, and runs them in order, as one shell session would:
 * - `curl ...` with the real curl, against the oracle service started here (port 0);
 * - `npm run verdict -- ...` as `node --import tsx scripts/verdict.ts ...` child processes, with the
 *   environment the README shows (its `export` line, its `VAR=value` prefixes), in a temp directory
 *   that stands for the checkout (where `npm start` keeps `data/`), against a devnet started here;
 * - `verdict dlc offer|accept|sign`: the demo (`test/demo/demo.test.ts`, `scripts/demo/story.ts`)
 *   runs these very commands through the relay; here their flags are checked against the CLI's
 *   parser and against the demo's calls, and their environment against what the CLI requires.
 * The README's example values are replaced by the real ones: `localhost:8080` / `127.0.0.1:8080`
 * and `127.0.0.1:18443` by the real ports, the example contract and event ids by those the create
 * call returns, `$CLIENT` / `$FREELANCER` / `<client token>` by the real tokens, `…` placeholders
 * by a passphrase or the output they stand for. Each output must match the shown one in substance.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevnet, type Devnet } from '../../src/chain/devnet/index.ts';
import { runDlc } from '../../scripts/cli/dlc.ts';
import { milestoneTermsSchema } from '../../src/party/milestone-terms.ts';
import { startTestServer, TestClock, type TestServer } from '../oracle/helpers.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const SECTION = 'The story of one contract';
const PASSPHRASE = 'readme-test-party-passphrase';

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
const story = sectionOf(readme, SECTION);
const COMMANDS = shownCommands(story);

// The README's example ids: those of the answer shown under the create call.
const exampleContractId = /"contract":\{"id":"([0-9a-f]+)"/.exec(story)?.[1];
const exampleEventId = /"eventId":"(verdict\/[0-9a-f]+\/0\/[0-9a-f]+)"/.exec(story)?.[1];

// ------------------------------------------------------------------------------ processes

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function runProcess(
  file: string,
  args: readonly string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    execFile(
      file,
      [...args],
      { env: opts.env, cwd: opts.cwd, timeout: 45_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') {
          reject(
            error.code === 'ENOENT'
              ? new Error(`"${file}" is not installed or not on PATH; the README test needs it`)
              : error,
          );
          return;
        }
        resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr });
      },
    );
  });
}

/** The caller's environment without any VERDICT_* (the README's session sets its own). */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('VERDICT_')) env[k] = v;
  return env;
}

const tsxLoader = pathToFileURL(createRequire(join(repoRoot, 'package.json')).resolve('tsx')).href;
const verdictScript = join(repoRoot, 'scripts', 'verdict.ts');

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
  const lines = actual.trim().split('\n');
  expect(lines.length, `${label}: ${actual}`).toBeGreaterThanOrEqual(shown.length);
  shown.forEach((l, i) => {
    const pattern = l
      .trim()
      .split(/(…|\b[0-9a-f]{16,}\b)/)
      .map((part) =>
        part === '…'
          ? '\\S*'
          : /^[0-9a-f]{16,}$/.test(part)
            ? `[0-9a-f]{${part.length}}`
            : escapeRe(part),
      )
      .join('');
    expect(lines[i]!.trim(), label).toMatch(new RegExp(`^${pattern}$`));
  });
}

// ------------------------------------------------------------------------------ the session

describe(`README "${SECTION}": every command runs as shown`, () => {
  let server: TestServer;
  let devnet: Devnet;
  let work: string;
  let port: string;
  let devnetPort: string;
  /** The shell session's variables: what `export` set, and the tokens as $CLIENT / $FREELANCER. */
  const session: Record<string, string> = {};
  let contractId: string | undefined;
  let eventId: string | undefined;
  let tokens: { client: string; freelancer: string } | undefined;
  /** Shown outputs that stand for a value (`bcrt1q…`) → the real output. */
  const placeholders = new Map<string, string>();

  beforeAll(async () => {
    const curl = await runProcess('curl', ['--version']).catch((e: unknown) => {
      throw new Error(
        `curl is required: this test runs the README's curl commands with the real curl (${String(e)})`,
      );
    });
    expect(curl.code).toBe(0);
    work = mkdtempSync(join(tmpdir(), 'verdict-readme-'));
    // `npm start` keeps the devnet in ./data/devnet: the README's cookie path is relative to it.
    mkdirSync(join(work, 'data', 'devnet'), { recursive: true });
    devnet = await startDevnet({ dataDir: join(work, 'data', 'devnet'), port: 0 });
    devnetPort = new URL(devnet.url).port;
    server = await startTestServer({ clock: new TestClock(Math.floor(Date.now() / 1000)) });
    port = new URL(server.url).port;
  });

  afterAll(async () => {
    await server?.dispose();
    await devnet?.stop();
    if (work !== undefined) rmSync(work, { recursive: true, force: true });
  });

  it('shows a milestone terms file the party CLI accepts', () => {
    const json = /```json\n([\s\S]*?)```/.exec(story)?.[1];
    expect(json, 'the milestone-0.json example').toBeDefined();
    const parsed = milestoneTermsSchema.safeParse(JSON.parse(json ?? 'null'));
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(parsed.data?.eventId).toBe(exampleEventId);
  });

  it('finds the commands and the example ids in the README', () => {
    expect(exampleContractId, 'the example contract id').toMatch(/^[0-9a-f]{16}$/);
    expect(exampleEventId, 'the example event id').toBeDefined();
    const kinds = COMMANDS.map((c) => shellWords(c.text)?.find((w) => !w.includes('=')));
    expect(kinds).toContain('curl');
    expect(kinds).toContain('npm');
    expect(kinds).toContain('export');
    expect(COMMANDS.length).toBeGreaterThanOrEqual(10);
    // The example deadlines are used as they are: the README must move them once they pass.
    for (const [, t] of story.matchAll(/"deliveryDeadline": (\d+)/g))
      expect(Number(t), 'a README deadline in the past').toBeGreaterThan(Date.now() / 1000);
  });

  /** The README's example values → the real ones. */
  function substitute(text: string): string {
    let t = text
      .replaceAll('localhost:8080', `127.0.0.1:${port}`)
      .replaceAll('127.0.0.1:8080', `127.0.0.1:${port}`)
      .replaceAll('127.0.0.1:18443', `127.0.0.1:${devnetPort}`)
      .replaceAll('VERDICT_PARTY_PASSPHRASE=…', `VERDICT_PARTY_PASSPHRASE=${PASSPHRASE}`);
    if (tokens !== undefined) {
      t = t
        .replaceAll('<client token>', tokens.client)
        .replaceAll('<freelancer token>', tokens.freelancer);
    }
    if (eventId !== undefined && exampleEventId !== undefined) {
      t = t
        .replaceAll(exampleEventId, eventId)
        .replaceAll(encodeURIComponent(exampleEventId), encodeURIComponent(eventId));
    }
    if (contractId !== undefined && exampleContractId !== undefined)
      t = t.replaceAll(exampleContractId, contractId);
    for (const [shown, real] of placeholders) t = t.replaceAll(shown, real);
    return t;
  }

  /** Splits `A=1 B=2 cmd args` into the assignments and the command. */
  function parse(text: string): { assign: Record<string, string>; argv: string[] } {
    const words = shellWords(substitute(text), session);
    if (words === null) throw new Error(`not a complete command: ${text}`);
    const assign: Record<string, string> = {};
    let k = 0;
    for (; k < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[k]!); k++) {
      const eq = words[k]!.indexOf('=');
      assign[words[k]!.slice(0, eq)] = words[k]!.slice(eq + 1);
    }
    return { assign, argv: words.slice(k) };
  }

  async function verdict(args: string[], env: Record<string, string>): Promise<Ran> {
    return runProcess(process.execPath, ['--import', tsxLoader, verdictScript, ...args], {
      env: { ...baseEnv(), ...session, ...env },
      cwd: work,
    });
  }

  for (const [n, shown] of COMMANDS.entries()) {
    const label = `$ ${shown.text.split('\n')[0]!.slice(0, 110)}`;
    it(`${n + 1}. ${label}`, async () => {
      const { assign, argv } = parse(shown.text);
      const [program, ...rest] = argv;

      if (program === 'export') {
        expect(Object.keys(assign), 'export takes NAME=value words').toEqual([]);
        for (const w of rest) {
          const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(w);
          expect(m, `export ${w}`).not.toBeNull();
          session[m![1]!] = m![2]!;
        }
        return;
      }

      if (program === 'curl') {
        const r = await runProcess('curl', rest, { env: { ...baseEnv(), ...assign } });
        expect(r.code, r.stderr).toBe(0);
        if (shown.output.length === 0) {
          // Nothing shown: the call must at least not be an error.
          expect(r.stdout, label).not.toMatch(/"error":\{/);
        }
        const body = JSON.parse(r.stdout) as {
          contract?: { id: string; milestones: { eventId: string }[] };
          tokens?: { client: string; freelancer: string };
        };
        if (body.contract !== undefined && body.tokens !== undefined && tokens === undefined) {
          // The create call: from here on the README's ids and tokens are these.
          contractId = body.contract.id;
          eventId = body.contract.milestones[0]!.eventId;
          tokens = body.tokens;
          session['CLIENT'] = tokens.client;
          session['FREELANCER'] = tokens.freelancer;
        }
        expectLike(shown.output.map(substitute), r.stdout, label);
        return;
      }

      expect(argv.slice(0, 4), 'a README command is curl, export or npm run verdict -- …').toEqual([
        'npm',
        'run',
        'verdict',
        '--',
      ]);
      const args = argv.slice(4);

      if (args[0] === 'dlc' && ['offer', 'accept', 'sign'].includes(args[1]!)) {
        // Run by the demo through the relay; here: flags, environment, and the demo's call.
        const sub = args[1]!;
        const who = /<(client|freelancer) token>/.exec(shown.text)?.[1];
        expect(who, 'whose token the command uses').toBeDefined();
        // Its data dir and passphrase are the party's own (as the wallet commands show).
        const env = { ...session, ...assign };
        const usage: string[] = [];
        const code = await runDlc(
          [...args.slice(1), '--help'],
          {
            out: (l) => usage.push(l),
            err: (l) => usage.push(l),
            readStdin: () => Promise.resolve(''),
          },
          env,
        );
        expect(code, `the CLI parses ${args.join(' ')}: ${usage.join('\n')}`).toBe(0);
        expect(env['VERDICT_BITCOIN_RPC'], 'the chain').toBeDefined();
        expect(env['VERDICT_ORACLE_URL'], 'the oracle').toBe(server.url);
        if (args.includes('--relay-contract')) {
          expect(env['VERDICT_PARTY_TOKEN'], 'the relay token').toBe(tokens![who as 'client']);
          expect(args[args.indexOf('--relay-contract') + 1]).toBe(contractId);
        }
        const storySrc = readFileSync(join(repoRoot, 'scripts', 'demo', 'story.ts'), 'utf8');
        const call = storySrc.split('\n').find((l) => l.includes(`dlc('${who}', ['${sub}'`));
        expect(call, `scripts/demo/story.ts runs "verdict dlc ${sub}" as the ${who}`).toBeDefined();
        const relayDecl = /const relay = \[([^\]]*)\]/.exec(storySrc)?.[1] ?? '';
        for (const flag of args.slice(2).filter((a) => a.startsWith('--'))) {
          const inCall = call!.includes(`'${flag}'`);
          const inRelay = call!.includes('...relay') && relayDecl.includes(`'${flag}'`);
          expect(inCall || inRelay, `the demo's "dlc ${sub}" passes ${flag}`).toBe(true);
        }
        const demoTest = readFileSync(join(repoRoot, 'test', 'demo', 'demo.test.ts'), 'utf8');
        expect(demoTest).toContain('await runDemo(');
        return;
      }

      const env: Record<string, string> = { ...assign };
      if (args[0] === 'devnet') {
        // The README's devnet is `npm start`'s on 18443: here the test's, on its own port.
        env['VERDICT_DEVNET_PORT'] = devnetPort;
      }
      const r = await verdict(args, env);
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
      expectLike(shown.output.map(substitute), r.stdout, label);
      if (args[0] === 'dlc' && args[1] === 'wallet') {
        if (args[2] === 'address') {
          const address = r.stdout.trim();
          expect(address).toMatch(/^bcrt1q[0-9a-z]+$/);
          for (const l of shown.output) if (l.includes('…')) placeholders.set(l.trim(), address);
        }
      }
      if (args[0] === 'devnet' && args[1] === 'faucet') {
        const address = args[2]!;
        expect(address, 'the faucet pays the address the wallet gave').not.toContain('…');
        expect(r.stdout).toContain(`sent ${args[3]} sat to ${address}`);
      }
    });
  }
});
