import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { DescribeNodegroupCommand, type EKSClient, paginateListNodegroups } from '@aws-sdk/client-eks';
import { GetParametersCommand, type SSMClient } from '@aws-sdk/client-ssm';
import { NodeGroupNotFound } from '../commons/errors.ts';
import {
  type NodeGroupCandidate,
  type SkippedTarget,
  selfManagedCandidates,
  targetTags,
} from '../domain/targets.ts';
import { groupsWithTagKey } from './autoscaling.ts';
import { clusterVersion } from './node-group.ts';

const isMissing = (error: unknown) => (error as Error).name === 'ResourceNotFoundException';

/** The managed node groups of a cluster with their tags; undefined when the cluster does not exist. */
async function managedNodeGroups(
  eks: EKSClient,
  clusterName: string,
): Promise<NodeGroupCandidate[] | undefined> {
  const names: string[] = [];
  try {
    for await (const page of paginateListNodegroups({ client: eks }, { clusterName })) {
      names.push(...(page.nodegroups ?? []));
    }
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
  const candidates: NodeGroupCandidate[] = [];
  for (const nodeGroupName of names) {
    try {
      const { nodegroup } = await eks.send(
        new DescribeNodegroupCommand({ clusterName, nodegroupName: nodeGroupName }),
      );
      candidates.push({ kind: 'managed', clusterName, nodeGroupName, tags: nodegroup?.tags ?? {} });
    } catch (error) {
      // Deleted between the list and the describe: nothing to roll.
      if (!isMissing(error)) throw error;
    }
  }
  return candidates;
}

/**
 * Every node group of the configured clusters that could be a target: managed node groups, and Auto
 * Scaling groups carrying our enabled tag (self-managed). A cluster that does not exist is skipped.
 */
export async function findCandidates(
  clients: { eks: EKSClient; autoScaling: AutoScalingClient },
  clusterNames: readonly string[],
): Promise<{ candidates: NodeGroupCandidate[]; skipped: SkippedTarget[] }> {
  const candidates: NodeGroupCandidate[] = [];
  const skipped: SkippedTarget[] = [];
  const existing: string[] = [];
  for (const clusterName of clusterNames) {
    const managed = await managedNodeGroups(clients.eks, clusterName);
    if (managed === undefined) {
      skipped.push({
        clusterName,
        reason: `EKS cluster ${clusterName} does not exist in this account and region.`,
      });
      continue;
    }
    existing.push(clusterName);
    candidates.push(...managed);
  }
  const enrolledGroups = await groupsWithTagKey(clients.autoScaling, targetTags.enabled);
  const selfManaged = selfManagedCandidates(
    enrolledGroups.map(({ asgName, tags }) => ({ autoScalingGroupName: asgName, tags })),
    existing,
  );
  return {
    candidates: [...candidates, ...selfManaged.candidates],
    skipped: [...skipped, ...selfManaged.skipped],
  };
}

/** The Kubernetes version of each cluster that exists; the others are skipped with the reason. */
export async function kubernetesVersions(
  eks: EKSClient,
  clusterNames: readonly string[],
): Promise<{ versions: Map<string, string>; skipped: SkippedTarget[] }> {
  const versions = new Map<string, string>();
  const skipped: SkippedTarget[] = [];
  for (const clusterName of clusterNames) {
    try {
      versions.set(clusterName, await clusterVersion(eks, clusterName));
    } catch (error) {
      if (!(error instanceof NodeGroupNotFound)) throw error;
      skipped.push({ clusterName, reason: error.message });
    }
  }
  return { versions, skipped };
}

/** GetParameters takes at most 10 names per call. */
const parametersPerCall = 10;

/** The value of each SSM parameter that exists (the AMI id for the public EKS AMI parameters). */
export async function parameterValues(
  ssm: SSMClient,
  names: readonly string[],
): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  for (let start = 0; start < names.length; start += parametersPerCall) {
    const { Parameters } = await ssm.send(
      new GetParametersCommand({ Names: names.slice(start, start + parametersPerCall) }),
    );
    for (const { Name, Value } of Parameters ?? []) {
      if (Name !== undefined && Value !== undefined) values.set(Name, Value);
    }
  }
  return values;
}
