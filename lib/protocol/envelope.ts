/**
 * funcX's error envelope: the body of every error response, and of each failed task in a batch
 * (docs/protocol.md §1).
 */
export interface ErrorEnvelope {
  readonly status: 'Failed';
  readonly code: number;
  readonly error_args: readonly unknown[];
  readonly reason: string;
  readonly http_status_code: number;
}

/**
 * Whether a parsed JSON value has the shape of an {@link ErrorEnvelope}.
 *
 * @param value - any parsed JSON
 * @returns true when `value` is an error envelope
 * @example
 * ```ts
 * if (isErrorEnvelope(body)) throw new ServiceError(body);
 * ```
 */
export function isErrorEnvelope(value: unknown): value is ErrorEnvelope {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return v.status === 'Failed' && typeof v.code === 'number' && typeof v.reason === 'string';
}
