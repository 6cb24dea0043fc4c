/** The app API's answers as the page reads them (APP-API.md; amounts are decimal strings of sats). */

export type Role = 'client' | 'freelancer';
export type Agreement = 'pending' | 'accepted' | 'declined';

export interface Status {
  wallet: 'none' | 'locked' | 'unlocked';
  dataDir: string;
  node: { label: string; height?: number; network?: string; error?: string };
  oracle: { url: string; publicKey?: string; error?: string } | null;
}

export interface PayoutRow {
  outcome: string;
  label: string;
  clientSat: string;
  freelancerSat: string;
}

export interface MilestonePayouts {
  index: number;
  title: string;
  amountSat: string;
  outcomes: PayoutRow[];
  note?: string;
}

export interface Preview {
  canonicalJson: string;
  terms: Record<string, unknown>;
  payouts: MilestonePayouts[];
}

export interface OpenedInvite extends Preview {
  contractId: string;
  role: Role;
}

export interface ContractSummary {
  contractId: string;
  title: string | null;
  role: Role;
  counterparty: { id: string; name: string };
  agreement: Record<Role, Agreement>;
  termsHash: string;
  oracleError?: { code: string; message: string } | string;
  milestones: {
    index: number;
    title: string;
    amountSat: string;
    status: string | null;
    dlcState: string | null;
  }[];
}

export interface FundingJob {
  state: 'running' | 'done' | 'failed';
  step: string;
  steps: string[];
  fraction: number;
  /** What the job waits for, in words. */
  note?: string | null;
  error: null | { code: string; message: string };
  fundingTxid: string | null;
}

export interface MilestoneDetail {
  index: number;
  title: string;
  description?: string | null;
  acceptanceCriteria?: string[];
  amountSat: string;
  outcomeKind: 'enum' | 'share';
  eventId: string;
  deliveryDeadline: number | null;
  reviewEndsAt: number | null;
  status: 'open' | 'delivered' | 'disputed' | 'attested';
  delivery: null | {
    deliveredAt: number;
    commitSha?: string;
    artifactDigest?: string;
    note?: string;
  };
  proposal: null | { byRole: Role; outcome: string | number; at: number };
  dispute: null | {
    openedAt: number;
    byRole: Role;
    reason: string;
    evidenceEndsAt: number;
    votingEndsAt: number;
    panel?: {
      round: number;
      seats: number;
      seated: number;
      quorum: number;
      short: boolean;
      notice: string | null;
      votes?: number;
    };
    votes?: number;
  };
  decision: null | {
    outcome: string | number;
    reason: string;
    decidedAt: number;
    decidedBy: string;
  };
  allowedActions: string[];
  ci?: unknown;
  dlc: null | {
    state: string;
    role: string;
    fundingTxid: string | null;
    confirmations: number | null;
    closingKind: string | null;
    closingTxid: string | null;
    outcome: string | null;
    payoutSat: { mine: string; theirs: string } | null;
    refundLocktime: number | null;
  };
  attestation: null | { outcome: string | number; verified: boolean };
  funding: FundingJob | null;
  tower: null | { url: string; status: string };
  /** What each outcome pays (the review's table rows). */
  payouts?: PayoutRow[];
}

export interface ContractDetail {
  contractId: string;
  role: Role;
  title: string | null;
  counterparty: { id: string; name: string };
  termsHash: string;
  canonicalJson: string;
  agreement: Record<Role, Agreement>;
  invite?: string | null;
  oracleError?: string;
  milestones: MilestoneDetail[];
}

export interface ActivityEntry {
  at: number;
  text: string;
  contractId?: string;
  milestone?: number;
}
