/**
 * Cursor pagination for every list that can grow (issue 19 §8): `?cursor=<opaque>&limit=<n>`,
 * replies carry `nextCursor` (null on the last page). A cursor is base64url of a one-letter kind
 * and a row id, so a cursor of one list is refused by another.
 */
import { z } from 'zod';

export function encodeCursor(kind: string, id: number): string {
  return Buffer.from(`${kind}${id}`, 'latin1').toString('base64url');
}

/** The query schema of a paginated list: `cursor` decodes to the last row id seen (0: start). */
export function pageQuery(kind: string, limits: { defaultLimit: number; maxLimit: number }) {
  const pattern = new RegExp(`^${kind}(\\d{1,15})$`);
  return z.strictObject({
    cursor: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,32}$/)
      .transform((c, zc) => {
        const m = pattern.exec(Buffer.from(c, 'base64url').toString('latin1'));
        if (m?.[1] === undefined) {
          zc.addIssue({ code: 'custom', message: 'not a cursor from this list' });
          return z.NEVER;
        }
        return Number(m[1]);
      })
      .default(0),
    limit: z
      .string()
      .regex(/^\d{1,4}$/)
      .transform(Number)
      .pipe(z.number().int().min(1).max(limits.maxLimit))
      .default(limits.defaultLimit),
  });
}
