import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rolloutInputSchema } from '../../functions/commons/rollout-input.ts';
import {
  amiForRegionAndAccount,
  type CandidateVerdict,
  classifyCandidate,
  executionName,
  imageFailedAnnouncement,
  imageLabel,
  managedNodeGroupsByTheirTags,
  type NodeGroupCandidate,
  noAmiAnnouncement,
  parseClusterNames,
  parseTrigger,
  planImageRollouts,
  planSsmRollouts,
  selfManagedCandidates,
  ssmParameterName,
  ssmParameterNames,
  type Target,
  targetTags,
} from '../../functions/domain/targets.ts';

const imageArn = 'arn:aws:imagebuilder:us-east-1:111122223333:image/eks-windows-2022-core-1-31/1.0.4/3';

const imageEvent = (status: string, extra: Record<string, unknown> = {}) => ({
  version: '0',
  id: 'e1',
  'detail-type': 'EC2 Image Builder Image State Change',
  source: 'aws.imagebuilder',
  account: '111122223333',
  time: '2026-11-12T19:02:11Z',
  region: 'us-east-1',
  resources: [imageArn],
  detail: { state: { status, ...extra } },
});

describe('parseTrigger', () => {
  it.each([
    [
      'an AVAILABLE image',
      imageEvent('AVAILABLE'),
      { kind: 'image-available', imageArn, region: 'us-east-1', account: '111122223333' },
    ],
    [
      'a FAILED image with its reason',
      imageEvent('FAILED', { reason: 'tests failed' }),
      { kind: 'image-failed', imageArn, status: 'FAILED', reason: 'tests failed' },
    ],
    [
      'a CANCELLED image without a reason',
      imageEvent('CANCELLED'),
      { kind: 'image-failed', imageArn, status: 'CANCELLED', reason: 'no reason given' },
    ],
    [
      'an image still building',
      imageEvent('BUILDING'),
      { kind: 'image-other-state', imageArn, status: 'BUILDING' },
    ],
    ['the scheduled SSM mode', { mode: 'ssm-latest' }, { kind: 'ssm-latest' }],
  ])('reads %s', (_, event, expected) => {
    expect(parseTrigger(event)).toEqual(expected);
  });

  it.each([
    ['null', null, '(input): Invalid input: expected object'],
    ['a string', 'AVAILABLE', '(input): Invalid input: expected object'],
    ['an empty object', {}, 'source: Invalid input: expected "aws.imagebuilder"'],
    ['another source', { ...imageEvent('AVAILABLE'), source: 'aws.ec2' }, 'source: '],
    [
      'another detail-type',
      { ...imageEvent('AVAILABLE'), 'detail-type': 'EC2 Image Builder Pipeline' },
      'detail-type: ',
    ],
    ['no resources', { ...imageEvent('AVAILABLE'), resources: [] }, 'resources: must hold the image ARN'],
    [
      'a resource that is not an image ARN',
      { ...imageEvent('AVAILABLE'), resources: ['arn:aws:ec2:us-east-1::image/ami-1'] },
      'resources.0: must be an Image Builder image ARN',
    ],
    ['no state', { ...imageEvent('AVAILABLE'), detail: {} }, 'detail.state: '],
    [
      'a bad account',
      { ...imageEvent('AVAILABLE'), account: '1111' },
      'account: must be a 12-digit account id',
    ],
    ['an unknown mode', { mode: 'pipeline' }, 'Invalid scheduled input: mode: '],
    ['a mode with extra fields', { mode: 'ssm-latest', clusters: ['prod'] }, 'Unrecognized key: "clusters"'],
  ])('calls %s malformed and says why (%s)', (_, event, why) => {
    const trigger = parseTrigger(event);
    expect(trigger.kind).toBe('malformed');
    expect(trigger.kind === 'malformed' && trigger.reason).toContain(why);
  });
});

