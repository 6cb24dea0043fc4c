/**
 * Where a party's data dir is: never inside a checkout unless asked. In order: an explicit dir
 * (`--data-dir`), `VERDICT_PARTY_DIR`, else `<VERDICT_HOME or ~/.verdict>/parties/<name>` with the
 * name from `--party`, `VERDICT_PARTY`, or `default`. Node-only (reads the home directory).
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

/** Party names are path segments: no separators, no dot-only names. */
export const PARTY_NAME_RE = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,64}$/;

export interface PartyDirSource {
  /** `--data-dir DIR`. */
  readonly dir?: string | undefined;
  /** `--party NAME`. */
  readonly party?: string | undefined;
  readonly env: {
    readonly VERDICT_PARTY_DIR?: string | undefined;
    readonly VERDICT_PARTY?: string | undefined;
    readonly VERDICT_HOME?: string | undefined;
  };
  /** The home directory (tests pass one; default `os.homedir()`). */
  readonly home?: string;
}

/** The per-user root of Verdict's files: `VERDICT_HOME`, else `~/.verdict`. */
export function verdictHome(env: PartyDirSource['env'], home: string = homedir()): string {
  const h = env.VERDICT_HOME;
  if (h !== undefined && h !== '') return isAbsolute(h) ? h : resolve(h);
  return join(home, '.verdict');
}

/** The party's data dir (absolute), and the name it was derived from, if any. */
export function resolvePartyDir(src: PartyDirSource): { dir: string; name?: string } {
  const explicit = src.dir ?? src.env.VERDICT_PARTY_DIR;
  if (explicit !== undefined && explicit !== '') return { dir: resolve(explicit) };
  const name = src.party ?? src.env.VERDICT_PARTY ?? 'default';
  if (!PARTY_NAME_RE.test(name)) {
    throw new RangeError(
      `party name "${name}": use letters, digits, ".", "_" or "-" (it names a folder)`,
    );
  }
  return { dir: join(verdictHome(src.env, src.home), 'parties', name), name };
}

/** Where `verdict dlc terms` keeps a milestone's terms inside the party's data dir. */
export function termsFileOf(dataDir: string, contractId: string, milestone: number): string {
  return join(dataDir, 'terms', `${contractId}-${milestone}.json`);
}
