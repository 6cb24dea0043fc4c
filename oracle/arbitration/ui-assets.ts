/**
 * The arbiters' web app (`arbiter-ui/`): `index.html` and `app.css` as they are, `app.ts` bundled
 * once per process with esbuild (with the library's attestation verifier, so the browser checks
 * attestations itself). Built in memory at start-up; nothing is written to disk.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const uiDir = fileURLToPath(new URL('../../arbiter-ui/', import.meta.url));

export interface UiAssets {
  readonly html: string;
  readonly css: string;
  readonly js: string;
  readonly favicon: string;
}

export async function buildUiAssets(): Promise<UiAssets> {
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
