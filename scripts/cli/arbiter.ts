/**
 * `verdict arbiter invite|list|disable`: the operator's arbiter administration, over the running
 * service's admin API (`/v1/arbiters`). Authenticates with `--token`, or else with a short-lived
 * operator token minted from the data dir's secret (the operator's own machine).
 */
import { z } from 'zod';
import { ConfigError, loadConfig } from '../../oracle/config.ts';
import { loadOrCreateJwtSecret } from '../../oracle/data-dir.ts';
import { TokenIssuer } from '../../oracle/http/tokens.ts';
import { defaultIo, parseFlags, UsageError, type CliIo } from './common.ts';

export const ARBITER_USAGE = `Usage: verdict arbiter <command> [options]

Commands:
  invite <id> --name <display name> [--link <party id/name/email>]... [--ttl-sec N]
                      create an arbiter and print a single-use invite link (shown once)
  reinvite <id> [--ttl-sec N]
                      a new invite link for an existing arbiter (lost link, password reset)
  list                the arbiters and their status, then the disputes whose panel is short
                      (too few active arbiters when they opened: invite more, they are seated
                      as they accept, until the dispute's evidence phase ends)
  disable <id>        end the arbiter's sessions, refuse logins, never draw them again

Options:
  --url URL           the service (default: VERDICT_PUBLIC_URL or http://VERDICT_HOST:VERDICT_PORT)
  --token TOKEN       an operator token (default: minted from the data dir, valid 5 minutes)
  --json              print JSON
  -h, --help          this text`;

const arbiterSummary = z.object({
  id: z.string(),
  displayName: z.string(),
  status: z.enum(['invited', 'active', 'disabled']),
  linkedIdentities: z.array(z.string()),
  createdAt: z.number().int(),
  disabledAt: z.number().int().nullable(),
});
const shortPanel = z.object({
  disputeId: z.number().int(),
  contractId: z.string(),
  milestoneIndex: z.number().int(),
  round: z.number().int(),
  seats: z.number().int(),
  seated: z.number().int(),
  quorum: z.number().int(),
  evidenceEndsAt: z.number().int(),
});
const issuedInvite = z.object({
  arbiter: arbiterSummary,
  token: z.string(),
  expiresAt: z.number().int(),
  inviteUrl: z.string(),
});
const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

const idSchema = z
  .string()
  .regex(/^[A-Za-z0-9._@:-]{1,64}$/, 'ids are 1-64 characters of A-Z a-z 0-9 . _ @ : -');
const ttlSchema = z.coerce
  .number()
  .int()
  .min(60)
  .max(30 * 86_400);

async function request<T>(
  schema: z.ZodType<T>,
  base: string,
  token: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${base.replace(/\/$/, '')}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
    const e = errorBody.safeParse(json);
    throw new Error(
      e.success ? `${e.data.error.code}: ${e.data.error.message}` : `HTTP ${res.status}`,
    );
  }
  return schema.parse(json);
}

function when(epochSec: number): string {
  return new Date(epochSec * 1000).toISOString().replace('.000Z', 'Z');
}

