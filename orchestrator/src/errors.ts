import type { ErrorCode, ErrorInfo } from '@pushpals/protocol';

/**
 * The one error type of the orchestrator. Everything thrown on purpose is a PushPalsError with a
 * protocol ErrorCode; the single HTTP/WS error handler turns it into a typed `command_error` or an
 * HTTP status. Anything else is reported as `internal` without leaking details.
 */
export class PushPalsError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly path?: string,
  ) {
    super(message);
    this.name = 'PushPalsError';
  }

  toInfo(): ErrorInfo {
    const info: ErrorInfo = { code: this.code, message: this.message };
    if (this.path !== undefined) info.path = this.path;
    if (this.details !== undefined) info.details = this.details;
    return info;
  }
}

export function toErrorInfo(err: unknown): ErrorInfo {
  if (err instanceof PushPalsError) return err.toInfo();
  return { code: 'internal', message: 'internal error (see the orchestrator log)' };
}

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  invalid_json: 400,
  invalid_message: 400,
  unknown_type: 400,
  unsupported_version: 426,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  rate_limited: 429,
  timeout: 504,
  sandbox_unavailable: 503,
  model_not_configured: 503,
  model_error: 502,
  budget_exceeded: 429,
  disk_full: 507, // Insufficient Storage
};

export const httpStatusOf = (code: ErrorCode): number => HTTP_STATUS[code] ?? 500;
