/**
 * CI attestation errors: the service's `AppError` with one specific code per reason a CI
 * submission or token is refused, so that a pipeline can tell "wrong commit" from "expired token"
 * without parsing messages. Codes and statuses: `error-codes.ts`.
 */
import { AppError } from '../errors.ts';
import type { CI_ERROR_STATUS } from './error-codes.ts';

export type CiErrorCode = keyof typeof CI_ERROR_STATUS;

export class CiError extends AppError {
  declare readonly code: CiErrorCode;
  constructor(code: CiErrorCode, message: string, details?: Readonly<Record<string, unknown>>) {
    super(code, message, details);
  }
}
