/** An AWS API refusal by its error code; `aws.ts` throws it the way the SDK would. */
export class AwsApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatusCode = 400,
  ) {
    super(message);
    this.name = code;
  }
}

/** A call the simulator does not answer: it fails loudly instead of pretending to succeed. */
export class SimulatorGap extends Error {
  override readonly name = 'SimulatorGap';
  constructor(readonly what: string) {
    super(`The simulator does not model ${what}: add it to simulator/ before trusting this run.`);
  }
}
