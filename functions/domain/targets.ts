import { createHash } from 'node:crypto';
import * as z from 'zod';
import { describeIssues } from '../commons/handler.ts';
import { rolloutInputSchema } from '../commons/rollout-input.ts';

/** The tags that enrol a node group (its Auto Scaling group or EKS node group) and tune its rollouts. */
export const targetTags = {
  /** `true` enrols the node group; any other value or no tag leaves it alone. */
  enabled: 'eks-windows-patcher/enabled',
  /** The Image Builder image name (GetImage `image.name`) whose new AMIs the group follows. */
  imageName: 'eks-windows-patcher/image-name',
  /** `<2019|2022>-<Core|Full>`: the EKS-optimized Windows AMI the group follows in the scheduled SSM mode. */
  ssmVariant: 'eks-windows-patcher/ssm-variant',
  /** Batch size of the rollouts of this group (execution input `maxUnavailable`). */
  maxUnavailable: 'eks-windows-patcher/max-unavailable',
  /** Drain deadline per batch (execution input `drainTimeoutSeconds`). */
  drainTimeoutSeconds: 'eks-windows-patcher/drain-timeout-seconds',
} as const;

/** The tag Kubernetes and EKS put on the Auto Scaling groups of a cluster: `<prefix><cluster>` = owned|shared. */
export const clusterTagPrefix = 'kubernetes.io/cluster/';
const clusterTagValues: readonly string[] = ['owned', 'shared'];
/** EKS tags the Auto Scaling group of a managed node group with the node group's name. */
export const managedNodeGroupAsgTag = 'eks:nodegroup-name';

/**
 * Why the Auto Scaling group of a managed node group is never a target of its own: EKS owns it (an
 * edit is a health issue), and the rollout of the node group drives EKS instead.
 */
export const managedNodeGroupsByTheirTags =
  'EKS owns this Auto Scaling group: tag the EKS node group itself (aws eks tag-resource) to enrol it, and it is ' +
  'rolled through EKS (UpdateNodegroupVersion).';

/** The input of the Patch Tuesday schedule for teams without a pipeline. */
export const ssmLatestTriggerSchema = z.strictObject({ mode: z.literal('ssm-latest') });

const clusterNameSchema = rolloutInputSchema.shape.clusterName;

const imageArnSchema = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:imagebuilder:[a-z0-9-]+:\d{12}:image\/[^/]+\/[^/]+\/\d+$/,
    'must be an Image Builder image ARN (arn:aws:imagebuilder:<region>:<account>:image/<name>/<version>/<build>)',
  );

const imageStateChangeSchema = z.object({
  source: z.literal('aws.imagebuilder'),
  'detail-type': z.literal('EC2 Image Builder Image State Change'),
  account: z.string().regex(/^\d{12}$/, 'must be a 12-digit account id'),
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'must be an AWS region like us-east-1'),
  resources: z
    .array(z.string())
    .min(1, 'must hold the image ARN')
    .pipe(z.tuple([imageArnSchema], z.string())),
  detail: z.object({
    state: z.object({ status: z.string().min(1), reason: z.string().optional() }),
  }),
});

/** What an incoming event asks start-rollout to do. */
export type Trigger =
  | { kind: 'image-available'; imageArn: string; region: string; account: string }
  | { kind: 'image-failed'; imageArn: string; status: string; reason: string }
  | { kind: 'image-other-state'; imageArn: string; status: string }
  | { kind: 'ssm-latest' }
  | { kind: 'malformed'; reason: string };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads an EventBridge event: an Image Builder image state change, or the scheduled `{"mode":"ssm-latest"}`. */
export function parseTrigger(event: unknown): Trigger {
  if (isRecord(event) && 'mode' in event) {
    const scheduled = ssmLatestTriggerSchema.safeParse(event);
    return scheduled.success
      ? { kind: 'ssm-latest' }
      : { kind: 'malformed', reason: `Invalid scheduled input: ${describeIssues(scheduled.error)}.` };
  }
  const parsed = imageStateChangeSchema.safeParse(event);
  if (!parsed.success) {
    return {
      kind: 'malformed',
      reason: `Neither an Image Builder image state change nor {"mode":"ssm-latest"}: ${describeIssues(parsed.error)}.`,
    };
  }
  const { resources, detail, region, account } = parsed.data;
  const imageArn = resources[0];
  const { status, reason } = detail.state;
  switch (status) {
    case 'AVAILABLE':
      return { kind: 'image-available', imageArn, region, account };
    case 'FAILED':
    case 'CANCELLED':
      return { kind: 'image-failed', imageArn, status, reason: reason ?? 'no reason given' };
    default:
      return { kind: 'image-other-state', imageArn, status };
  }
}

