import type { AutoScalingGroup } from '@aws-sdk/client-auto-scaling';
import type { V1Node, V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';

/** Minimal Kubernetes objects in the API's shapes, for decision tests. */
export function node(
  name: string,
  options: {
    instanceId?: string;
    ready?: boolean;
    os?: string;
    build?: string;
    unschedulable?: boolean;
    annotations?: Record<string, string>;
    images?: string[];
    readySince?: string;
  } = {},
): V1Node {
  return {
    metadata: {
      name,
      labels: {
        'kubernetes.io/os': options.os ?? 'windows',
        ...(options.build ? { 'node.kubernetes.io/windows-build': options.build } : {}),
      },
      annotations: options.annotations ?? {},
    },
    spec: {
      providerID: `aws:///us-east-1a/${options.instanceId ?? 'i-0000000000000000a'}`,
      unschedulable: options.unschedulable,
    },
    status: {
      conditions: [
        {
          type: 'Ready',
          status: options.ready === false ? 'False' : 'True',
          lastTransitionTime: options.readySince as never,
        },
      ],
      images: (options.images ?? []).map((image) => ({ names: [image], sizeBytes: 1 })),
    },
  };
}

export function pod(
  name: string,
  options: {
    namespace?: string;
    node?: string;
    owner?: { kind: string; name: string; uid?: string };
    labels?: Record<string, string>;
    ready?: boolean;
    phase?: string;
    emptyDir?: boolean;
    mirror?: boolean;
    terminating?: boolean;
    grace?: number;
  } = {},
): V1Pod {
  return {
    metadata: {
      name,
      namespace: options.namespace ?? 'shop',
      labels: options.labels ?? { app: 'web' },
      ownerReferences: options.owner
        ? [
            {
              apiVersion: 'apps/v1',
              kind: options.owner.kind,
              name: options.owner.name,
              uid: options.owner.uid ?? `uid-${options.owner.name}`,
              controller: true,
            },
          ]
        : undefined,
      annotations: options.mirror ? { 'kubernetes.io/config.mirror': 'abc' } : {},
      deletionTimestamp: options.terminating ? (new Date(0) as never) : undefined,
      deletionGracePeriodSeconds: options.terminating ? (options.grace ?? 30) : undefined,
    },
    spec: {
      nodeName: options.node ?? 'node-a',
      containers: [{ name: 'main', image: 'mcr.microsoft.com/windows/servercore:ltsc2022' }],
      volumes: options.emptyDir ? [{ name: 'scratch', emptyDir: {} }] : [],
      terminationGracePeriodSeconds: options.grace ?? 30,
    },
    status: {
      phase: options.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: options.ready === false ? 'False' : 'True' }],
    },
  };
}

export function pdb(
  name: string,
  spec: {
    minAvailable?: number | string;
    maxUnavailable?: number | string;
    app?: string;
    disruptionsAllowed?: number;
  },
  namespace = 'shop',
): V1PodDisruptionBudget {
  return {
    metadata: { name, namespace },
    spec: {
      minAvailable: spec.minAvailable,
      maxUnavailable: spec.maxUnavailable,
      selector: { matchLabels: { app: spec.app ?? 'web' } },
    },
    status: {
      disruptionsAllowed: spec.disruptionsAllowed ?? 1,
      currentHealthy: 0,
      desiredHealthy: 0,
      expectedPods: 0,
    },
  };
}

/** A self-managed Windows node group of cluster prod as DescribeAutoScalingGroups returns it. */
export function autoScalingGroup(arn: string, zone = 'us-east-1a'): AutoScalingGroup {
  return {
    AutoScalingGroupName: 'win-a',
    AutoScalingGroupARN: arn,
    MinSize: 2,
    MaxSize: 5,
    DesiredCapacity: 4,
    DefaultCooldown: 300,
    AvailabilityZones: [zone],
    HealthCheckType: 'EC2',
    CreatedTime: new Date(0),
    LaunchTemplate: { LaunchTemplateId: 'lt-0123', Version: '3' },
    Tags: [{ Key: 'kubernetes.io/cluster/prod', Value: 'owned' }],
  };
}
