/**
 * Issue 13 item 7: the API reference. Every write that takes a body carries an example in the
 * OpenAPI document, and every example request — the document's own and every `curl` with a body
 * in README.md and docs/*.md — validates against the document. Requests document what a caller
 * may send (a milestone's `outcome` and `dispute` have defaults, so they are optional).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATE_CONTRACT_FULL_EXAMPLE } from '../../oracle/http/examples.ts';
import { call, expectOk, startTestServer, type TestServer } from './helpers.ts';
import { OpenApiValidator } from './openapi-validator.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const MILESTONE = '/v1/contracts/{id}/milestones/{index}';

type Op = {
  requestBody?: { content: Record<string, { schema?: unknown; example?: unknown }> };
};
type Doc = ConstructorParameters<typeof OpenApiValidator>[0] & {
  paths: Record<string, Record<string, Op>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
};

let s: TestServer;
let doc: Doc;
let api: OpenApiValidator;

beforeAll(async () => {
  s = await startTestServer();
  doc = expectOk(await call<Doc>(s.url, 'GET', '/v1/openapi.json'));
  api = new OpenApiValidator(doc);
});
afterAll(() => s.dispose());

/** Shell words of one command (quotes and `\` continuations; variables stay as written). */
function words(text: string): string[] {
  const out: string[] = [];
  let w: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && text[i + 1] === '\n') i++;
    else if (/\s/.test(c)) {
      if (w !== null) out.push(w);
      w = null;
    } else if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      w = (w ?? '') + text.slice(i + 1, end);
      i = end;
    } else w = (w ?? '') + c;
  }
  if (w !== null) out.push(w);
  return out;
}

interface ShownRequest {
  readonly where: string;
  readonly method: string;
  readonly path: string;
  readonly body: string | undefined;
}

/** Every `curl` with a body or -X in the ```sh blocks of a markdown file. */
function curlRequests(file: string): ShownRequest[] {
  const md = readFileSync(join(repoRoot, file), 'utf8');
  const found: ShownRequest[] = [];
  for (const [, block] of md.matchAll(/^```(?:sh|bash)\n([\s\S]*?)^```$/gm)) {
    // Commands: from "curl" to the end of the line, continued by "\" or an open quote.
    const lines = block!.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const at = lines[i]!.search(/(?:^|\s|\$\s)curl\s/);
      if (at < 0) continue;
      let text = lines[i]!.slice(lines[i]!.indexOf('curl', at));
      const open = (t: string) =>
        t.endsWith('\\') || (t.replace(/"[^"]*"/g, '').match(/'/g) ?? []).length % 2 === 1;
      while (open(text) && i + 1 < lines.length) text += '\n' + lines[++i]!;
      const w = words(text);
      const url = w.find(
        (x) => /^(https?:\/\/)?[\w.$-]+:\d+\/|^\$\w+\/|^"?\$\{?\w+/.test(x) && x.includes('/'),
      );
      const methodAt = w.indexOf('-X');
      const dataAt = w.findIndex((x) => x === '-d' || x === '--data' || x === '--data-raw');
      if (url === undefined) continue;
      const path = new URL(url.replace(/^(https?:\/\/)?[^/]*/, 'http://x')).pathname;
      const method = methodAt >= 0 ? w[methodAt + 1]! : dataAt >= 0 ? 'POST' : 'GET';
      if (method === 'GET') continue;
      found.push({
        where: `${file}: ${text.split('\n')[0]!.slice(0, 100)}`,
        method,
        path,
        body: dataAt >= 0 ? w[dataAt + 1] : undefined,
      });
    }
  }
  return found;
}

/** The OpenAPI template a concrete path (variables and ids in it) stands for. */
function templateOf(path: string): string | undefined {
  const segs = path.split('/');
  let best: { t: string; literal: number } | undefined;
  for (const t of Object.keys(doc.paths)) {
    const ts = t.split('/');
    if (ts.length !== segs.length) continue;
    let literal = 0;
    const ok = ts.every((p, i) => {
      if (/^\{\w+\}$/.test(p)) return true;
      if (p === decodeURIComponent(segs[i]!)) return ++literal > 0;
      return false;
    });
    if (ok && (best === undefined || literal > best.literal)) best = { t, literal };
  }
  return best?.t;
}

const markdownFiles = [
  'README.md',
  ...readdirSync(join(repoRoot, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

describe('API reference: examples', () => {
  it('every write that takes a body has an example, and it validates', () => {
    let n = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const media = op.requestBody?.content['application/json'];
        if (media === undefined) continue;
        expect(media.example, `${method.toUpperCase()} ${path} has an example`).toBeDefined();
        expect(api.requestErrors(method, path, media.example), `${method} ${path}`).toEqual([]);
        n++;
      }
    }
    expect(n).toBeGreaterThanOrEqual(12);
  });

  it("a milestone's outcome and dispute are optional in a request, and their settings are documented", () => {
    const req = doc.components.schemas['CreateContractRequest'] as {
      properties: {
        milestones: { items: { required: string[]; properties: Record<string, unknown> } };
      };
    };
    const m = req.properties.milestones.items;
    expect(m.required.sort()).toEqual([
      'amountSat',
      'deliveryDeadline',
      'reviewWindowSec',
      'title',
    ]);
    const dispute = m.properties['dispute'] as { required?: string[]; properties: object };
    expect(dispute.required ?? []).toEqual([]);
    expect(Object.keys(dispute.properties)).toEqual(
      expect.arrayContaining([
        'panel',
        'evidenceWindowSec',
        'votingWindowSec',
        'quorum',
        'fallbackOutcome',
      ]),
    );
    // Every setting, spelled out, is accepted too.
    expect(api.requestErrors('post', '/v1/contracts', CREATE_CONTRACT_FULL_EXAMPLE)).toEqual([]);
    // And an unknown field is refused, as the service does.
    expect(
      api.requestErrors('post', '/v1/contracts', { ...CREATE_CONTRACT_FULL_EXAMPLE, x: 1 }),
    ).not.toEqual([]);
  });

  it('every curl request with a body in README.md and docs/*.md validates against the document', () => {
    const requests = markdownFiles.flatMap(curlRequests);
    expect(requests.length).toBeGreaterThanOrEqual(6);
    // The README's writes are among them: create, the lifecycle, the dispute and its evidence.
    const readmeWrites = new Set(
      requests.filter((r) => r.where.startsWith('README.md')).map((r) => templateOf(r.path)),
    );
    for (const t of ['', '/deliver', '/accept', '/dispute', '/dispute/evidence'])
      expect(readmeWrites, t).toContain(t === '' ? '/v1/contracts' : `${MILESTONE}${t}`);
    for (const r of requests) {
      const t = templateOf(r.path);
      expect(t, `${r.where}: ${r.path} is a documented route`).toBeDefined();
      let body: unknown;
      if (r.body !== undefined) {
        expect(() => {
          body = JSON.parse(r.body!) as unknown;
        }, `${r.where}: the body is JSON`).not.toThrow();
      }
      const errors = api.requestErrors(r.method, t!, body);
      expect(errors, r.where).toEqual([]);
    }
  });
});