/** Entry point for `verdict arbiter ...`; `argv` is what follows `arbiter`. */
export async function run(
  argv: readonly string[],
  io: CliIo = defaultIo,
  env = process.env,
): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    (command === undefined ? io.err : io.out)(ARBITER_USAGE);
    return command === undefined ? 2 : 0;
  }
  try {
    const flags = parseFlags(rest, {
      help: { type: 'boolean', short: 'h' },
      json: { type: 'boolean' },
      name: { type: 'string' },
      link: { type: 'string', multiple: true },
      'ttl-sec': { type: 'string' },
      url: { type: 'string' },
      token: { type: 'string' },
    });
    if (flags.values.help === true) {
      io.out(ARBITER_USAGE);
      return 0;
    }
    const args = flags.positionals;
    const oneId = (): string => {
      if (args.length !== 1) throw new UsageError(`${command} takes one arbiter id`);
      const id = idSchema.safeParse(args[0]);
      if (!id.success) throw new UsageError(id.error.issues[0]?.message ?? 'bad arbiter id');
      return id.data;
    };
    const ttl = (): number | undefined => {
      if (flags.values['ttl-sec'] === undefined) return undefined;
      const t = ttlSchema.safeParse(flags.values['ttl-sec']);
      if (!t.success) throw new UsageError('--ttl-sec must be an integer from 60 to 30 days');
      return t.data;
    };
    const config = loadConfig(env);
    const url = z
      .url()
      .safeParse(flags.values.url ?? config.publicUrl ?? `http://${config.host}:${config.port}`);
    if (!url.success) throw new UsageError('--url must be a URL');
    const token =
      flags.values.token ??
      new TokenIssuer(loadOrCreateJwtSecret(config.dataDir), config.tokenTtlSec).issueAdminToken(
        300,
        'verdict-cli',
      );
    const json = flags.values.json === true;
    const printInvite = (i: z.infer<typeof issuedInvite>) => {
      if (json) io.out(JSON.stringify(i, null, 2));
      else {
        io.out(
          `Invite for ${i.arbiter.displayName} (${i.arbiter.id}), single use, valid until ${when(i.expiresAt)}:`,
        );
        io.out(i.inviteUrl);
        io.out('Send it to the arbiter privately; it is not shown again.');
      }
    };
    switch (command) {
      case 'invite': {
        const id = oneId();
        const displayName = flags.values.name;
        if (displayName === undefined || displayName.trim() === '')
          throw new UsageError('invite needs --name');
        const ttlSec = ttl();
        printInvite(
          await request(issuedInvite, url.data, token, 'POST', '/v1/arbiters', {
            id,
            displayName,
            linkedIdentities: flags.values.link ?? [],
            ...(ttlSec === undefined ? {} : { ttlSec }),
          }),
        );
        return 0;
      }
      case 'reinvite': {
        const id = oneId();
        const ttlSec = ttl();
        printInvite(
          await request(
            issuedInvite,
            url.data,
            token,
            'POST',
            `/v1/arbiters/${id}/invite`,
            ttlSec === undefined ? {} : { ttlSec },
          ),
        );
        return 0;
      }
      case 'list': {
        if (args.length !== 0) throw new UsageError('list takes no argument');
        const { arbiters, shortPanels } = await request(
          z.object({ arbiters: z.array(arbiterSummary), shortPanels: z.array(shortPanel) }),
          url.data,
          token,
          'GET',
          '/v1/arbiters',
        );
        if (json) {
          io.out(JSON.stringify({ arbiters, shortPanels }, null, 2));
          return 0;
        }
        if (arbiters.length === 0) io.out('no arbiters');
        for (const a of arbiters) {
          const linked =
            a.linkedIdentities.length === 0 ? '' : `  linked: ${a.linkedIdentities.join(', ')}`;
          io.out(`${a.id.padEnd(20)} ${a.status.padEnd(9)} ${a.displayName}${linked}`);
        }
        if (shortPanels.length > 0) {
          io.out('');
          io.out(
            `short panels (${shortPanels.length}): invite arbiters; they are seated as they accept`,
          );
          for (const p of shortPanels) {
            io.out(
              `  contract ${p.contractId} milestone ${p.milestoneIndex + 1}${p.round === 2 ? ' (appeal)' : ''}: ` +
                `${p.seated} of ${p.seats} seated, quorum ${p.quorum}, seats fill until ${when(p.evidenceEndsAt)}`,
            );
          }
        }
        return 0;
      }
      case 'disable': {
        const id = oneId();
        const { arbiter } = await request(
          z.object({ arbiter: arbiterSummary }),
          url.data,
          token,
          'POST',
          `/v1/arbiters/${id}/disable`,
        );
        if (json) io.out(JSON.stringify(arbiter, null, 2));
        else io.out(`${arbiter.id} disabled at ${when(arbiter.disabledAt ?? 0)}`);
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`verdict arbiter: ${e.message}\n\n${ARBITER_USAGE}`);
      return 2;
    }
    if (e instanceof ConfigError) {
      io.err(e.message);
      return 2;
    }
    io.err(`verdict arbiter: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
