import { parseScenario, type Scenario } from '../simulator/scenario.ts';

export interface BenchCase {
  nodes: number;
  batchSize: number;
  /** Seconds from launch to a Ready node (default 420). */
  bootSeconds?: number;
  /** Each boot takes bootSeconds ± up to this percent (default 0). */
  jitterPercent?: number;
  /** Whether the new AMI caches the 7.5 GiB .NET image (default true). */
  imageCached?: boolean;
  /** The rollout's `surgeBatches` (undefined: the input's default for this group). */
  surgeBatches?: number;
}

const oldAmi = 'ami-0aaa0000000000001';
const targetAmi = 'ami-0ccc0000000000003';
const aspnet = 'mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022';
const servercore = 'mcr.microsoft.com/windows/servercore:ltsc2022';

/**
 * A self-managed Windows node group of `nodes` nodes in three zones with about 8 pods per node: 3 web
 * pods (.NET Framework, 7.5 GiB, pre-cached on the new AMI by Image Builder unless `imageCached` is
 * false), 2 API pods (an app image of 1.5 GiB the AMI does not cache: pulled on each new node), 2
 * worker pods (long grace period), all PDB-protected, a 3-replica StatefulSet (OrderedReady, one pod
 * at a time) and a log agent DaemonSet; plus a managed Linux group that must stay untouched. Boot
 * 420 s by default (a 7-minute Windows boot), with the jitter asked for.
 */
export function benchScenario({
  nodes,
  batchSize,
  bootSeconds = 420,
  jitterPercent = 0,
  imageCached = true,
  surgeBatches,
}: BenchCase): Scenario {
  return parseScenario(
    {
      description: `Bench: ${nodes} Windows nodes, batches of ${batchSize}, boot ${bootSeconds} s ±${jitterPercent} %${imageCached ? '' : ', .NET image not cached'}`,
      cluster: { name: 'prod', kubernetesVersion: '1.31' },
      nodeGroups: [
        {
          name: 'win-a',
          os: 'windows',
          management: 'self-managed',
          amiId: oldAmi,
          windowsBuild: '10.0.20348',
          instanceType: 'm5.xlarge',
          instances: nodes,
          minSize: Math.max(1, Math.floor(nodes * 0.75)),
          maxSize: nodes + batchSize,
          availabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'],
        },
        {
          name: 'linux',
          os: 'linux',
          management: 'managed',
          amiId: 'ami-0bbb0000000000002',
          instances: 2,
          minSize: 2,
          maxSize: 4,
          availabilityZones: ['us-east-1a', 'us-east-1b'],
        },
      ],
      amis: [
        {
          id: targetAmi,
          platform: 'windows',
          state: 'available',
          windowsBuild: '10.0.20348',
          kubernetesVersion: '1.31',
          name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.11.12',
          cachedImages: [
            'amazonaws.com/eks/pause-windows:latest',
            servercore,
            'mcr.microsoft.com/windows/nanoserver:ltsc2022',
            ...(imageCached ? [aspnet] : []),
          ],
        },
      ],
      workloads: [
        {
          name: 'web',
          namespace: 'shop',
          kind: 'Deployment',
          os: 'windows',
          replicas: nodes * 3,
          image: aspnet,
          pdb: { maxUnavailable: '10%' },
          terminationGracePeriodSeconds: 30,
          startupSeconds: 45,
        },
        {
          name: 'api',
          namespace: 'shop',
          kind: 'Deployment',
          os: 'windows',
          replicas: nodes * 2,
          image: 'example.dkr.ecr.us-east-1.amazonaws.com/shop/api:2026.11',
          imageSizeGiB: 1.5,
          pdb: { maxUnavailable: '10%' },
          terminationGracePeriodSeconds: 30,
          startupSeconds: 30,
        },
        {
          name: 'worker',
          namespace: 'jobs',
          kind: 'Deployment',
          os: 'windows',
          replicas: nodes * 2,
          image: 'mcr.microsoft.com/windows/nanoserver:ltsc2022',
          pdb: { minAvailable: '80%' },
          terminationGracePeriodSeconds: 90,
          startupSeconds: 20,
        },
        {
          name: 'ledger',
          namespace: 'finance',
          kind: 'StatefulSet',
          os: 'windows',
          replicas: 3,
          image: servercore,
          pdb: { maxUnavailable: 1 },
          terminationGracePeriodSeconds: 60,
          startupSeconds: 30,
        },
        {
          name: 'log-agent',
          namespace: 'kube-system',
          kind: 'DaemonSet',
          os: 'windows',
          image: 'fluent/fluentd:v1.16-windows-ltsc2022-1',
          imageSizeGiB: 0.8,
        },
        {
          name: 'coredns',
          namespace: 'kube-system',
          kind: 'Deployment',
          os: 'linux',
          replicas: 2,
          image: '602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/coredns:v1.11.3-eksbuild.2',
          pdb: { maxUnavailable: 1 },
        },
      ],
      timing: {
        instanceBootSeconds: bootSeconds,
        instanceBootJitterPercent: jitterPercent,
        imagePullSecondsPerGiB: 60,
      },
      execution: {
        input: {
          clusterName: 'prod',
          nodeGroupName: 'win-a',
          amiId: targetAmi,
          maxUnavailable: batchSize,
          ...(surgeBatches === undefined ? {} : { surgeBatches }),
        },
      },
    },
    `bench-${nodes}`,
  );
}
