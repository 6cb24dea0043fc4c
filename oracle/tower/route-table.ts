/**
 * The tower's rows of the service's role × route table (`oracle/http/access.ts` spreads them into
 * `ROUTES`). A party uploads with its capability token for the contract; either party and the
 * operator read what the tower holds and did.
 */
const MILESTONE_TOWER = '/v1/contracts/:id/milestones/:index/tower';

export const TOWER_ROUTES = {
  towerUpload: { method: 'POST', path: MILESTONE_TOWER, allow: ['client', 'freelancer'] },
  towerStatus: { method: 'GET', path: MILESTONE_TOWER, allow: ['client', 'freelancer', 'admin'] },
} as const satisfies Record<
  string,
  {
    readonly method: 'GET' | 'POST';
    readonly path: string;
    readonly allow: readonly ('client' | 'freelancer' | 'admin')[];
  }
>;