/** The image name in an image ARN (`.../image/<name>/<version>/<build>`). */
export function imageNameFromArn(imageArn: string): string {
  return imageArn.split('/')[1] ?? imageArn;
}

/** `name version/build` from an image ARN, for people to read. */
export function imageLabel(imageArn: string): string {
  const [, name, version, build] = imageArn.split('/');
  return name !== undefined && version !== undefined && build !== undefined
    ? `${name} ${version}/${build}`
    : imageArn;
}

/** One AMI an Image Builder distribution wrote (GetImage `outputResources.amis`). */
export interface DistributedAmi {
  region: string;
  accountId: string;
  amiId: string;
}

/** The AMI for this region and account; the distribution may also write to others. */
export function amiForRegionAndAccount(
  amis: readonly DistributedAmi[],
  region: string,
  accountId: string,
): string | undefined {
  return amis.find((ami) => ami.region === region && ami.accountId === accountId)?.amiId;
}

/** A node group found in a configured cluster, with its tags (not yet known to be enrolled). */
export interface NodeGroupCandidate {
  kind: 'managed' | 'self-managed';
  clusterName: string;
  nodeGroupName: string;
  tags: Readonly<Record<string, string>>;
}

/** An Auto Scaling group with its tags, as DescribeAutoScalingGroups returns it. */
export interface AutoScalingGroupTags {
  autoScalingGroupName: string;
  tags: Readonly<Record<string, string>>;
}

/** Why a node group (or a whole cluster, without `nodeGroupName`) gets no rollout. */
export interface SkippedTarget {
  clusterName: string;
  nodeGroupName?: string;
  reason: string;
}

/**
 * The self-managed node groups among Auto Scaling groups: tagged for exactly one configured cluster
 * (owned|shared) and enrolled. The ASG of a managed node group is skipped with the reason.
 */
export function selfManagedCandidates(
  groups: readonly AutoScalingGroupTags[],
  clusterNames: readonly string[],
): { candidates: NodeGroupCandidate[]; skipped: SkippedTarget[] } {
  const candidates: NodeGroupCandidate[] = [];
  const skipped: SkippedTarget[] = [];
  for (const { autoScalingGroupName, tags } of groups) {
    if (tags[targetTags.enabled] !== 'true') continue;
    const clusters = clusterNames.filter((name) =>
      clusterTagValues.includes(tags[`${clusterTagPrefix}${name}`] ?? ''),
    );
    const [clusterName, ...others] = clusters;
    if (clusterName === undefined) continue;
    const managedBy = tags[managedNodeGroupAsgTag];
    if (managedBy !== undefined) {
      skipped.push({
        clusterName,
        nodeGroupName: autoScalingGroupName,
        reason: `Auto Scaling group of the EKS managed node group ${managedBy}: ${managedNodeGroupsByTheirTags}`,
      });
    } else if (others.length > 0) {
      skipped.push({
        clusterName,
        nodeGroupName: autoScalingGroupName,
        reason: `Auto Scaling group tagged for several clusters (${clusters.join(', ')}): keep one ${clusterTagPrefix}<cluster> tag.`,
      });
    } else {
      candidates.push({ kind: 'self-managed', clusterName, nodeGroupName: autoScalingGroupName, tags });
    }
  }
  return { candidates, skipped };
}

export const ssmVariants = ['2019-Core', '2019-Full', '2022-Core', '2022-Full'] as const;
export type SsmVariant = (typeof ssmVariants)[number];

/** Per-target execution input knobs read from tags. */
export interface RolloutKnobs {
  maxUnavailable?: number;
  drainTimeoutSeconds?: number;
}

