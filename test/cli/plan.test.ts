import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  DescribeWarmPoolCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  DescribeFastLaunchImagesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  EC2Client,
  type Image,
} from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, DescribeNodegroupCommand, EKSClient } from '@aws-sdk/client-eks';
import type { V1Pod } from '@kubernetes/client-node';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import type { KubernetesPort } from '../../functions/adapters/kubernetes/port.ts';
import { node, pdb, pod } from '../support/objects.ts';
import { testClients, testRuntime } from './runtime-fixture.ts';

const ec2 = mockClient(EC2Client);
const autoScaling = mockClient(AutoScalingClient);
const eks = mockClient(EKSClient);

const targetAmi = 'ami-0ccc0000000000003';
const currentAmi = 'ami-0aaa0000000000001';
const instances = [
  'i-0000000000000000a',
  'i-0000000000000000b',
  'i-0000000000000000c',
  'i-0000000000000000d',
];
const nodeName = (instanceId: string) => `ip-${instanceId.slice(-1)}.ec2.internal`;

const image = (ImageId: string, Name: string): Image => ({
  ImageId,
  Name,
  State: 'available',
  Platform: 'Windows',
  Architecture: 'x86_64',
});
const images: Record<string, Image> = {
  [targetAmi]: image(targetAmi, 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.11.12'),
  [currentAmi]: image(currentAmi, 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.10.15'),
};

beforeEach(() => {
  ec2.reset();
  autoScaling.reset();
  eks.reset();
  eks
    .on(DescribeNodegroupCommand)
    .rejects(Object.assign(new Error('No node group found'), { name: 'ResourceNotFoundException' }));
  eks.on(DescribeClusterCommand).resolves({ cluster: { name: 'prod', version: '1.31' } });
  autoScaling.on(DescribeInstanceRefreshesCommand).resolves({ InstanceRefreshes: [] });
  autoScaling.on(DescribeWarmPoolCommand).resolves({ Instances: [] });
  autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({
    AutoScalingGroups: [
      {
        AutoScalingGroupName: 'win-a',
        MinSize: 2,
        MaxSize: 5,
        DesiredCapacity: 4,
        DefaultCooldown: 300,
        HealthCheckType: 'EC2',
        CreatedTime: new Date(0),
        AvailabilityZones: ['us-east-1a', 'us-east-1b'],
        LaunchTemplate: { LaunchTemplateId: 'lt-0123', Version: '3' },
        Tags: [{ Key: 'kubernetes.io/cluster/prod', Value: 'owned' }],
        Instances: instances.map((InstanceId, index) => ({
          InstanceId,
          LifecycleState: 'InService',
          AvailabilityZone: index % 2 === 0 ? 'us-east-1a' : 'us-east-1b',
          HealthStatus: 'Healthy',
          ProtectedFromScaleIn: false,
        })),
      },
    ],
  });
  ec2.on(DescribeImagesCommand).callsFake(({ ImageIds }: { ImageIds: string[] }) => {
    const found = ImageIds.flatMap((id) => images[id] ?? []);
    if (found.length === 0) {
      throw Object.assign(new Error(`The image id '[${ImageIds}]' does not exist`), {
        name: 'InvalidAMIID.NotFound',
      });
    }
    return { Images: found };
  });
  // EC2 lists only AMIs with Fast Launch configured.
  ec2.on(DescribeFastLaunchImagesCommand).resolves({ FastLaunchImages: [] });
  ec2.on(DescribeInstancesCommand).callsFake(({ InstanceIds }: { InstanceIds: string[] }) => ({
    Reservations: [
      {
        Instances: InstanceIds.map((InstanceId, index) => ({
          InstanceId,
          ImageId: currentAmi,
          LaunchTime: new Date(Date.UTC(2026, 9, 15) + index * 60_000),
          Placement: { AvailabilityZone: index % 2 === 0 ? 'us-east-1a' : 'us-east-1b' },
          State: { Name: 'running' },
        })),
      },
    ],
  }));
});

/** The cluster's API: the group's Windows nodes and the pods on them. */
function cluster(
  pods: V1Pod[] = [],
  pdbs = [pdb('web', { maxUnavailable: 1 })],
  refusedNow: string[] = [],
): KubernetesPort {
  return {
    listNodes: async () => instances.map((id) => node(nodeName(id), { instanceId: id, build: '10.0.20348' })),
    listPods: async () => pods,
    listPodsOnNode: async (name: string) => pods.filter((pod) => pod.spec?.nodeName === name),
    listPodDisruptionBudgets: async () => pdbs,
    daemonSetExists: async () => true,
    // The dry run's dryRun=All evictions: the API server's answer now.
    evictPod: async (_namespace: string, name: string, _grace?: number, dryRun?: boolean) => {
      if (!dryRun) throw new Error('plan must not evict');
      return refusedNow.includes(name)
        ? {
            kind: 'blockedByPdb',
            message: "Cannot evict pod as it would violate the pod's disruption budget.",
            pdbNames: ['web'],
          }
        : { kind: 'evicted' };
    },
  } as unknown as KubernetesPort;
}

const webPods = instances.map((id, index) =>
  pod(`web-${index}`, { node: nodeName(id), owner: { kind: 'ReplicaSet', name: 'web-5d8f' } }),
);

describe('plan', () => {
  it("names the first batch's pods the API server would refuse to evict now (dryRun=All)", async () => {
    const { run, output } = testRuntime({ kubernetesPort: cluster(webPods, undefined, ['web-0']) });
    await run('plan', '--cluster', 'prod', '--node-group', 'win-a', '--ami', targetAmi);
    expect(output.stdout).toContain(
      "pod shop/web-0: the API server would refuse its eviction now (dryRun=All): Cannot evict pod as it would violate the pod's disruption budget.",
    );
  });

  it("prints the AMI checks, the batches and the estimate from the workflow's own steps", async () => {
    const { run, output } = testRuntime({ kubernetesPort: cluster(webPods) });
    const status = await run(
      'plan',
      '--cluster',
      'prod',
      '--node-group',
      'win-a',
      '--ami',
      targetAmi,
      '--max-unavailable',
      '2',
    );
    expect(output.stderr).toBe('');
    expect(status).toBe(0);
    expect(output.stdout).toContain(
      `Plan: prod/win-a to ${targetAmi} (Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.11.12)`,
    );
    expect(output.stdout).toMatch(/✓ available +ami-0ccc0000000000003 is available/);
    expect(output.stdout).toMatch(/✓ windowsBuild +Windows build 10.0.20348 matches the nodes/);
    expect(output.stdout).toContain('4 nodes to replace (0 already on the AMI), in 2 batches of at most 2:');
    expect(output.stdout).toContain(
      '  batch 1: ip-a.ec2.internal (i-0000000000000000a), ip-b.ec2.internal (i-0000000000000000b)',
    );
    expect(output.stdout).toContain(
      '  batch 2: ip-c.ec2.internal (i-0000000000000000c), ip-d.ec2.internal (i-0000000000000000d)',
    );
    expect(output.stdout).toContain('maxSize is raised from 5 to 8 during the rollout');
    expect(output.stdout).toMatch(/Estimated duration: \d+ min/);
  });

  it("warns when the AMI's Fast Launch keeps fewer snapshots than a batch launches, or is still enabling", async () => {
    const fastLaunch = (State: 'enabled' | 'enabling') =>
      ec2.on(DescribeFastLaunchImagesCommand, { ImageIds: [targetAmi] }).resolves({
        FastLaunchImages: [
          {
            ImageId: targetAmi,
            State,
            ResourceType: 'snapshot',
            SnapshotConfiguration: { TargetResourceCount: 1 },
          },
        ],
      });
    const plan = async () => {
      const { run, output } = testRuntime({ kubernetesPort: cluster(webPods) });
      const flags = ['--node-group', 'win-a', '--ami', targetAmi, '--max-unavailable', '2'];
      expect(await run('plan', '--cluster', 'prod', ...flags)).toBe(0);
      return output.stdout;
    };
    fastLaunch('enabled');
    expect(await plan()).toContain(
      `EC2 Fast Launch of AMI ${targetAmi} keeps 1 pre-provisioned snapshot, fewer than the 2 replacements a batch launches`,
    );
    fastLaunch('enabling');
    expect(await plan()).toContain(
      `EC2 Fast Launch of AMI ${targetAmi} is still enabling: the rollout waits up to 3600 s (fastLaunchWaitSeconds)`,
    );
  });

  it('lists the pre-flight blockers and exits 1, since the rollout would be refused', async () => {
    const bare = pod('debug', { node: nodeName('i-0000000000000000c') });
    const { run, output } = testRuntime({ kubernetesPort: cluster([...webPods, bare]) });
    expect(await run('plan', '--cluster', 'prod', '--node-group', 'win-a', '--ami', targetAmi)).toBe(1);
    expect(output.stdout).toContain(
      'Blockers (the rollout would be refused with DrainBlocked):\n  - pod shop/debug: bare pod with no controller',
    );
  });

  it.for<[string[], number, string]>([
    [[], 1, 'Blockers (the rollout would be refused with DrainBlocked)'],
    [['--force'], 1, 'Blockers (the rollout would be refused with DrainBlocked)'],
    [
      ['--override-pdb-after-timeout'],
      0,
      'Blockers (with overridePdbAfterTimeout these pods are deleted at the drain deadline)',
    ],
  ])('a PDB that never allows an eviction, with %j: exit %i', async ([flags, status, title]) => {
    const { run, output } = testRuntime({
      kubernetesPort: cluster(webPods, [pdb('web', { maxUnavailable: 0 })]),
    });
    expect(
      await run('plan', '--cluster', 'prod', '--node-group', 'win-a', '--ami', targetAmi, ...flags),
    ).toBe(status);
    expect(output.stdout).toContain(`${title}:\n  - PDB shop/web has maxUnavailable 0`);
  });

  it('prints the verdicts, the plan and the input as JSON for scripts', async () => {
    const { run, output } = testRuntime({ kubernetesPort: cluster(webPods) });
    await run('plan', '--cluster', 'prod', '--node-group', 'win-a', '--ami', targetAmi, '--json');
    const printed = JSON.parse(output.stdout);
    expect(printed.input).toMatchObject({ clusterName: 'prod', maxUnavailable: 1, dryRun: true });
    expect(printed.verified.checks.map((c: { check: string }) => c.check)).toEqual([
      'available',
      'windows',
      'architecture',
      'windowsBuild',
      'kubeletSkew',
    ]);
    expect(printed.plan).toMatchObject({ nodesToReplace: 4, blockers: [] });
    expect(printed.plan.batches).toHaveLength(4);
  });

  it('prints the error name and its cause when the AMI is refused, and exits 1', async () => {
    const { run, output } = testRuntime({ kubernetesPort: cluster(webPods) });
    expect(
      await run('plan', '--cluster', 'prod', '--node-group', 'win-a', '--ami', 'ami-0ddd0000000000004'),
    ).toBe(1);
    expect(output.stderr).toMatch(/^AmiNotFound: AMI ami-0ddd0000000000004 does not exist/);
  });

  it('asks the AWS clients for the region given', async () => {
    const regions: (string | undefined)[] = [];
    const { run } = testRuntime({
      kubernetesPort: cluster(webPods),
      aws: ({ region }) => {
        regions.push(region);
        return testClients(region);
      },
    });
    await run(
      'plan',
      '--cluster',
      'prod',
      '--node-group',
      'win-a',
      '--ami',
      targetAmi,
      '--region',
      'eu-west-1',
    );
    expect(regions).toEqual(['eu-west-1']);
  });

  it('names each bad flag and exits 2 without calling AWS', async () => {
    const { run, output } = testRuntime();
    expect(await run('plan', '--cluster', 'prod', '--ami', 'ami-xyz', '--max-unavailable', 'two')).toBe(2);
    expect(output.stderr).toContain('--node-group (nodeGroupName): required');
    expect(output.stderr).toContain('--ami (amiId): must be an AMI id like ami-0123456789abcdef0');
    expect(output.stderr).toContain('--max-unavailable (maxUnavailable): expected a whole number');
    expect(eks.calls()).toHaveLength(0);
  });

  it('has no --dry-run: a plan never changes anything', async () => {
    const { run, output } = testRuntime();
    expect(
      await run('plan', '--cluster', 'prod', '--node-group', 'win-a', '--ami', targetAmi, '--dry-run'),
    ).toBe(2);
    expect(output.stderr).toContain("Unknown option '--dry-run'");
  });
});
