import * as z from 'zod';

/**
 * The pieces of the execution state that handlers read, as the state machine passes them. They are
 * written by earlier handlers, so a parse failure here is a bug in the workflow, reported as
 * InvalidInput naming the field.
 */
export const executionSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** ISO timestamp of the execution start. */
  startTime: z.string(),
});
export type Execution = z.infer<typeof executionSchema>;

/** The node group's lock, as AcquireLock took it. */
export const lockSchema = z.object({
  /** The group's ARN: the lock table's key. */
  groupId: z.string(),
  /** Epoch milliseconds. */
  expiresAt: z.number(),
});
export type LockState = z.infer<typeof lockSchema>;

export const updateConfigSchema = z.object({
  maxUnavailable: z.int().optional(),
  maxUnavailablePercentage: z.int().optional(),
  updateStrategy: z.string().optional(),
});
export type UpdateConfig = z.infer<typeof updateConfigSchema>;

/** What EKS records of a managed node group: EKS rolls it (UpdateNodegroupVersion), not our batches. */
export const managedGroupSchema = z.object({
  nodegroupName: z.string(),
  /** Its own launch template (a custom AMI): updated to a new version of it. */
  launchTemplate: z.object({ id: z.string(), version: z.string() }).optional(),
  /** Without a launch template: the EKS-optimized AMI release it runs, and the target AMI's. */
  releaseVersion: z.string().optional(),
  targetReleaseVersion: z.string().optional(),
  updateConfig: updateConfigSchema,
});
export type ManagedGroup = z.infer<typeof managedGroupSchema>;

/** BeforeBatch's verdict: may the next batch (or the first change) start now, and if not, why. */
export const gateSchema = z.object({
  go: z.boolean(),
  /** ISO timestamp the Wait state waits until for a window. */
  until: z.string().nullable(),
  reason: z.enum(['ready', 'WaitingForWindow', 'Paused']),
  /** Paused: how long the execution waits on its task token before it looks again. */
  holdSeconds: z.int().min(1).nullable(),
  /** A go: when it was given (epoch ms), the batch's start; Terminate measures the batch from it. */
  startedAt: z.number().nullable().default(null),
});
export type Gate = z.infer<typeof gateSchema>;

/** The node group as verified: what the rollout starts from. */
export const verifiedGroupSchema = z.object({
  asgName: z.string(),
  launchTemplateId: z.string(),
  /** The version the group pointed at (number, `$Latest` or `$Default`). */
  launchTemplateVersion: z.string(),
  minSize: z.int(),
  maxSize: z.int(),
  desired: z.int(),
  windowsBuild: z.string(),
  /** Auto Scaling processes suspended before the rollout: someone else's, never resumed by us. */
  suspendedProcesses: z.array(z.string()).default([]),
  managed: managedGroupSchema.optional(),
});
export type VerifiedGroup = z.infer<typeof verifiedGroupSchema>;

export const verifiedSchema = z.object({
  ami: z.object({
    amiId: z.string(),
    name: z.string(),
    windowsBuild: z.string(),
    kubernetesVersion: z.string(),
  }),
  group: verifiedGroupSchema,
  checks: z.array(z.object({ check: z.string(), ok: z.boolean(), detail: z.string() })),
  /** The target AMI's EC2 Fast Launch: the Choice after VerifyAmi waits while `wait`; the plan warns. */
  fastLaunch: z
    .object({
      state: z.string(),
      targetResourceCount: z.int().nullable(),
      stateTransitionReason: z.string().nullable(),
      wait: z.boolean(),
      until: z.string().nullable(),
    })
    .optional(),
});
export type Verified = z.infer<typeof verifiedSchema>;

/** The plan's counts the steps of a batch see (the Map's `counts`): for the rollout events. */
export const countsSchema = z.object({ nodesToReplace: z.int().min(0), nodesOnTarget: z.int().min(0) });