/** An enrolled node group and what it follows. */
export interface Target {
  kind: NodeGroupCandidate['kind'];
  clusterName: string;
  nodeGroupName: string;
  /** The Image Builder image name it follows, if any. */
  imageName?: string;
  /** The EKS-optimized Windows AMI it follows in the SSM mode, if any. */
  ssmVariant?: SsmVariant;
  knobs: RolloutKnobs;
}

export type CandidateVerdict =
  | { verdict: 'not-enrolled' }
  | { verdict: 'target'; target: Target }
  | { verdict: 'skipped'; skipped: SkippedTarget };

const knobSchemas = {
  maxUnavailable: rolloutInputSchema.shape.maxUnavailable.unwrap(),
  drainTimeoutSeconds: rolloutInputSchema.shape.drainTimeoutSeconds.unwrap(),
} as const;

/** A tag value as the knob's number, or the sentence that says what is wrong with it. */
function readKnob(
  tags: Readonly<Record<string, string>>,
  knob: keyof typeof knobSchemas,
): { value?: number } | { problem: string } {
  const raw = tags[targetTags[knob]];
  if (raw === undefined) return {};
  const tag = `tag ${targetTags[knob]}=${JSON.stringify(raw)}`;
  if (!/^\d+$/.test(raw.trim())) return { problem: `${tag} must be a whole number.` };
  const parsed = knobSchemas[knob].safeParse(Number(raw.trim()));
  return parsed.success ? { value: parsed.data } : { problem: `${tag} ${describeIssues(parsed.error)}.` };
}

function readSsmVariant(raw: string): SsmVariant | undefined {
  return ssmVariants.find((variant) => variant.toLowerCase() === raw.trim().toLowerCase());
}

/**
 * Whether a candidate is enrolled and, if so, what it follows; a node group with a bad tag value is
 * skipped, with the reason. Managed and self-managed node groups are enrolled alike, by their own tags.
 */
export function classifyCandidate(candidate: NodeGroupCandidate): CandidateVerdict {
  const { tags, clusterName, nodeGroupName, kind } = candidate;
  if (tags[targetTags.enabled] !== 'true') return { verdict: 'not-enrolled' };
  const skip = (reason: string): CandidateVerdict => ({
    verdict: 'skipped',
    skipped: { clusterName, nodeGroupName, reason },
  });
  const maxUnavailable = readKnob(tags, 'maxUnavailable');
  if ('problem' in maxUnavailable) return skip(maxUnavailable.problem);
  const drainTimeoutSeconds = readKnob(tags, 'drainTimeoutSeconds');
  if ('problem' in drainTimeoutSeconds) return skip(drainTimeoutSeconds.problem);

  const imageName = tags[targetTags.imageName]?.trim() || undefined;
  const rawVariant = tags[targetTags.ssmVariant];
  const ssmVariant = rawVariant === undefined ? undefined : readSsmVariant(rawVariant);
  if (rawVariant !== undefined && ssmVariant === undefined) {
    return skip(
      `tag ${targetTags.ssmVariant}=${JSON.stringify(rawVariant)} must be one of ${ssmVariants.join(', ')}.`,
    );
  }
  if (imageName !== undefined && ssmVariant !== undefined) {
    // Alternating between a pipeline's AMI and the stock AMI would replace every node twice a month.
    return skip(
      `tags ${targetTags.imageName} and ${targetTags.ssmVariant} are both set: keep the one the group follows.`,
    );
  }

  const knobs: RolloutKnobs = {};
  if (maxUnavailable.value !== undefined) knobs.maxUnavailable = maxUnavailable.value;
  if (drainTimeoutSeconds.value !== undefined) knobs.drainTimeoutSeconds = drainTimeoutSeconds.value;
  const target: Target = { kind, clusterName, nodeGroupName, knobs };
  if (imageName !== undefined) target.imageName = imageName;
  if (ssmVariant !== undefined) target.ssmVariant = ssmVariant;
  return { verdict: 'target', target };
}

