/** A readable, dependency-free API page rendered from the OpenAPI document. */
function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
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
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(info.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}
code{background:#f4f4f4;padding:0 .2rem}pre{background:#f4f4f4;padding:1rem;overflow:auto}</style></head>
<body><h1>${esc(info.title)}</h1><p>${esc(info.description)}</p>
<p>Machine-readable: <a href="/v1/openapi.json">/v1/openapi.json</a> (OpenAPI 3.1). Errors are always
<code>{"error":{"code","message","details"?}}</code>. Authenticated routes take <code>Authorization: Bearer &lt;token&gt;</code>:
party tokens are returned once by <code>POST /v1/contracts</code>; the operator token comes from <code>verdict oracle admin-token</code>.
Event ids contain <code>/</code>; URL-encode them in paths (<code>%2F</code>) or not, both work.</p>
<h2>Try it</h2>
<pre>curl -s localhost:8080/v1/oracle
curl -s -X POST localhost:8080/v1/contracts -H 'content-type: application/json' -d '{
  "client": {"id": "alice", "name": "Alice"}, "freelancer": {"id": "bob", "name": "Bob"},
  "milestones": [{"title": "Logo", "amountSat": "150000", "deliveryDeadline": 1900000000, "reviewWindowSec": 259200}]}'
curl -s "localhost:8080/v1/events?limit=10"</pre>
<h2>Routes</h2>
<table><thead><tr><th>method</th><th>path</th><th>who</th><th>what</th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table></body></html>`;
}