describe('amiForRegionAndAccount', () => {
  const amis = [
    { region: 'us-west-2', accountId: '111122223333', amiId: 'ami-0000000000000000b' },
    { region: 'us-east-1', accountId: '444455556666', amiId: 'ami-0000000000000000c' },
    { region: 'us-east-1', accountId: '111122223333', amiId: 'ami-0000000000000000a' },
  ];
  it.each([
    ['us-east-1', '111122223333', 'ami-0000000000000000a'],
    ['us-west-2', '111122223333', 'ami-0000000000000000b'],
    ['us-east-1', '444455556666', 'ami-0000000000000000c'],
    ['eu-west-1', '111122223333', undefined],
    ['us-west-2', '444455556666', undefined],
  ])('in %s for %s picks %s', (region, account, expected) => {
    expect(amiForRegionAndAccount(amis, region, account)).toBe(expected);
  });
});

const candidate = (
  tags: Record<string, string>,
  overrides: Partial<NodeGroupCandidate> = {},
): NodeGroupCandidate => ({
  kind: 'self-managed',
  clusterName: 'prod',
  nodeGroupName: 'win',
  tags: { [targetTags.enabled]: 'true', ...tags },
  ...overrides,
});

const skippedBecause = (reason: string): CandidateVerdict => ({
  verdict: 'skipped',
  skipped: { clusterName: 'prod', nodeGroupName: 'win', reason },
});

describe('classifyCandidate', () => {
  const base = { kind: 'self-managed', clusterName: 'prod', nodeGroupName: 'win' } as const;
  it.each<[string, Record<string, string>, CandidateVerdict]>([
    ['no enabled tag', { [targetTags.enabled]: '' }, { verdict: 'not-enrolled' }],
    ['enabled=false', { [targetTags.enabled]: 'false' }, { verdict: 'not-enrolled' }],
    [
      'an image name',
      { [targetTags.imageName]: 'eks-windows-2022-core-1-31' },
      { verdict: 'target', target: { ...base, imageName: 'eks-windows-2022-core-1-31', knobs: {} } },
    ],
    [
      'an SSM variant in any case',
      { [targetTags.ssmVariant]: '2019-full' },
      { verdict: 'target', target: { ...base, ssmVariant: '2019-Full', knobs: {} } },
    ],
    ['neither (a target that follows nothing)', {}, { verdict: 'target', target: { ...base, knobs: {} } }],
    [
      'both knobs',
      { [targetTags.maxUnavailable]: ' 3 ', [targetTags.drainTimeoutSeconds]: '1800' },
      { verdict: 'target', target: { ...base, knobs: { maxUnavailable: 3, drainTimeoutSeconds: 1800 } } },
    ],
    [
      'knobs at their limits',
      { [targetTags.maxUnavailable]: '100', [targetTags.drainTimeoutSeconds]: '60' },
      { verdict: 'target', target: { ...base, knobs: { maxUnavailable: 100, drainTimeoutSeconds: 60 } } },
    ],
    [
      'max-unavailable 0',
      { [targetTags.maxUnavailable]: '0' },
      skippedBecause('tag eks-windows-patcher/max-unavailable="0" (input): must be at least 1.'),
    ],
    [
      'max-unavailable 101',
      { [targetTags.maxUnavailable]: '101' },
      skippedBecause('tag eks-windows-patcher/max-unavailable="101" (input): must be at most 100.'),
    ],
    [
      'max-unavailable a percentage',
      { [targetTags.maxUnavailable]: '25%' },
      skippedBecause('tag eks-windows-patcher/max-unavailable="25%" must be a whole number.'),
    ],
    [
      'drain-timeout-seconds 59',
      { [targetTags.drainTimeoutSeconds]: '59' },
      skippedBecause('tag eks-windows-patcher/drain-timeout-seconds="59" (input): must be at least 60.'),
    ],
    [
      'drain-timeout-seconds 1.5',
      { [targetTags.drainTimeoutSeconds]: '1.5' },
      skippedBecause('tag eks-windows-patcher/drain-timeout-seconds="1.5" must be a whole number.'),
    ],
    [
      'an unknown SSM variant',
      { [targetTags.ssmVariant]: '2025-Core' },
      skippedBecause(
        'tag eks-windows-patcher/ssm-variant="2025-Core" must be one of 2019-Core, 2019-Full, 2022-Core, 2022-Full.',
      ),
    ],
    [
      'both an image name and an SSM variant',
      { [targetTags.imageName]: 'img', [targetTags.ssmVariant]: '2022-Core' },
      skippedBecause(
        'tags eks-windows-patcher/image-name and eks-windows-patcher/ssm-variant are both set: keep the one the group follows.',
      ),
    ],
  ])('with %s', (_, tags, expected) => {
    expect(classifyCandidate(candidate(tags))).toEqual(expected);
  });

  it('enrols a managed node group by its own tags, like a self-managed one', () => {
    const verdict = classifyCandidate(
      candidate({ [targetTags.imageName]: 'eks-windows-2022-core-1-31' }, { kind: 'managed' }),
    );
    expect(verdict).toMatchObject({
      verdict: 'target',
      target: { kind: 'managed', imageName: 'eks-windows-2022-core-1-31' },
    });
  });

  it('skips a managed node group with a bad tag value, with the reason', () => {
    const verdict = classifyCandidate(candidate({ [targetTags.maxUnavailable]: '25%' }, { kind: 'managed' }));
    expect(verdict).toMatchObject({ verdict: 'skipped' });
  });

  it('leaves a managed node group that is not enrolled alone, without a reason', () => {
    expect(classifyCandidate(candidate({ [targetTags.enabled]: 'false' }, { kind: 'managed' }))).toEqual({
      verdict: 'not-enrolled',
    });
  });
});

