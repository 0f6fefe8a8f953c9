import type { V1Node, V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  eksCordonsToUndo,
  eksDrainRisks,
  eksReleaseOfAmi,
  managedGroupRefusal,
  managedUpdateDeadline,
  managedUpdatePoll,
  nodesAtOnce,
  releaseTarget,
  updateConfigChange,
  updateFailure,
} from '../../functions/domain/managed.ts';

const group = {
  nodegroupName: 'win-a',
  status: 'ACTIVE',
  amiType: 'WINDOWS_CORE_2022_x86_64',
  releaseVersion: '1.31-2026.10.15',
  launchTemplate: undefined,
  updateConfig: { maxUnavailable: 1 },
  healthIssues: [],
};

describe('eksReleaseOfAmi', () => {
  it.each([
    [
      'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.11.12',
      { releaseVersion: '1.31-2026.11.12', amiType: 'WINDOWS_CORE_2022_x86_64' },
    ],
    [
      'Windows_Server-2019-English-Full-EKS_Optimized-1.30-2026.01.14',
      { releaseVersion: '1.30-2026.01.14', amiType: 'WINDOWS_FULL_2019_x86_64' },
    ],
    ['acme-windows-2022-core-eks-1.31-2026.11.12', undefined],
    ['amazon-eks-node-al2023-x86_64-standard-1.31-v20261015', undefined],
  ])('reads %s', (name, expected) => {
    expect(eksReleaseOfAmi(name)).toEqual(expected);
  });
});

describe('releaseTarget', () => {
  const ami = (name: string) => ({ amiId: 'ami-0ccc0000000000003', name });
  it.each([
    [
      'a newer release of its AMI type',
      'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.11.12',
      '1.31-2026.11.12',
    ],
    [
      'the release it runs (a re-run)',
      'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.10.15',
      '1.31-2026.10.15',
    ],
  ])('takes %s', (_, name, release) => {
    expect(releaseTarget(group, ami(name))).toEqual({ targetReleaseVersion: release });
  });

  it.each([
    [
      'a custom AMI',
      'acme-windows-2022',
      'ManagedGroupNeedsLaunchTemplate',
      /create a managed node group from a launch template/,
    ],
    [
      'another AMI type',
      'Windows_Server-2022-English-Full-EKS_Optimized-1.31-2026.11.12',
      'ManagedGroupNeedsLaunchTemplate',
      /keeps its AMI type/,
    ],
    [
      'an earlier release',
      'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.09.10',
      'ManagedUpdateFailed',
      /does not roll a node group back/,
    ],
  ])('refuses %s by name', (_, name, errorName, cause) => {
    const target = releaseTarget(group, ami(name));
    expect('refusal' in target && target.refusal).toMatchObject({
      name: errorName,
      message: expect.stringMatching(cause),
    });
  });
});

describe('managedGroupRefusal', () => {
  it('lets an ACTIVE group without health issues be updated', () => {
    expect(managedGroupRefusal(group)).toBeUndefined();
  });

  it.each([
    [{ status: 'UPDATING' }, /is UPDATING, not ACTIVE/],
    [
      {
        healthIssues: [
          { code: 'Ec2LaunchTemplateVersionMismatch', message: 'mismatch', resourceIds: ['eks-asg'] },
        ],
      },
      /Ec2LaunchTemplateVersionMismatch \(eks-asg\)/,
    ],
  ])('refuses %o as NodeGroupUnhealthy', (change, message) => {
    expect(managedGroupRefusal({ ...group, ...change })).toMatchObject({
      name: 'NodeGroupUnhealthy',
      message: expect.stringMatching(message),
    });
  });
});

describe('updateConfigChange', () => {
  it.each([
    [{ maxUnavailable: 1 }, { maxUnavailable: 1 }, undefined],
    [{ maxUnavailable: 1 }, { maxUnavailable: 2 }, { maxUnavailable: 2 }],
    [{ maxUnavailablePercentage: 10 }, { maxUnavailable: 1 }, { maxUnavailable: 1 }],
    [
      { maxUnavailable: 1 },
      { maxUnavailable: 1, updateConfig: { maxUnavailablePercentage: 25 } },
      { maxUnavailablePercentage: 25 },
    ],
    [
      { maxUnavailablePercentage: 25, updateStrategy: 'DEFAULT' },
      { maxUnavailable: 1, updateConfig: { maxUnavailablePercentage: 25 } },
      undefined,
    ],
    [{ maxUnavailable: 1 }, { maxUnavailable: 1, updateConfig: { updateStrategy: 'DEFAULT' } }, undefined],
    [
      { maxUnavailable: 1, updateStrategy: 'DEFAULT' },
      { maxUnavailable: 1, updateConfig: { updateStrategy: 'MINIMAL' } },
      { maxUnavailable: 1, updateStrategy: 'MINIMAL' },
    ],
  ] as const)('from %o, asked %o: %o', (current, wanted, expected) => {
    expect(updateConfigChange(current, wanted)).toEqual(expected);
  });

  it.each([
    [{ maxUnavailable: 2 }, 10, 2],
    [{ maxUnavailable: 1, updateConfig: { maxUnavailablePercentage: 25 } }, 10, 2],
    [{ maxUnavailable: 1, updateConfig: { maxUnavailablePercentage: 10 } }, 4, 1],
  ])('takes %o of %i nodes %i at a time', (wanted, nodes, expected) => {
    expect(nodesAtOnce(wanted, nodes)).toBe(expected);
  });
});

