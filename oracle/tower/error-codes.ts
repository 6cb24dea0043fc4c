/**
 * The tower's error codes and their HTTP statuses (issue 16). Spread into the service's one
 * code→status table (`oracle/errors.ts` `statusByCode`); imports nothing (no import cycle).
 * The upload codes are those of `InvalidTowerUploadError` (`src/dlc/tower.ts`).
 */
export const TOWER_ERROR_STATUS = {
  tower_contract_mismatch: 422,
  tower_wrong_oracle: 422,
  invalid_cet_signature: 422,
  invalid_cet_adaptor_signature: 422,
  invalid_refund_signature: 422,
  /** The service runs without a tower (a context built without one). */
  tower_unavailable: 503,
} as const satisfies Record<string, number>;