describe('selfManagedCandidates', () => {
  const enrolled = { [targetTags.enabled]: 'true' };
  it.each([
    ['owned by a configured cluster', { ...enrolled, 'kubernetes.io/cluster/prod': 'owned' }, 'candidate'],
    [
      'shared with a configured cluster',
      { ...enrolled, 'kubernetes.io/cluster/prod': 'shared' },
      'candidate',
    ],
    ['of another cluster', { ...enrolled, 'kubernetes.io/cluster/other': 'owned' }, 'ignored'],
    ['with an unknown cluster tag value', { ...enrolled, 'kubernetes.io/cluster/prod': 'yes' }, 'ignored'],
    ['not enrolled', { 'kubernetes.io/cluster/prod': 'owned' }, 'ignored'],
    [
      'of a managed node group',
      { ...enrolled, 'kubernetes.io/cluster/prod': 'owned', 'eks:nodegroup-name': 'managed-win' },
      'skipped',
    ],
    [
      'tagged for two configured clusters',
      { ...enrolled, 'kubernetes.io/cluster/prod': 'owned', 'kubernetes.io/cluster/staging': 'shared' },
      'skipped',
    ],
  ])('treats an Auto Scaling group %s as %s', (_, tags, expected) => {
    const { candidates, skipped } = selfManagedCandidates(
      [{ autoScalingGroupName: 'asg-1', tags }],
      ['prod', 'staging'],
    );
    const outcome = candidates.length > 0 ? 'candidate' : skipped.length > 0 ? 'skipped' : 'ignored';
    expect(outcome).toBe(expected);
    if (outcome === 'candidate') {
      expect(candidates).toEqual([
        { kind: 'self-managed', clusterName: 'prod', nodeGroupName: 'asg-1', tags },
      ]);
    }
  });

  it('says why the Auto Scaling group of a managed node group is not rolled', () => {
    const { skipped } = selfManagedCandidates(
      [
        {
          autoScalingGroupName: 'eks-managed-win-1234',
          tags: { ...enrolled, 'kubernetes.io/cluster/prod': 'owned', 'eks:nodegroup-name': 'managed-win' },
        },
      ],
      ['prod'],
    );
    expect(skipped).toEqual([
      {
        clusterName: 'prod',
        nodeGroupName: 'eks-managed-win-1234',
        reason: `Auto Scaling group of the EKS managed node group managed-win: ${managedNodeGroupsByTheirTags}`,
      },
    ]);
  });
});

