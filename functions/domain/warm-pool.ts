/**
 * Warm pools: a scale-out takes the pool's stopped instances as they were made, and a new launch
 * template version does not touch them ("existing instances are not affected";
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-warm-pools.html#update-warm-pool).
 * So before the first surge, and again on rollback, the pool's instances made from another AMI are
 * terminated; Auto Scaling refills the pool from the version the group names by then.
 */

export interface WarmPoolInstance {
  instanceId: string;
  /** Auto Scaling's lifecycle state: `Warmed:Pending`, `Warmed:Stopped`, `Warmed:Terminating`, ... */
  lifecycleState: string;
  /** The AMI it was made from; undefined when EC2 no longer describes it. */
  imageId: string | undefined;
}

export interface WarmPoolFacts {
  minSize: number;
  instances: WarmPoolInstance[];
}

/** Pool instances that a scale-out could take and that are not on `amiId`: those to terminate. */
export function poolInstancesToReplace(instances: WarmPoolInstance[], amiId: string): string[] {
  return instances
    .filter(
      (i) => !/^Warmed:Terminat/.test(i.lifecycleState) && i.imageId !== undefined && i.imageId !== amiId,
    )
    .map((i) => i.instanceId);
}

/** What the plan says it will do with the group's warm pool; undefined without one. */
export function warmPoolPlanNote(pool: WarmPoolFacts | undefined, amiId: string): string | undefined {
  if (pool === undefined) return undefined;
  const stale = poolInstancesToReplace(pool.instances, amiId).length;
  const held = `warm pool (min size ${pool.minSize}, ${pool.instances.length} instance(s))`;
  if (stale === 0) return `${held}: already on ${amiId}, left as it is`;
  return (
    `${held}: ${stale} instance(s) made from another AMI are terminated before the first surge, so that ` +
    `no replacement comes from them; Auto Scaling refills the pool from the new version (a rollback does ` +
    'the same with the previous version)'
  );
}
