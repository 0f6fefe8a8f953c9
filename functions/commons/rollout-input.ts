import * as z from 'zod';
import { weekdays } from '../domain/window.ts';

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a 24-hour local time like "22:00"');

/** IANA zones as the Lambda runtime's ICU knows them; a typo must not silently mean UTC. */
const timeZone = z.string().refine((zone) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}, 'must be an IANA time zone like "Europe/Berlin"');

export const maintenanceWindowSchema = z
  .strictObject({
    timezone: timeZone,
    days: z
      .array(z.enum(weekdays, { error: `must be one of ${weekdays.join(', ')}` }))
      .min(1, 'must name at least one day')
      .refine((days) => new Set(days).size === days.length, 'must not repeat a day'),
    start: clockTime,
    end: clockTime,
  })
  .refine((window) => window.start !== window.end, {
    message: 'start and end must differ (a window of 0 minutes never opens)',
    path: ['end'],
  })
  .describe(
    'Batches start only when expected to finish inside it; `days` are the days it opens, an `end` at or before `start` is on the next day.',
  );
export type MaintenanceWindowInput = z.output<typeof maintenanceWindowSchema>;

/** A CloudWatch alarm name, or its ARN (arn:aws:cloudwatch:region:account:alarm:name). */
const alarmName = z
  .string()
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters (a CloudWatch alarm name) or an alarm ARN')
  .or(z.string().regex(/^arn:aws[a-z-]*:cloudwatch:[a-z0-9-]+:\d{12}:alarm:.{1,255}$/));

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
        'must be a node group name: an EKS managed node group, or the Auto Scaling group of a self-managed one',
      )
      .describe(
        "The node group: an EKS managed node group's name, or a self-managed one's Auto Scaling group name (or eksctl node group name).",
      ),
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
    surgeBatches: z
      .int()
      .min(1, 'must be from 1 to 4')
      .max(4, 'must be from 1 to 4')
      .optional()
      .describe(
        "Batches whose replacements boot ahead of their drain (default: 3, or 1 on a group the cluster-autoscaler discovers by its tags). 1 launches the next batch's replacements when a batch is cordoned; k above 1 launches the first k batches' together and, when a batch is terminated, the batch k after it: boots overlap the drains of the batches before them, with up to k batches of surge (at least 2). A replacement launched ahead stays in the group if something else removes its old node meanwhile.",
      ),
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
    prePullImages: z
      .boolean()
      .default(true)
      .describe(
        'On each Ready replacement that lacks images of the pods to move, run a pod in the eks-windows-patcher namespace that pulls them (deploy/rbac.yaml), so the pods evicted there do not wait for the pull.',
      ),
    fastLaunchWaitSeconds: z
      .int()
      .min(0, 'must be 0 or more')
      .max(86_400, 'must be at most 86400')
      .default(3_600)
      .describe(
        "When the AMI's EC2 Fast Launch is still enabling: how long the rollout waits for it, before any change; then FastLaunchNotReady. 0: do not wait (launches boot without Fast Launch until it is enabled).",
      ),
    maintenanceWindow: maintenanceWindowSchema.optional(),
    canary: z
      .strictObject({
        nodes: z.int().min(1, 'must be at least 1').max(100, 'must be at most 100'),
        bakeSeconds: z.int().min(0, 'must be 0 or more').max(86_400, 'must be at most 86400'),
      })
      .optional()
      .describe(
        'The first batch has `nodes` nodes; after it the rollout bakes `bakeSeconds` before the next.',
      ),
    bakeSeconds: z
      .int()
      .min(0, 'must be 0 or more')
      .max(86_400, 'must be at most 86400')
      .default(0)
      .describe('Seconds the rollout waits after each batch (but the last), watching `alarms`.'),
    alarms: z
      .array(alarmName)
      .max(100, 'must list at most 100 alarms (one DescribeAlarms call)')
      .optional()
      .describe(
        'CloudWatch alarms checked before every batch and throughout each bake; ALARM stops the rollout.',
      ),
    rollbackOnAlarm: z
      .enum(['replaceNodes', 'launchTemplateOnly'], {
        error: 'must be "replaceNodes" or "launchTemplateOnly"',
      })
      .default('replaceNodes')
      .describe(
        'After AlarmTriggered: also replace the nodes already replaced back onto the previous AMI (a new execution), or only restore the launch template.',
      ),
    approval: z
      .enum(['none', 'beforeFirstBatch', 'afterCanary'], {
        error: 'must be "none", "beforeFirstBatch" or "afterCanary"',
      })
      .default('none')
      .describe(
        'Ask a person (SNS, answered with `eks-windows-patcher approve|reject EXECUTION`) before any change, or after the canary has baked.',
      ),
    approvalTimeoutSeconds: z
      .int()
      .min(60, 'must be at least 60')
      .max(604_800, 'must be at most 604800 (7 days)')
      .default(86_400)
      .describe('How long an approval may wait for its answer; then the rollout ends with ApprovalTimedOut.'),
    updateConfig: z
      .strictObject({
        maxUnavailablePercentage: z
          .int()
          .min(1, 'must be at least 1')
          .max(100, 'must be at most 100')
          .optional(),
        updateStrategy: z
          .enum(['DEFAULT', 'MINIMAL'], { error: 'must be "DEFAULT" or "MINIMAL"' })
          .optional(),
      })
      .optional()
      .describe(
        "EKS managed node groups only: the group's updateConfig, set before the update when it differs. `maxUnavailablePercentage` replaces maxUnavailable; `updateStrategy` DEFAULT launches replacements first, MINIMAL terminates first.",
      ),
    continuedFrom: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,80}$/, 'must be the name of an execution of this state machine')
      .optional()
      .describe(
        'Set by the rollout itself when a large node group continues in a new execution: the execution it continues (it waits for that one to end).',
      ),
    continuedWith: z
      .object({
        checkedNodesBefore: z.iso.datetime({ offset: true }),
        imagesToMove: z.array(z.string()),
        longestGraceSeconds: z.int().min(0),
      })
      .optional()
      .describe(
        "Set by the rollout itself with continuedFrom: what the rollout's plans found on the nodes to replace registered before `checkedNodesBefore` (their pods' images, the longest grace period), so that the continuation lists only the pods of nodes registered since.",
      ),
  })
  .refine((input) => input.approval !== 'afterCanary' || input.canary !== undefined, {
    message:
      'afterCanary needs a canary: add "canary": {"nodes": 1, "bakeSeconds": 1800}, or ask beforeFirstBatch',
    path: ['approval'],
  })
  .describe('Execution input of the rollout state machine.');

export type RolloutInput = z.output<typeof rolloutInputSchema>;