describe('executionName', () => {
  it('is the same for the same node group and AMI', () => {
    expect(executionName('prod', 'win', 'ami-0ccc0000000000003')).toBe(
      executionName('prod', 'win', 'ami-0ccc0000000000003'),
    );
  });

  it('shows the node group and AMI, then a hash of cluster, node group and AMI', () => {
    expect(executionName('prod', 'win', 'ami-0ccc0000000000003')).toMatch(
      /^win-ami-0ccc0000000000003-[0-9a-f]{16}$/,
    );
  });

  it.each([
    ['cluster', ['staging', 'win', 'ami-0ccc0000000000003']],
    ['node group', ['prod', 'win2', 'ami-0ccc0000000000003']],
    ['AMI', ['prod', 'win', 'ami-0ccc0000000000004']],
  ] as const)('differs when the %s differs', (_, [cluster, group, ami]) => {
    expect(executionName(cluster, group, ami)).not.toBe(
      executionName('prod', 'win', 'ami-0ccc0000000000003'),
    );
  });

  it('does not collide when parts shift between cluster and node group', () => {
    expect(executionName('a-b', 'c', 'ami-1')).not.toBe(executionName('a', 'b-c', 'ami-1'));
  });

  it('is always a valid Step Functions execution name', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ maxLength: 300 }), fc.string(), (cluster, group, ami) => {
        expect(executionName(cluster, group, ami)).toMatch(/^[0-9A-Za-z_-]{1,80}$/);
      }),
    );
  });
});

const target = (overrides: Partial<Target>): Target => ({
  kind: 'self-managed',
  clusterName: 'prod',
  nodeGroupName: 'win',
  knobs: {},
  ...overrides,
});

describe('planImageRollouts', () => {
  const image = { name: 'eks-windows-2022-core-1-31', amiId: 'ami-0ccc0000000000003' };

  it('launches the targets that follow the image, in cluster and node group order, with their knobs', () => {
    const plan = planImageRollouts(
      [
        target({ clusterName: 'prod', nodeGroupName: 'b', imageName: image.name }),
        target({
          clusterName: 'prod',
          nodeGroupName: 'a',
          imageName: image.name,
          knobs: { maxUnavailable: 2 },
        }),
        target({ clusterName: 'dev', nodeGroupName: 'z', imageName: image.name }),
      ],
      image,
    );
    expect(plan.skipped).toEqual([]);
    expect(
      plan.launches.map(({ clusterName, nodeGroupName, input }) => ({ clusterName, nodeGroupName, input })),
    ).toEqual([
      {
        clusterName: 'dev',
        nodeGroupName: 'z',
        input: { clusterName: 'dev', nodeGroupName: 'z', amiId: image.amiId },
      },
      {
        clusterName: 'prod',
        nodeGroupName: 'a',
        input: { clusterName: 'prod', nodeGroupName: 'a', amiId: image.amiId, maxUnavailable: 2 },
      },
      {
        clusterName: 'prod',
        nodeGroupName: 'b',
        input: { clusterName: 'prod', nodeGroupName: 'b', amiId: image.amiId },
      },
    ]);
    for (const launch of plan.launches) {
      expect(rolloutInputSchema.safeParse(launch.input).success).toBe(true);
      expect(launch.executionName).toBe(executionName(launch.clusterName, launch.nodeGroupName, image.amiId));
    }
  });

  it.each([
    [
      'another image',
      { imageName: 'eks-windows-2019-core-1-31' },
      'Follows image eks-windows-2019-core-1-31, not eks-windows-2022-core-1-31.',
    ],
    [
      'the SSM parameter',
      { ssmVariant: '2022-Core' },
      'Follows the EKS-optimized AMI (eks-windows-patcher/ssm-variant), not an Image Builder image.',
    ],
    ['nothing', {}, 'No eks-windows-patcher/image-name tag: follows no Image Builder image.'],
  ] as const)('skips a target that follows %s', (_, follows, reason) => {
    expect(planImageRollouts([target(follows)], image)).toEqual({
      launches: [],
      skipped: [{ clusterName: 'prod', nodeGroupName: 'win', reason }],
    });
  });

  it('skips a node group whose name the execution input refuses', () => {
    const plan = planImageRollouts([target({ nodeGroupName: 'win nodes', imageName: image.name })], image);
    expect(plan.launches).toEqual([]);
    expect(plan.skipped[0]?.reason).toMatch(/^Execution input would be refused: nodeGroupName: /);
  });
});