export const plannedNodeSchema = z.object({ instanceId: z.string(), nodeName: z.string() });
export const batchSchema = z.object({
  index: z.int(),
  nodes: z.array(plannedNodeSchema),
  readyTarget: z.int(),
  /** Instances of the next batch of this execution, whose replacements this one's cordon launches (empty: none). */
  next: z.array(z.string()).default([]),
  /** Instances of the batches after next (one list per batch), whose replacements this one's terminate launches. */
  afterNext: z.array(z.array(z.string())).default([]),
  /** An earlier batch (or the first batch's surge) launched this batch's replacements. */
  presurged: z.boolean().default(false),
  /** Seconds to bake after this batch, watching the alarms. */
  bakeSeconds: z.int().min(0).default(0),
  /**
   * Instances beyond the group's own size that an earlier, failed run left: drained and removed
   * first, without a surge, so the group gets its size back before anything is replaced.
   */
  removal: z.boolean().default(false),
  /** The rollout's last batch, or a move: the zones are evened after it (balance-zones.ts). */
  balanceZones: z.boolean().default(false),
});
export type BatchState = z.infer<typeof batchSchema>;

/** Evening the zones after the last batch: the next move, if one is needed, and the drains' pods so far. */
export const balanceSchema = z.object({
  needed: z.boolean(),
  passes: z.int().min(0),
  batch: batchSchema.nullable(),
  forced: z.array(z.string()),
  leftTerminating: z.array(z.string()),
});
export type BalanceState = z.infer<typeof balanceSchema>;

export const planSchema = z.object({
  /** This execution's batches; when `continues`, a new execution of the same input takes the rest. */
  batches: z.array(batchSchema),
  continues: z.boolean().default(false),
  nodesToReplace: z.int(),
  nodesOnTarget: z.int(),
  blockers: z.array(z.string()),
  /** Whether the blockers refuse the rollout with the flags given (a dry run reports them instead). */
  refused: z.boolean().default(false),
  warnings: z.array(z.string()),
  estimatedSeconds: z.int(),
  /** Expected seconds of one batch, from surge to termination: what a maintenance window must hold. */
  batchSeconds: z.int().default(0),
  /** Images of the pods that will move, for the optional cache check on replacements. */
  imagesToMove: z.array(z.string()),
  /** The longest grace period of the pods that will move (at least Kubernetes' default 30 s). */
  longestGraceSeconds: z.int().min(0).default(30),
  /** Batches whose replacements boot ahead: the input's, or the default for this group (surgeBatchesFor). */
  surgeBatches: z.int().min(1).default(1),
});
export type Plan = z.infer<typeof planSchema>;

/** The group during the rollout: where it points now and what to restore. */
export const rolloutGroupSchema = z.object({
  asgName: z.string(),
  launchTemplateId: z.string(),
  /** How the group names its version (kept): `number`, `$Latest` or `$Default`. */
  reference: z.enum(['number', '$Latest', '$Default']).default('number'),
  previousVersion: z.string(),
  targetVersion: z.string(),
  targetAmiId: z.string(),
  /** Auto Scaling processes suspended before the rollout (not ours to resume). */
  suspendedBefore: z.array(z.string()).default([]),
  windowsBuild: z.string(),
  original: z.object({ minSize: z.int(), maxSize: z.int(), desired: z.int() }),
  imagesToMove: z.array(z.string()),
  /** The plan's batches booting ahead (Surge launches the first ones together). */
  surgeBatches: z.int().min(1).default(1),
  /** A managed node group: the EKS update that rolls it, followed by the state machine. */
  managed: z
    .object({
      nodegroupName: z.string(),
      update: z.lazy(() => managedUpdateSchema),
    })
    .optional(),
});
export type RolloutGroup = z.infer<typeof rolloutGroupSchema>;