describe('waiting for EKS', () => {
  it('allows 20 minutes for each step EKS can take: scale up, each round, each surge node', () => {
    // 4 nodes one at a time, 2 zones: 1 + 4 rounds + max(4, 1) surge nodes scaled in = 9 steps.
    expect(managedUpdateDeadline(0, 4, 1, 2)).toBe(9 * 20 * 60 * 1000);
  });

  it.each([
    [0, 30],
    [600_000, 60],
    [3_600_000, 120],
  ])('looks again after %i ms of waiting in %i s', (waited, seconds) => {
    expect(managedUpdatePoll(0, 10_000_000, waited)).toBe(seconds);
  });

  it('never waits past the deadline', () => {
    expect(managedUpdatePoll(0, 3_610_000, 3_600_000)).toBe(10);
  });
});

describe('updateFailure', () => {
  const podsOn = (node: string) => (node === 'ip-10-0-1-5.ec2.internal' ? ['shop/web-1'] : []);
  it.each([
    [
      'PodEvictionFailure',
      'PodEvictionFailure',
      /pods still there: shop\/web-1.*relax the PodDisruptionBudget/,
    ],
    ['NodeCreationFailure', 'NodeCreationFailure', /EKS gives new nodes 15 minutes/],
    ['AsgInstanceLaunchFailures', 'ManagedUpdateFailed', /AsgInstanceLaunchFailures: .*Fix what EKS names/],
  ])('names EKS %s as %s', (code, name, message) => {
    const error = updateFailure(
      'win-a',
      'u-1',
      [{ errorCode: code, errorMessage: 'it failed', resourceIds: ['ip-10-0-1-5.ec2.internal'] }],
      podsOn,
    );
    expect(error).toMatchObject({ name, message: expect.stringMatching(message) });
  });
});

const pod = (name: string, grace = 30): V1Pod => ({
  metadata: { namespace: 'shop', name, labels: { app: name.split('-')[0] ?? '' } },
  spec: { containers: [], terminationGracePeriodSeconds: grace },
});
const pdb = (name: string, allowed: number): V1PodDisruptionBudget => ({
  metadata: { namespace: 'shop', name },
  spec: { selector: { matchLabels: { app: name } }, maxUnavailable: 1 },
  status: { disruptionsAllowed: allowed, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3 },
});

describe('eksDrainRisks', () => {
  it('names a PDB that allows no disruption now and a pod slower than 15 minutes', () => {
    expect(
      eksDrainRisks([pod('web-1'), pod('api-1'), pod('batch-1', 1200)], [pdb('web', 0), pdb('api', 1)]),
    ).toEqual([
      'PDB shop/web allows no disruption right now: EKS would wait 15 minutes for it, then fail the update (PodEvictionFailure)',
      "pod shop/batch-1 has a 1200 s grace period: EKS's 15 minutes per node end before it stops (PodEvictionFailure)",
    ]);
  });

  it('finds nothing when every PDB allows a disruption', () => {
    expect(eksDrainRisks([pod('web-1')], [pdb('web', 1)])).toEqual([]);
  });
});

describe('eksCordonsToUndo', () => {
  const node = (name: string, unschedulable: boolean, marked: boolean): V1Node => ({
    metadata: {
      name,
      labels: marked ? { 'node.kubernetes.io/exclude-from-external-load-balancers': 'true' } : {},
    },
    spec: { unschedulable },
  });
  it('undoes only the cordons EKS made on the nodes the rollout planned to replace', () => {
    const nodes = [
      node('a', true, true),
      node('b', true, false),
      node('c', false, true),
      node('d', true, true),
    ];
    expect(eksCordonsToUndo(nodes, new Set(['a', 'b', 'c']))).toEqual(['a']);
  });
});
