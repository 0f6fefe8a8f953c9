import { z } from 'zod';
import { describeGroup, setDesiredCapacity, updateGroup } from './adapters/autoscaling.ts';
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
 * Replacements first: desired becomes the group's original size plus this batch (absolute, so a retry
 * does not surge twice), and max grows with it when needed.
 */
export const makeHandler = (deps: Pick<Dependencies, 'autoScaling' | 'now'>) =>
  lambdaHandler(event, async ({ input, group, batch }): Promise<WaitState> => {
    const current = await describeGroup(deps.autoScaling, group.asgName);
    if (!current)
      throw new NodeGroupNotFound(`Auto Scaling group ${group.asgName} disappeared during the rollout.`);
    const desired = group.original.desired + batch.nodes.length;
    if (current.maxSize < desired) {
      await updateGroup(deps.autoScaling, group.asgName, { maxSize: desired, desired });
    } else if (current.desired !== desired) {
      await setDesiredCapacity(deps.autoScaling, group.asgName, desired);
    }
    const now = deps.now();
    return {
      done: false,
      seconds: firstCheckSeconds,
      deadline: now + input.readyTimeoutSeconds * 1000,
      since: now,
    };
  });

export const handler = makeHandler({ autoScaling: autoScalingClient(), now: Date.now });
