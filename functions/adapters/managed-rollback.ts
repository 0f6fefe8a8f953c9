import type { EC2Client } from '@aws-sdk/client-ec2';
import type { EKSClient } from '@aws-sdk/client-eks';
import type { Plan, RolloutGroup } from '../commons/state.ts';
import { eksCordonsToUndo, eksReplacementLabel } from '../domain/managed.ts';
import { describeAmi, describeLaunchTemplateVersions } from './ec2.ts';
import type { KubernetesPort } from './kubernetes/port.ts';
import { describeManagedNodegroup, startVersionUpdate, tokenOf } from './managed-node-group.ts';

/**
 * After a failed rollout of a managed node group (EKS undoes nothing): the nodes EKS cordoned for
 * replacement are made schedulable again, and the group goes back to its previous launch template
 * version through EKS (which then replaces the new nodes the same way: the update returned, for the
 * state machine to follow). A group on an EKS release cannot go back: EKS does not allow it, and the
 * actions say so. Safe to repeat.
 */
export async function rollBackManagedGroup(
  deps: { eks: EKSClient; ec2: EC2Client },
  kubernetes: KubernetesPort,
  state: { clusterName: string; executionId: string; group: RolloutGroup | undefined; plan: Plan },
  nodegroupName: string,
): Promise<{ actions: string[]; revert?: { updateId: string; previousAmiId: string } }> {
  const { clusterName, group, plan } = state;
  const actions: string[] = [];
  const planned = new Set(plan.batches.flatMap((batch) => batch.nodes.map((node) => node.nodeName)));
  for (const name of eksCordonsToUndo(await kubernetes.listNodes(), planned)) {
    await kubernetes.patchNode(name, { unschedulable: false, labels: { [eksReplacementLabel]: null } });
    actions.push(`uncordoned ${name} (cordoned by EKS's failed update)`);
  }
  const current = await describeManagedNodegroup(deps.eks, clusterName, nodegroupName);
  if (!group || !current) return { actions };
  if (!current.launchTemplate) {
    if (current.releaseVersion === group.targetVersion && group.previousVersion !== group.targetVersion) {
      actions.push(
        `node group left on release ${group.targetVersion}: EKS does not roll a node group back to an earlier AMI release ` +
          `(${group.previousVersion}); its nodes not yet replaced keep running it until the next rollout`,
      );
    }
    return { actions };
  }
  if (
    current.launchTemplate.version !== group.targetVersion ||
    group.previousVersion === group.targetVersion
  ) {
    return { actions };
  }
  const [previous] = await describeLaunchTemplateVersions(deps.ec2, current.launchTemplate.id, [
    group.previousVersion,
  ]);
  const previousAmi = previous?.imageId ? await describeAmi(deps.ec2, previous.imageId) : undefined;
  if (previousAmi?.state !== 'available') {
    actions.push(
      `launch template left on version ${group.targetVersion}: the previous AMI ${previous?.imageId ?? '(unknown)'} no longer exists`,
    );
    return { actions };
  }
  if (current.status !== 'ACTIVE') {
    actions.push(
      `node group not rolled back: EKS is still updating it (status ${current.status}); once it ends, update it to ` +
        `launch template ${current.launchTemplate.id} version ${group.previousVersion} (aws eks update-nodegroup-version)`,
    );
    return { actions };
  }
  const updateId = await startVersionUpdate(deps.eks, {
    clusterName,
    nodegroupName,
    launchTemplate: { id: current.launchTemplate.id, version: group.previousVersion },
    force: false,
    token: tokenOf(state.executionId, 'rollback', group.previousVersion),
  });
  actions.push(
    `launch template ${current.launchTemplate.id} back to version ${group.previousVersion} through EKS (update ${updateId}: ` +
      'EKS replaces the new nodes with nodes of that version, with its own 15-minute limits; the execution follows it until it ends)',
  );
  return { actions, revert: { updateId, previousAmiId: previous?.imageId ?? '' } };
}
