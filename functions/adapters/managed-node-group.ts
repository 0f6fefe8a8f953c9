import { createHash } from 'node:crypto';
import {
  DescribeNodegroupCommand,
  DescribeUpdateCommand,
  type EKSClient,
  type Nodegroup,
  type NodegroupUpdateStrategies,
  UpdateNodegroupConfigCommand,
  UpdateNodegroupVersionCommand,
} from '@aws-sdk/client-eks';
import type { UpdateConfig } from '../commons/state.ts';
import type { EksUpdateError, ManagedNodegroupFacts } from '../domain/managed.ts';

/** The same token for the same request of the same execution: EKS returns the update it started. */
export const tokenOf = (...parts: string[]) =>
  createHash('sha256').update(parts.join('/')).digest('hex').slice(0, 32);

const isMissing = (error: unknown) => (error as Error).name === 'ResourceNotFoundException';

export interface ManagedNodegroup extends ManagedNodegroupFacts {
  /** The node group's own ARN: what the rollout lock is keyed on (EKS owns the Auto Scaling group). */
  nodegroupArn: string | undefined;
  autoScalingGroupName: string | undefined;
}

const toFacts = (group: Nodegroup): ManagedNodegroup => ({
  nodegroupName: group.nodegroupName ?? '',
  status: group.status ?? 'UNKNOWN',
  amiType: group.amiType ?? 'CUSTOM',
  releaseVersion: group.releaseVersion,
  launchTemplate: group.launchTemplate?.id
    ? { id: group.launchTemplate.id, version: group.launchTemplate.version ?? '$Default' }
    : undefined,
  updateConfig: {
    maxUnavailable: group.updateConfig?.maxUnavailable,
    maxUnavailablePercentage: group.updateConfig?.maxUnavailablePercentage,
    updateStrategy: group.updateConfig?.updateStrategy,
  },
  healthIssues: (group.health?.issues ?? []).map((issue) => ({
    code: issue.code ?? 'Unknown',
    message: issue.message ?? '',
    resourceIds: issue.resourceIds ?? [],
  })),
  nodegroupArn: group.nodegroupArn,
  autoScalingGroupName: group.resources?.autoScalingGroups?.[0]?.name,
});

/** The managed node group of that name, or undefined when the cluster has none. */
export async function describeManagedNodegroup(
  eks: EKSClient,
  clusterName: string,
  nodegroupName: string,
): Promise<ManagedNodegroup | undefined> {
  try {
    const { nodegroup } = await eks.send(new DescribeNodegroupCommand({ clusterName, nodegroupName }));
    return nodegroup ? toFacts(nodegroup) : undefined;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

/**
 * UpdateNodegroupVersion to a launch template version or an EKS-optimized release; the token makes a
 * retried call return the same update instead of starting a second one.
 */
export async function startVersionUpdate(
  eks: EKSClient,
  request: {
    clusterName: string;
    nodegroupName: string;
    launchTemplate?: { id: string; version: string };
    releaseVersion?: string;
    force: boolean;
    token: string;
  },
): Promise<string> {
  const { update } = await eks.send(
    new UpdateNodegroupVersionCommand({
      clusterName: request.clusterName,
      nodegroupName: request.nodegroupName,
      launchTemplate: request.launchTemplate,
      releaseVersion: request.releaseVersion,
      force: request.force || undefined,
      clientRequestToken: request.token,
    }),
  );
  return update?.id ?? '';
}

export async function startConfigUpdate(
  eks: EKSClient,
  request: { clusterName: string; nodegroupName: string; updateConfig: UpdateConfig; token: string },
): Promise<string> {
  const { maxUnavailable, maxUnavailablePercentage, updateStrategy } = request.updateConfig;
  const { update } = await eks.send(
    new UpdateNodegroupConfigCommand({
      clusterName: request.clusterName,
      nodegroupName: request.nodegroupName,
      updateConfig: {
        maxUnavailable,
        maxUnavailablePercentage,
        updateStrategy: updateStrategy as NodegroupUpdateStrategies | undefined,
      },
      clientRequestToken: request.token,
    }),
  );
  return update?.id ?? '';
}

export async function describeUpdate(
  eks: EKSClient,
  request: { clusterName: string; nodegroupName: string; updateId: string },
): Promise<{ status: string; errors: EksUpdateError[] }> {
  const { update } = await eks.send(
    new DescribeUpdateCommand({
      name: request.clusterName,
      nodegroupName: request.nodegroupName,
      updateId: request.updateId,
    }),
  );
  return {
    status: update?.status ?? 'Unknown',
    errors: (update?.errors ?? []).map((error) => ({
      errorCode: error.errorCode ?? 'Unknown',
      errorMessage: error.errorMessage ?? '',
      resourceIds: error.resourceIds ?? [],
    })),
  };
}
