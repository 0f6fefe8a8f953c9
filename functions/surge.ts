import * as z from 'zod';
import { describeGroup, raiseDesiredCapacity } from './adapters/autoscaling.ts';
import { autoScalingClient } from './commons/clients.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { NodeGroupNotFound } from './commons/errors.ts';
import { lambdaHandler } from './commons/handler.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import { batchSchema, rolloutGroupSchema, type WaitState } from './commons/state.ts';

const event = z.object({ input: rolloutInputSchema, group: rolloutGroupSchema, batch: batchSchema });

/** The Auto Scaling group needs a few seconds to start launching; the checker then follows the boot. */
const firstCheckSeconds = 60;

/**
 * Replacements first: desired becomes at least the group's original size plus this batch (absolute,
 * so a retry does not surge twice), and max grows with it when needed. Only the first batch of an
 * execution comes here: each cordon launches the next batch's replacements. With `surgeBatches` k above 1
 * the next k − 1 batches' replacements boot with these, and each terminate launches the batch k after it.
 */
export const makeHandler = (deps: Pick<Dependencies, 'autoScaling' | 'now'>) =>
  lambdaHandler(event, async ({ input, group, batch }): Promise<WaitState> => {
    const current = await describeGroup(deps.autoScaling, group.asgName);
    if (!current)
      throw new NodeGroupNotFound(`Auto Scaling group ${group.asgName} disappeared during the rollout.`);
    await raiseDesiredCapacity(
      deps.autoScaling,
      current,
      group.original.desired +
        batch.nodes.length +
        (group.surgeBatches > 1
          ? batch.next.length + batch.afterNext.slice(0, group.surgeBatches - 2).flat().length
          : 0),
    );
    const now = deps.now();
    return {
      done: false,
      seconds: firstCheckSeconds,
      deadline: now + input.readyTimeoutSeconds * 1000,
      since: now,
      lost: 0,
    };
  });

export const handler = makeHandler({ autoScaling: autoScalingClient(), now: Date.now });
