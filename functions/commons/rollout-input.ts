import * as z from 'zod';

/**
 * The execution input a person types in the Step Functions console (and what start-rollout sends).
 * One schema for the validate step, the CLI and the README's field table.
 */
export const rolloutInputSchema = z
  .strictObject({
    clusterName: z
      .string()
      .regex(
        /^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/,
        'must be an EKS cluster name (letters, digits, - and _; at most 100)',
      )
      .describe('EKS cluster that owns the node group.'),
    nodeGroupName: z
      .string()
      .regex(
        /^[0-9A-Za-z][A-Za-z0-9\-_.]{0,254}$/,
        'must be a node group name: the Auto Scaling group of a self-managed node group',
      )
      .describe('The self-managed node group: its Auto Scaling group name (or its eksctl node group name).'),
    amiId: z
      .string()
      .regex(/^ami-([0-9a-f]{8}|[0-9a-f]{17})$/, 'must be an AMI id like ami-0123456789abcdef0')
      .describe('The AMI to move the node group to.'),
    maxUnavailable: z
      .int()
      .min(1, 'must be at least 1')
      .max(100, 'must be at most 100')
      .default(1)
      .describe('Batch size: nodes replaced at once (surge of the same size first).'),
    drainTimeoutSeconds: z
      .int()
      .min(60, 'must be at least 60')
      .max(86_400, 'must be at most 86400')
      .default(900)
      .describe(
        'Deadline for draining one batch; then the rollout fails safely (or, with overridePdbAfterTimeout, deletes).',
      ),
    readyTimeoutSeconds: z
      .int()
      .min(60, 'must be at least 60')
      .max(7_200, 'must be at most 7200')
      .default(1_800)
      .describe('Deadline for replacements to become Ready Windows nodes after the surge.'),
    gracePeriodSeconds: z
      .int()
      .min(0, 'must be 0 or more')
      .max(3_600, 'must be at most 3600')
      .optional()
      .describe("Eviction grace period; by default each pod's own terminationGracePeriodSeconds."),
    force: z
      .boolean()
      .default(false)
      .describe(
        'As kubectl drain --force: evict pods no controller recreates (bare pods, orphaned DaemonSet pods). PDBs still hold.',
      ),
    overridePdbAfterTimeout: z
      .boolean()
      .default(false)
      .describe(
        "At the drain deadline, delete the pods their PDBs still refuse (each one reported): kubectl drain's --disable-eviction, EKS managed node groups' force.",
      ),
    deleteEmptyDirData: z
      .boolean()
      .default(false)
      .describe('Evict pods that use emptyDir volumes (their data is lost).'),
    dryRun: z.boolean().default(false).describe('Verify and plan only; change nothing.'),
    allowWindowsBuildChange: z
      .boolean()
      .default(false)
      .describe('Accept an AMI whose Windows build differs from the nodes (e.g. 2019 to 2022).'),
    allowUntestedImage: z
      .boolean()
      .default(false)
      .describe('Accept an Image Builder image whose tests were disabled.'),
    requireCachedImages: z
      .boolean()
      .default(false)
      .describe('Replacements count as Ready only once the images of the pods to move are on them.'),
    continuedFrom: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,80}$/, 'must be the name of an execution of this state machine')
      .optional()
      .describe(
        'Set by the rollout itself when a large node group continues in a new execution: the execution it continues (it waits for that one to end).',
      ),
  })
  .describe('Execution input of the rollout state machine.');

export type RolloutInput = z.output<typeof rolloutInputSchema>;