/** What every rollout group starts from, whoever rolls it: the verified group and the plan's images. */
export function rolloutGroupBasis(amiId: string, verified: Verified, plan: Plan) {
  return {
    asgName: verified.group.asgName,
    targetAmiId: amiId,
    suspendedBefore: verified.group.suspendedProcesses,
    windowsBuild: verified.ami.windowsBuild,
    original: {
      minSize: verified.group.minSize,
      maxSize: verified.group.maxSize,
      desired: verified.group.desired,
    },
    imagesToMove: plan.imagesToMove,
    surgeBatches: plan.surgeBatches,
  };
}

/** The outcome of one "are we there yet" step: the Choice reads `done`, the Wait reads `seconds`. */
export const waitSchema = z.object({
  done: z.boolean(),
  seconds: z.int().min(1),
  /** Epoch milliseconds after which the step fails with its named error. */
  deadline: z.number(),
  /** Epoch milliseconds when the wait began. */
  since: z.number(),
  /** Replacements the group lost during the wait (and was asked for again). */
  lost: z.int().min(0).default(0),
});
export type WaitState = z.infer<typeof waitSchema>;

/** Termination's wait, and whether a node joined or was uncordoned after the drain (drain again). */
export const terminateSchema = waitSchema.extend({
  redrain: z.boolean().default(false),
  /** Why instances were not terminated: "i-... (its node ... joined after the drain)". */
  undrained: z.array(z.string()).default([]),
});
export type TerminateState = z.infer<typeof terminateSchema>;

export const ownerBaselineSchema = z.object({
  namespace: z.string(),
  uid: z.string(),
  kind: z.enum(['ReplicaSet', 'StatefulSet']),
  /** The controller's own name, to read its status each round. */
  controller: z.string(),
  name: z.string(),
  readyBefore: z.int(),
  /** Seconds its pods took to become Ready on this rollout's new nodes, when seen there. */
  startSeconds: z.object({ fromCreation: z.number(), fromStart: z.number().optional() }).optional(),
  /** When this drain last evicted one of its pods (epoch ms): a replacement has been on its way since. */
  lastEvictedAt: z.number().optional(),
  /** Its pods were listed for a start time while the drain waited (once). */
  lookedUp: z.boolean().optional(),
});

export const drainSchema = z.object({
  done: z.boolean(),
  seconds: z.int().min(1),
  deadline: z.number(),
  /** The batch's nodes this drain cordoned or found cordoned, and drained: only these may be terminated. */
  nodes: z.array(z.string()),
  owners: z.array(ownerBaselineSchema),
  evicted: z.int(),
  /** Pods deleted at the deadline because of overridePdbAfterTimeout. */
  forced: z.array(z.string()),
  /** Deleted pods left out of `forced`: lists in the state are capped. */
  forcedOmitted: z.int().min(0).default(0),
  /** With force, pods still Terminating past their grace period at the deadline: not waited for. */
  leftTerminating: z.array(z.string()),
  /** What held the drain in its last round: pods and the PDBs that refused them (capped, `blockersOmitted` more). */
  blockers: z.array(z.string()),
  blockersOmitted: z.int().min(0).default(0),
  /**
   * The evictable pods (`namespace/name`) still on the batch's nodes at the last round, followed by
   * name instead of listing the nodes again; null: too many to carry, the nodes are listed each round.
   */
  followed: z.array(z.string()).nullable().default(null),
});
export type DrainState = z.infer<typeof drainSchema>;

/** An EKS update being followed: a ConfigUpdate (updateConfig first) or the VersionUpdate itself. */
export const managedUpdateSchema = z.object({
  /** Empty when nothing needed updating. */
  id: z.string(),
  type: z.enum(['ConfigUpdate', 'VersionUpdate']),
  done: z.boolean(),
  seconds: z.int().min(1),
  deadline: z.number(),
  since: z.number(),
  /** From the Kubernetes side: the group's Ready nodes on the target AMI, of its nodes. */
  nodesOnTarget: z.int().min(0),
  nodes: z.int().min(0),
});
export type ManagedUpdate = z.infer<typeof managedUpdateSchema>;
