/** The tower's HTTP shapes (zod): the upload body and the status view. */
import { z } from 'zod';

const hex = z.string().regex(/^(?:[0-9a-f]{2})+$/, 'lowercase hex, an even number of digits');

export const towerUploadInput = z.strictObject({
  /** The uploading party's side of the DLC: `offer` (it made the offer) or `accept`. */
  side: z.enum(['offer', 'accept']),
  offerHex: hex,
  acceptHex: hex,
  signHex: hex,
  /** The party's 64-byte compact signature of every CET, in CET order, concatenated. */
  cetSignaturesHex: hex,
});
export type TowerUploadInput = z.infer<typeof towerUploadInput>;

export const towerUploadView = z.object({
  dlcContractId: z.string(),
  created: z.boolean(),
  cets: z.number().int(),
});

export const towerStatusView = z.object({
  held: z.boolean(),
  chain: z.boolean(),
  uploads: z.array(
    z.object({
      dlcContractId: z.string(),
      side: z.enum(['offer', 'accept']),
      uploaderRole: z.string(),
      cets: z.number().int(),
      uploadedAt: z.number().int(),
    }),
  ),
  jobs: z.array(
    z.object({
      dlcContractId: z.string(),
      state: z.enum(['watching', 'chosen', 'broadcast', 'confirmed', 'closed_elsewhere']),
      kind: z.enum(['cet', 'refund']).nullable(),
      txid: z.string().nullable(),
      outcome: z.string().nullable(),
      fundingTxid: z.string(),
      refundLocktime: z.number().int(),
      firstBroadcastHeight: z.number().int().nullable(),
      confirmedHeight: z.number().int().nullable(),
      bumpNeeded: z.boolean(),
      detail: z.string().nullable(),
      broadcasts: z.array(
        z.object({
          txid: z.string(),
          height: z.number().int(),
          result: z.string(),
          at: z.number().int(),
        }),
      ),
    }),
  ),
});
export type TowerStatus = z.infer<typeof towerStatusView>;
