/**
 * The API reference at `/docs`: Swagger UI (swagger-ui-dist, served from this service, nothing
 * from elsewhere) rendering `/v1/openapi.json`, with every write's example and "Try it out". The
 * page keeps a strict CSP: scripts and styles from this origin only (Swagger UI sets style
 * attributes, hence `'unsafe-inline'` for styles alone), requests to this origin only. Without
 * JavaScript the page still lists every route.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The page's Content-Security-Policy. */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Starts Swagger UI on the page (a file, not an inline script: the CSP allows none). */
const INIT_JS = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/v1/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    defaultModelsExpandDepth: 0,
    tryItOutEnabled: false,
    validatorUrl: null,
  });
  var fallback = document.getElementById('routes');
  if (fallback) fallback.hidden = true;
});
`;

interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

/** The files `/docs/:asset` serves, read once from swagger-ui-dist; null if it is not installed. */
let assets: Map<string, Asset> | null | undefined;
export function docsAssets(): Map<string, Asset> | null {
  if (assets !== undefined) return assets;
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  } catch {
    assets = null;
    return assets;
  }
  const file = (name: string, type: string): [string, Asset] => [
    name,
    { type, body: readFileSync(join(dir, name)) },
  ];
  assets = new Map([
    file('swagger-ui.css', 'text/css; charset=utf-8'),
    file('swagger-ui-bundle.js', 'text/javascript; charset=utf-8'),
    file('favicon-32x32.png', 'image/png'),
    ['init.js', { type: 'text/javascript; charset=utf-8', body: Buffer.from(INIT_JS) }],
  ]);
  return assets;
}

export function docsPage(doc: Record<string, unknown>): string {
  const paths = doc['paths'] as Record<
    string,
    Record<string, { summary?: string; 'x-allow'?: unknown }>
  >;
  const rows: string[] = [];
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const allow = op['x-allow'];
      const who = Array.isArray(allow) ? allow.join(', ') : String(allow);
      rows.push(
        `<tr><td><code>${method.toUpperCase()}</code></td><td><code>${esc(path)}</code></td><td>${esc(who)}</td><td>${esc(op.summary ?? '')}</td></tr>`,
      );
    }
  }
  const info = doc['info'] as { title: string; description: string };
  const ui = docsAssets() !== null;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(info.title)}: API reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" type="image/png" href="/docs/favicon-32x32.png">
${ui ? '<link rel="stylesheet" href="/docs/swagger-ui.css">' : ''}
<style>body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#222}.intro{max-width:1460px;margin:1.5rem auto 0;padding:0 20px}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}
code{background:#f4f4f4;padding:0 .2rem}</style></head>
<body><div class="intro"><h1>${esc(info.title)}</h1><p>${esc(info.description)}</p>
<p>Machine-readable: <a href="/v1/openapi.json">/v1/openapi.json</a> (OpenAPI 3.1). Errors are always
<code>{"error":{"code","message","details"?}}</code>. Authenticated routes take <code>Authorization: Bearer &lt;token&gt;</code>
(the padlock below): party tokens are returned once by <code>POST /v1/contracts</code>; the operator token comes
from <code>verdict oracle admin-token</code>. Every write answers with its example prefilled under "Try it out".
Event ids contain <code>/</code>; URL-encode them in paths (<code>%2F</code>).</p></div>
<div id="swagger-ui"></div>
<div id="routes" class="intro"><h2>Routes</h2>
<table><thead><tr><th>method</th><th>path</th><th>who</th><th>what</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table></div>
${ui ? '<script src="/docs/swagger-ui-bundle.js"></script>\n<script src="/docs/init.js"></script>' : ''}
</body></html>`;
}
