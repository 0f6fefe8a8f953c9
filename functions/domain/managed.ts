import type { V1Node, V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import {
  ManagedGroupNeedsLaunchTemplate,
  ManagedUpdateFailed,
  NodeCreationFailure,
  NodeGroupUnhealthy,
  PodEvictionFailure,
  type RolloutError,
} from '../commons/errors.ts';
import type { UpdateConfig } from '../commons/state.ts';
import { nodeName, podKey } from './nodes.ts';
import { pollSpacing } from './polling.ts';
import { pdbName, pdbsOf } from './preflight.ts';

/**
 * EKS bounds each step of a managed node group update by 15 minutes: new nodes Ready, a node's pods
 * evicted ("Understand each phase of node updates", EKS User Guide).
 */
export const eksStepLimitSeconds = 15 * 60;

/**
 * What predicts EKS's own PodEvictionFailure among the pods it will evict (refused unless the PDB override): a
 * PDB that allows no disruption right now (EKS waits 15 minutes for it, then fails, and undoes
 * nothing), and a grace period longer than those 15 minutes.
 */
export function eksDrainRisks(pods: V1Pod[], pdbs: V1PodDisruptionBudget[]): string[] {
  const stuck = new Map<string, V1PodDisruptionBudget>();
  for (const pod of pods) {
    for (const pdb of pdbsOf(pod, pdbs)) {
      if ((pdb.status?.disruptionsAllowed ?? 0) < 1) stuck.set(pdbName(pdb), pdb);
    }
  }
  const budgets = [...stuck.keys()].map(
    (name) =>
      `PDB ${name} allows no disruption right now: EKS would wait 15 minutes for it, then fail the update (PodEvictionFailure)`,
  );
  const slow = pods
    .filter((pod) => (pod.spec?.terminationGracePeriodSeconds ?? 30) >= eksStepLimitSeconds)
    .map(
      (pod) =>
        `pod ${podKey(pod)} has a ${pod.spec?.terminationGracePeriodSeconds} s grace period: EKS's 15 minutes per node end before it stops (PodEvictionFailure)`,
    );
  return [...budgets, ...slow];
}

/** A managed node group as DescribeNodegroup shows it, reduced to what the rollout decides on. */
export interface ManagedNodegroupFacts {
  nodegroupName: string;
  status: string;
  amiType: string;
  releaseVersion: string | undefined;
  launchTemplate: { id: string; version: string } | undefined;
  updateConfig: UpdateConfig;
  healthIssues: { code: string; message: string; resourceIds: string[] }[];
}

/** Why EKS would refuse or fail an update of this group right now; undefined when it may start. */
export function managedGroupRefusal(group: ManagedNodegroupFacts): RolloutError | undefined {
  if (group.healthIssues.length > 0) {
    const issues = group.healthIssues
      .map((issue) => `${issue.code} (${issue.resourceIds.join(', ')}): ${issue.message}`)
      .join('; ');
    return new NodeGroupUnhealthy(
      `Managed node group ${group.nodegroupName} reports health issues: ${issues}. EKS fails updates of an unhealthy ` +
        'group: fix them first (e.g. point its Auto Scaling group back at the launch template version EKS set; never edit it directly), then run the rollout again.',
    );
  }
  if (group.status !== 'ACTIVE') {
    return new NodeGroupUnhealthy(
      `Managed node group ${group.nodegroupName} is ${group.status}, not ACTIVE: EKS takes no update now. ` +
        'Wait until its current operation ends (aws eks list-updates), then run the rollout again.',
    );
  }
  return undefined;
}

/** `Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.11.12`: an EKS-optimized Windows AMI. */
const eksWindowsAmiName =
  /^Windows_Server-(\d{4})-English-(Core|Full)-EKS_Optimized-(\d+\.\d+)-(\d{4}\.\d{2}\.\d{2})$/;

/**
 * The EKS release of an EKS-optimized Windows AMI ("Amazon EKS optimized Windows AMI versions":
 * `1.31-2026.11.12`) and the managed node group AMI type it belongs to; undefined for any other AMI.
 */
export function eksReleaseOfAmi(amiName: string): { releaseVersion: string; amiType: string } | undefined {
  const match = eksWindowsAmiName.exec(amiName);
  if (match === null) return undefined;
  const [, year, edition = '', kubernetes, date] = match;
  return {
    releaseVersion: `${kubernetes}-${date}`,
    amiType: `WINDOWS_${edition.toUpperCase()}_${year}_x86_64`,
  };
}

const dateOf = (releaseVersion: string) => releaseVersion.replace(/^[\d.]+-/, '');

/**
 * The release to update a group without a launch template to, or the refusal: EKS moves such a group
 * only to EKS-optimized AMIs of its own AMI type, and never back to an earlier release.
 */
export function releaseTarget(
  group: Pick<ManagedNodegroupFacts, 'nodegroupName' | 'amiType' | 'releaseVersion'>,
  ami: { amiId: string; name: string },
): { targetReleaseVersion: string } | { refusal: RolloutError } {
  const release = eksReleaseOfAmi(ami.name);
  const howToMove =
    'EKS can give a launch template only to a node group created with one: create a managed node group from a launch ' +
    `template whose ImageId is ${ami.amiId}, tag it eks-windows-patcher/enabled=true, move the workloads, and delete ` +
    `${group.nodegroupName}; from then on this service rolls it to each new AMI.`;
  if (release === undefined) {
    return {
      refusal: new ManagedGroupNeedsLaunchTemplate(
        `AMI ${ami.amiId} (${ami.name}) is not an EKS-optimized Windows AMI, and managed node group ${group.nodegroupName} ` +
          `has no launch template (AMI type ${group.amiType}): EKS moves it only to EKS-optimized releases. ${howToMove}`,
      ),
    };
  }
  if (release.amiType !== group.amiType) {
    return {
      refusal: new ManagedGroupNeedsLaunchTemplate(
        `AMI ${ami.amiId} is of AMI type ${release.amiType}, and managed node group ${group.nodegroupName} keeps its ` +
          `AMI type ${group.amiType} for life. ${howToMove}`,
      ),
    };
  }
  if (group.releaseVersion !== undefined && dateOf(release.releaseVersion) < dateOf(group.releaseVersion)) {
    return {
      refusal: new ManagedUpdateFailed(
        `AMI ${ami.amiId} is release ${release.releaseVersion}, older than the ${group.releaseVersion} that managed node ` +
          `group ${group.nodegroupName} runs: EKS does not roll a node group back to an earlier AMI release. Choose a newer AMI.`,
      ),
    };
  }
  return { targetReleaseVersion: release.releaseVersion };
}

/** What the rollout input asks of a managed group's updateConfig. */
export interface WantedUpdateConfig {
  maxUnavailable: number;
  updateConfig?: { maxUnavailablePercentage?: number; updateStrategy?: 'DEFAULT' | 'MINIMAL' };
}

/**
 * The updateConfig to set first, when the group's differs from the input's: the count or the
 * percentage (EKS keeps exactly one), and the strategy when the input names one.
 */
export function updateConfigChange(
  current: UpdateConfig,
  wanted: WantedUpdateConfig,
): UpdateConfig | undefined {
  const percentage = wanted.updateConfig?.maxUnavailablePercentage;
  const strategy = wanted.updateConfig?.updateStrategy;
  const pace =
    percentage === undefined
      ? { maxUnavailable: wanted.maxUnavailable }
      : { maxUnavailablePercentage: percentage };
  const samePace =
    current.maxUnavailable === pace.maxUnavailable &&
    current.maxUnavailablePercentage === pace.maxUnavailablePercentage;
  // EKS reports DEFAULT for a group that never had a strategy set.
  const sameStrategy = strategy === undefined || (current.updateStrategy ?? 'DEFAULT') === strategy;
  return samePace && sameStrategy
    ? undefined
    : { ...pace, ...(strategy === undefined ? {} : { updateStrategy: strategy }) };
}

/** How many nodes EKS takes at once under that config (a percentage of the nodes, at least one). */
export function nodesAtOnce(wanted: WantedUpdateConfig, nodes: number): number {
  const percentage = wanted.updateConfig?.maxUnavailablePercentage;
  return percentage === undefined
    ? wanted.maxUnavailable
    : Math.max(1, Math.floor((nodes * percentage) / 100));
}

/**
 * Until when EKS's update may run: each of its steps has 15 minutes (scale up, each round of
 * maxUnavailable nodes, each surge node scaled in), and we allow 20 minutes for each.
 */
export function managedUpdateDeadline(
  startedAt: number,
  nodes: number,
  maxUnavailable: number,
  zones: number,
): number {
  const rounds = Math.ceil(nodes / maxUnavailable);
  const surge = Math.max(2 * zones, maxUnavailable);
  const steps = 1 + rounds + surge;
  return startedAt + steps * (eksStepLimitSeconds + 300) * 1000;
}

/** The Wait before the next DescribeUpdate: paced by the time already waited, at most 2 minutes, never past the deadline. */
export function managedUpdatePoll(since: number, deadline: number, now: number): number {
  const spacing = Math.min(120, pollSpacing((now - since) / 1000, 30));
  return Math.max(1, Math.min(spacing, Math.ceil((deadline - now) / 1000)));
}

export interface EksUpdateError {
  errorCode: string;
  errorMessage: string;
  resourceIds: string[];
}

/**
 * A failed EKS update as the error the execution ends with: EKS's own code when it is one of its
 * 15-minute limits, naming the nodes and the pods still on them, and what to do.
 */
export function updateFailure(
  nodegroupName: string,
  updateId: string,
  errors: EksUpdateError[],
  podsOn: (resourceId: string) => string[],
): RolloutError {
  const described = errors
    .map((error) => {
      const pods = error.resourceIds.flatMap(podsOn);
      return (
        `${error.errorCode}: ${error.errorMessage} (${error.resourceIds.join(', ') || 'no resource named'}` +
        `${pods.length > 0 ? `; pods still there: ${pods.join(', ')}` : ''})`
      );
    })
    .join('; ');
  const what = `EKS's update ${updateId} of managed node group ${nodegroupName} failed: ${described || 'no error reported'}.`;
  const codes = new Set(errors.map((error) => error.errorCode));
  if (codes.has('PodEvictionFailure')) {
    return new PodEvictionFailure(
      `${what} EKS gives a node's pods 15 minutes, fixed: relax the PodDisruptionBudget or fix the pods' readiness, ` +
        "or start again with overridePdbAfterTimeout (EKS's force: it then terminates the node with its pods).",
    );
  }
  if (codes.has('NodeCreationFailure')) {
    return new NodeCreationFailure(
      `${what} EKS gives new nodes 15 minutes, fixed, to be Ready: check the AMI and the launch template (bootstrap, ` +
        'instance profile, subnets), make Windows boot faster (EC2 Fast Launch), then run the rollout again.',
    );
  }
  return new ManagedUpdateFailed(`${what} Fix what EKS names, then run the rollout again.`);
}

/** The label EKS puts on the nodes it is about to replace, with the cordon (scale up phase). */
export const eksReplacementLabel = 'node.kubernetes.io/exclude-from-external-load-balancers';

/**
 * The nodes a failed EKS update left cordoned that the rollout planned to replace: EKS undoes nothing,
 * so the rollback makes them schedulable again (and back in the load balancers).
 */
export function eksCordonsToUndo(nodes: V1Node[], plannedNodes: ReadonlySet<string>): string[] {
  return nodes.flatMap((node) => {
    const name = nodeName(node);
    const marked = node.spec?.unschedulable && node.metadata?.labels?.[eksReplacementLabel] === 'true';
    return marked && plannedNodes.has(name) ? [name] : [];
  });
}
