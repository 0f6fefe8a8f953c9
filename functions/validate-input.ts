import * as z from 'zod';
import { lambdaHandler, parseOrThrow } from './commons/handler.ts';
import { type RolloutInput, rolloutInputSchema } from './commons/rollout-input.ts';
import type { Execution } from './commons/state.ts';

const event = z.object({
  raw: z.unknown(),
  executionId: z.string(),
  startTime: z.string(),
});

export interface ValidatedInput {
  input: RolloutInput;
  execution: Execution;
  /** What BeforeChanges decided last: none yet. */
  gate: null;
}

/** The first state: the console input checked field by field; InvalidInput names each bad field. */
export const makeHandler = () =>
  lambdaHandler(event, async ({ raw, executionId, startTime }): Promise<ValidatedInput> => {
    const input = parseOrThrow(
      rolloutInputSchema,
      raw,
      'execution input',
      'Start the execution with at least {"clusterName": "...", "nodeGroupName": "...", "amiId": "ami-..."}; the README lists every field.',
    );
    const name = executionId.slice(executionId.lastIndexOf(':') + 1);
    return { input, execution: { id: executionId, name, startTime }, gate: null };
  });

export const handler = makeHandler();
