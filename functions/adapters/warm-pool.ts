import { type AutoScalingClient, DescribeWarmPoolCommand } from '@aws-sdk/client-auto-scaling';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { poolInstancesToReplace, type WarmPoolFacts } from '../domain/warm-pool.ts';
import { terminateInstance } from './autoscaling.ts';
import { describeInstances } from './ec2.ts';

/** The group's warm pool, with the AMI each instance was made from; undefined when it has none. */
export async function describeWarmPool(
  autoScaling: AutoScalingClient,
  ec2: EC2Client,
  asgName: string,
): Promise<WarmPoolFacts | undefined> {
  let configuration: { MinSize?: number } | undefined;
  const instances: { instanceId: string; lifecycleState: string }[] = [];
  let NextToken: string | undefined;
  do {
    const page = await autoScaling.send(
      new DescribeWarmPoolCommand({ AutoScalingGroupName: asgName, NextToken }),
    );
    configuration ??= page.WarmPoolConfiguration;
    for (const i of page.Instances ?? [])
      instances.push({ instanceId: i.InstanceId ?? '', lifecycleState: i.LifecycleState ?? 'unknown' });
    NextToken = page.NextToken;
  } while (NextToken);
  if (configuration === undefined) return undefined;
  const images = new Map(
    (
      await describeInstances(
        ec2,
        instances.map((i) => i.instanceId),
      )
    ).map((i) => [i.instanceId, i.imageId]),
  );
  return {
    minSize: configuration.MinSize ?? 0,
    instances: instances.map((i) => ({ ...i, imageId: images.get(i.instanceId) })),
  };
}

/**
 * Terminates the pool's instances not made from `amiId` (the group then refills its pool from the
 * version it names now); returns what it terminated. Safe to repeat: a second call finds them gone
 * or terminating.
 */
export async function replaceWarmPoolInstances(
  deps: { autoScaling: AutoScalingClient; ec2: EC2Client },
  asgName: string,
  amiId: string,
): Promise<string[]> {
  const pool = await describeWarmPool(deps.autoScaling, deps.ec2, asgName);
  const stale = poolInstancesToReplace(pool?.instances ?? [], amiId);
  for (const instanceId of stale) await terminateInstance(deps.autoScaling, instanceId, false);
  return stale;
}
