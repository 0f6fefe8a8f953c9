/** A `Status` the API server answers with instead of the object (`metav1.Status`). */
export interface RefusalStatus {
  code: number;
  reason: string;
  message: string;
  details?: { name?: string; kind?: string; causes?: { reason: string; message: string; field: string }[] };
}

/**
 * The API server refused a call (404 NotFound, 400 BadRequest, 422 Invalid...). In-process it is
 * thrown, worded as the production adapter words such a refusal ("refused to <action>: <code>
 * <reason>: <message>"); the HTTP test server answers its `status` as is.
 */
export class ApiRefusal extends Error {
  readonly code: number;
  constructor(
    action: string,
    readonly status: RefusalStatus,
  ) {
    super(`The Kubernetes API refused to ${action}: ${status.code} ${status.reason}: ${status.message}`);
    this.code = status.code;
  }
}