/** Splits candidates into targets and skipped ones; candidates not enrolled are left out. */
export function classifyCandidates(candidates: readonly NodeGroupCandidate[]): {
  targets: Target[];
  skipped: SkippedTarget[];
} {
  const targets: Target[] = [];
  const skipped: SkippedTarget[] = [];
  for (const candidate of candidates) {
    const verdict = classifyCandidate(candidate);
    if (verdict.verdict === 'target') targets.push(verdict.target);
    if (verdict.verdict === 'skipped') skipped.push(verdict.skipped);
  }
  return { targets, skipped };
}

const executionNameMaxLength = 80;
const digestLength = 16;

/**
 * The execution name of the rollout of one node group to one AMI: the same on every delivery of the
 * same event, so Step Functions refuses a second one. Readable prefix, then a hash of all three.
 */
export function executionName(clusterName: string, nodeGroupName: string, amiId: string): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([clusterName, nodeGroupName, amiId]))
    .digest('hex')
    .slice(0, digestLength);
  const safe = (text: string) => text.replace(/[^0-9A-Za-z_-]/g, '-');
  const ami = safe(amiId).slice(0, 21);
  const room = executionNameMaxLength - ami.length - digestLength - 2;
  const group = safe(nodeGroupName).slice(0, room) || 'rollout';
  return `${group}-${ami}-${digest}`;
}

/** The execution input start-rollout sends; the validate step applies the defaults. */
export type RolloutRequest = z.input<typeof rolloutInputSchema>;

/** One execution to start. */
export interface RolloutLaunch {
  clusterName: string;
  nodeGroupName: string;
  amiId: string;
  executionName: string;
  input: RolloutRequest;
}

export interface RolloutPlan {
  launches: RolloutLaunch[];
  skipped: SkippedTarget[];
}

type LaunchVerdict = { launch: RolloutLaunch } | { skipped: SkippedTarget };

function launchFor(target: Target, amiId: string): LaunchVerdict {
  const { clusterName, nodeGroupName } = target;
  const input: RolloutRequest = { clusterName, nodeGroupName, amiId, ...target.knobs };
  const checked = rolloutInputSchema.safeParse(input);
  if (!checked.success) {
    return {
      skipped: {
        clusterName,
        nodeGroupName,
        reason: `Execution input would be refused: ${describeIssues(checked.error)}.`,
      },
    };
  }
  return {
    launch: {
      clusterName,
      nodeGroupName,
      amiId,
      executionName: executionName(clusterName, nodeGroupName, amiId),
      input,
    },
  };
}

const byClusterThenGroup = (a: { clusterName: string; nodeGroupName?: string }, b: typeof a) =>
  a.clusterName.localeCompare(b.clusterName) || (a.nodeGroupName ?? '').localeCompare(b.nodeGroupName ?? '');

function plan(
  targets: readonly Target[],
  amiFor: (target: Target) => { amiId: string } | { reason: string },
): RolloutPlan {
  const launches: RolloutLaunch[] = [];
  const skipped: SkippedTarget[] = [];
  for (const target of targets) {
    const choice = amiFor(target);
    const verdict: LaunchVerdict =
      'amiId' in choice
        ? launchFor(target, choice.amiId)
        : {
            skipped: {
              clusterName: target.clusterName,
              nodeGroupName: target.nodeGroupName,
              reason: choice.reason,
            },
          };
    if ('launch' in verdict) launches.push(verdict.launch);
    else skipped.push(verdict.skipped);
  }
  return { launches: launches.sort(byClusterThenGroup), skipped: skipped.sort(byClusterThenGroup) };
}

/** One rollout per target that follows this Image Builder image. */
export function planImageRollouts(
  targets: readonly Target[],
  image: { name: string; amiId: string },
): RolloutPlan {
  return plan(targets, (target) => {
    if (target.imageName === image.name) return { amiId: image.amiId };
    if (target.imageName !== undefined)
      return { reason: `Follows image ${target.imageName}, not ${image.name}.` };
    if (target.ssmVariant !== undefined) {
      return {
        reason: `Follows the EKS-optimized AMI (${targetTags.ssmVariant}), not an Image Builder image.`,
      };
    }
    return { reason: `No ${targetTags.imageName} tag: follows no Image Builder image.` };
  });
}

