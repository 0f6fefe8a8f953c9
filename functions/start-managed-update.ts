import * as z from 'zod';
import { targetVersionOf } from './adapters/launch-template.ts';
import {
  describeManagedNodegroup,
  startConfigUpdate,
  startVersionUpdate,
  tokenOf,
} from './adapters/managed-node-group.ts';
import { ec2Client, eksClient } from './commons/clients.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { NodeGroupNotFound } from './commons/errors.ts';
import { lambdaHandler } from './commons/handler.ts';
import { rolloutInputSchema } from './commons/rollout-input.ts';
import {
  executionSchema,
  planSchema,
  type RolloutGroup,
  rolloutGroupBasis,
  verifiedSchema,
} from './commons/state.ts';
import {
  managedGroupRefusal,
  managedUpdateDeadline,
  nodesAtOnce,
  updateConfigChange,
} from './domain/managed.ts';

const event = z.object({
  input: rolloutInputSchema,
  execution: executionSchema,
  verified: verifiedSchema,
  plan: planSchema,
});

type Deps = Pick<Dependencies, 'ec2' | 'eks' | 'now'>;

/**
 * Starts what EKS must do next for a managed node group: its updateConfig first when it differs from
 * the input's (maxUnavailable or updateConfig), else UpdateNodegroupVersion to a new version of its own launch template
 * (only ImageId changed) or to the target AMI's EKS release. The group's Auto Scaling group is never
 * touched: EKS owns it. Safe to repeat.
 */
export const makeHandler = (deps: Deps) =>
  lambdaHandler(event, async ({ input, execution, verified, plan }): Promise<RolloutGroup> => {
    const facts = verified.group.managed;
    const { clusterName } = input;
    const nodegroupName = facts?.nodegroupName ?? input.nodeGroupName;
    const group = await describeManagedNodegroup(deps.eks, clusterName, nodegroupName);
    if (!facts || !group) {
      throw new NodeGroupNotFound(`Managed node group ${nodegroupName} disappeared before the rollout.`);
    }
    const refusal = managedGroupRefusal(group);
    if (refusal) throw refusal;
    const now = deps.now();
    const nodes = plan.nodesToReplace + plan.nodesOnTarget;
    const wait = {
      done: false,
      seconds: 30,
      since: now,
      // The group cannot span more zones than it has nodes: a bound on EKS's surge.
      deadline: managedUpdateDeadline(
        now,
        plan.nodesToReplace,
        nodesAtOnce(input, nodes),
        Math.max(1, nodes),
      ),
      nodesOnTarget: plan.nodesOnTarget,
      nodes,
    };
    // EKS names a launch template version by its number.
    const base = { ...rolloutGroupBasis(input.amiId, verified, plan), reference: 'number' as const };
    const config = updateConfigChange(group.updateConfig, input);
    if (config) {
      const id = await startConfigUpdate(deps.eks, {
        clusterName,
        nodegroupName,
        updateConfig: config,
        token: tokenOf(execution.id, 'config', JSON.stringify(config)),
      });
      // Nothing rolls yet: the template and release are what they were.
      return {
        ...base,
        launchTemplateId: verified.group.launchTemplateId,
        previousVersion: facts.launchTemplate?.version ?? facts.releaseVersion ?? '',
        targetVersion: facts.launchTemplate?.version ?? facts.releaseVersion ?? '',
        managed: { nodegroupName, update: { ...wait, id, type: 'ConfigUpdate', seconds: 10 } },
      };
    }
    if (facts.launchTemplate) {
      const { targetVersion, previousVersion } = await targetVersionOf(
        deps.ec2,
        facts.launchTemplate.id,
        facts.launchTemplate.version,
        input.amiId,
        execution.name,
      );
      const alreadyThere =
        group.launchTemplate?.version === String(targetVersion) && plan.nodesToReplace === 0;
      const id = alreadyThere
        ? ''
        : await startVersionUpdate(deps.eks, {
            clusterName,
            nodegroupName,
            launchTemplate: { id: facts.launchTemplate.id, version: String(targetVersion) },
            force: input.overridePdbAfterTimeout,
            token: tokenOf(execution.id, 'version', String(targetVersion)),
          });
      return {
        ...base,
        launchTemplateId: facts.launchTemplate.id,
        previousVersion: String(previousVersion),
        targetVersion: String(targetVersion),
        managed: { nodegroupName, update: { ...wait, id, type: 'VersionUpdate', done: alreadyThere } },
      };
    }
    const release = facts.targetReleaseVersion ?? '';
    const alreadyThere = group.releaseVersion === release && plan.nodesToReplace === 0;
    const id = alreadyThere
      ? ''
      : await startVersionUpdate(deps.eks, {
          clusterName,
          nodegroupName,
          releaseVersion: release,
          force: input.overridePdbAfterTimeout,
          token: tokenOf(execution.id, 'release', release),
        });
    return {
      ...base,
      launchTemplateId: verified.group.launchTemplateId,
      previousVersion: facts.releaseVersion ?? '',
      targetVersion: release,
      managed: { nodegroupName, update: { ...wait, id, type: 'VersionUpdate', done: alreadyThere } },
    };
  });

export const handler = makeHandler({ ec2: ec2Client(), eks: eksClient(), now: Date.now });