describe('SSM mode', () => {
  it.each([
    [
      '2019-Core',
      '1.29',
      '/aws/service/ami-windows-latest/Windows_Server-2019-English-Core-EKS_Optimized-1.29/image_id',
    ],
    [
      '2022-Full',
      '1.31',
      '/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-EKS_Optimized-1.31/image_id',
    ],
  ] as const)('reads %s for Kubernetes %s from %s', (variant, version, name) => {
    expect(ssmParameterName(variant, version)).toBe(name);
  });

  const versions = new Map([
    ['prod', '1.31'],
    ['dev', '1.30'],
  ]);
  const prodCore =
    '/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.31/image_id';
  const devFull =
    '/aws/service/ami-windows-latest/Windows_Server-2019-English-Full-EKS_Optimized-1.30/image_id';
  const targets = [
    target({
      clusterName: 'prod',
      nodeGroupName: 'core',
      ssmVariant: '2022-Core',
      knobs: { drainTimeoutSeconds: 600 },
    }),
    target({ clusterName: 'prod', nodeGroupName: 'core-too', ssmVariant: '2022-Core' }),
    target({ clusterName: 'dev', nodeGroupName: 'full', ssmVariant: '2019-Full' }),
    target({ clusterName: 'gone', nodeGroupName: 'x', ssmVariant: '2019-Full' }),
    target({ clusterName: 'prod', nodeGroupName: 'piped', imageName: 'eks-windows' }),
  ];

  it('asks for each parameter once, for the clusters whose version is known', () => {
    expect(ssmParameterNames(targets, versions)).toEqual([devFull, prodCore]);
  });

  it('launches each SSM target to the AMI of its variant and cluster version, and says why the others are skipped', () => {
    const plan = planSsmRollouts(targets, versions, new Map([[prodCore, 'ami-0aaa0000000000001']]));
    expect(plan.launches.map((launch) => launch.input)).toEqual([
      {
        clusterName: 'prod',
        nodeGroupName: 'core',
        amiId: 'ami-0aaa0000000000001',
        drainTimeoutSeconds: 600,
      },
      { clusterName: 'prod', nodeGroupName: 'core-too', amiId: 'ami-0aaa0000000000001' },
    ]);
    expect(plan.skipped).toEqual([
      {
        clusterName: 'dev',
        nodeGroupName: 'full',
        reason: `SSM parameter ${devFull} not found: no EKS-optimized 2019-Full AMI for Kubernetes 1.30.`,
      },
      { clusterName: 'gone', nodeGroupName: 'x', reason: 'Kubernetes version of cluster gone unknown.' },
      {
        clusterName: 'prod',
        nodeGroupName: 'piped',
        reason: 'Follows image eks-windows, not the EKS-optimized AMI.',
      },
    ]);
  });
});

describe('parseClusterNames', () => {
  it.each([
    ['prod', ['prod']],
    [' prod , staging,,prod ', ['prod', 'staging']],
  ])('reads %j', (value, expected) => {
    expect(parseClusterNames(value)).toEqual(expected);
  });

  it.each([' , ', 'prod,bad/name'])('refuses %j', (value) => {
    expect(() => parseClusterNames(value)).toThrow(/CLUSTER_NAMES/);
  });
});

describe('announcements', () => {
  it('names the failed image and the reason', () => {
    const { subject, body } = imageFailedAnnouncement(imageArn, 'FAILED', 'tests failed');
    expect(subject).toBe('EKS Windows patcher: image eks-windows-2022-core-1-31 1.0.4/3 FAILED');
    expect(body).toContain(imageArn);
    expect(body).toContain('FAILED: tests failed');
  });

  it('lists where the image did distribute AMIs when none is in this region and account', () => {
    const { body } = noAmiAnnouncement(
      {
        arn: imageArn,
        amis: [{ region: 'us-west-2', accountId: '111122223333', amiId: 'ami-0ccc0000000000099' }],
      },
      'us-east-1',
      '111122223333',
    );
    expect(body).toContain('no AMI to account 111122223333 in us-east-1');
    expect(body).toContain('ami-0ccc0000000000099 (us-west-2, 111122223333)');
  });

  it('labels an image by name, version and build', () => {
    expect(imageLabel(imageArn)).toBe('eks-windows-2022-core-1-31 1.0.4/3');
  });
});
