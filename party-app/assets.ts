/**
 * The parties' app's page: `ui/index.html`, `ui/app.css` and a favicon as they are, `ui/app.ts`
 * bundled once per process with esbuild. Built in memory at start; nothing is written to disk.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const uiDir = fileURLToPath(new URL('./ui/', import.meta.url));

export interface PartyAppAssets {
  readonly html: string;
  readonly css: string;
  readonly js: string;
  readonly favicon: string;
}

export async function buildPartyAppAssets(): Promise<PartyAppAssets> {
  const [html, css, favicon, bundle] = await Promise.all([
    readFile(uiDir + 'index.html', 'utf8'),
    readFile(uiDir + 'app.css', 'utf8'),
    readFile(uiDir + 'favicon.svg', 'utf8'),
    build({
      entryPoints: [uiDir + 'app.ts'],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      legalComments: 'none',
      logLevel: 'silent',
    }),
  ]);
  const js = bundle.outputFiles[0]?.text;
  if (js === undefined) throw new Error('esbuild produced no bundle');
  return { html, css, js, favicon };
}