/** The public SSM parameter that holds the latest EKS-optimized Windows AMI of a variant and Kubernetes version. */
export function ssmParameterName(variant: SsmVariant, kubernetesVersion: string): string {
  const [year, edition] = variant.split('-');
  return `/aws/service/ami-windows-latest/Windows_Server-${year}-English-${edition}-EKS_Optimized-${kubernetesVersion}/image_id`;
}

/** The SSM parameters the SSM mode needs: one per target that follows one, in a cluster whose version is known. */
export function ssmParameterNames(
  targets: readonly Target[],
  kubernetesVersions: ReadonlyMap<string, string>,
): string[] {
  const names = new Set<string>();
  for (const { ssmVariant, clusterName } of targets) {
    const version = kubernetesVersions.get(clusterName);
    if (ssmVariant !== undefined && version !== undefined) names.add(ssmParameterName(ssmVariant, version));
  }
  return [...names].sort();
}

/** One rollout per target that follows an SSM variant, to the latest AMI of its cluster's Kubernetes version. */
export function planSsmRollouts(
  targets: readonly Target[],
  kubernetesVersions: ReadonlyMap<string, string>,
  latestAmis: ReadonlyMap<string, string>,
): RolloutPlan {
  return plan(targets, (target) => {
    if (target.ssmVariant === undefined) {
      return target.imageName === undefined
        ? { reason: `No ${targetTags.ssmVariant} tag: follows no EKS-optimized AMI.` }
        : { reason: `Follows image ${target.imageName}, not the EKS-optimized AMI.` };
    }
    const version = kubernetesVersions.get(target.clusterName);
    if (version === undefined)
      return { reason: `Kubernetes version of cluster ${target.clusterName} unknown.` };
    const parameter = ssmParameterName(target.ssmVariant, version);
    const amiId = latestAmis.get(parameter);
    return amiId === undefined
      ? {
          reason: `SSM parameter ${parameter} not found: no EKS-optimized ${target.ssmVariant} AMI for Kubernetes ${version}.`,
        }
      : { amiId };
  });
}

/** The clusters of the deployment from `CLUSTER_NAMES` (comma-separated); a bad value fails at cold start. */
export function parseClusterNames(value: string): string[] {
  const names = [
    ...new Set(
      value
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== ''),
    ),
  ];
  if (names.length === 0)
    throw new Error('CLUSTER_NAMES names no cluster: set it to a comma-separated list.');
  for (const name of names) {
    if (!clusterNameSchema.safeParse(name).success) {
      throw new Error(`CLUSTER_NAMES contains ${JSON.stringify(name)}, which is not an EKS cluster name.`);
    }
  }
  return names;
}

/** Why a trigger started nothing although it named an AMI (or the SSM mode ran). */
export function nothingToRollReason(
  clusterNames: readonly string[],
  followed: string,
  skippedCount: number,
): string {
  return skippedCount === 0
    ? `No node group in cluster ${clusterNames.join(', ')} is tagged ${targetTags.enabled}=true.`
    : `No node group rolls to ${followed}: ${skippedCount} skipped, each with its reason.`;
}

/** A message for the notification topic. */
export interface Announcement {
  subject: string;
  body: string;
}

export function imageFailedAnnouncement(imageArn: string, status: string, reason: string): Announcement {
  return {
    subject: `EKS Windows patcher: image ${imageLabel(imageArn)} ${status}`,
    body:
      `Image Builder image ${imageArn} ended ${status}: ${reason}\n` +
      'No rollout was started. Fix the pipeline (its log is in the image workflow) and run it again.',
  };
}

export function noAmiAnnouncement(
  image: { arn: string; amis: readonly DistributedAmi[] },
  region: string,
  accountId: string,
): Announcement {
  const elsewhere =
    image.amis.map((ami) => `${ami.amiId} (${ami.region}, ${ami.accountId})`).join(', ') || 'none';
  return {
    subject: `EKS Windows patcher: image ${imageLabel(image.arn)} has no AMI in ${region}`,
    body:
      `Image Builder image ${image.arn} is AVAILABLE but distributed no AMI to account ${accountId} in ${region} ` +
      `(its AMIs: ${elsewhere}).\nNo rollout was started. Add this region and account to the distribution configuration.`,
  };
}
