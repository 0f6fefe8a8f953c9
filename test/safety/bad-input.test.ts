import { describe, expect, it } from 'vitest';
import { type SimulationReport, simulate } from '../../simulator/runner.ts';
import { parseScenario } from '../../simulator/scenario.ts';
import { type WorldSnapshot, worldSnapshot } from '../../simulator/world/snapshot.ts';
import { noneBroken, rolloutInput, type SafetyDocument, safetyDocument, targetAmi } from './fixture.ts';

/** Runs the document; the world's AWS and Kubernetes state before the execution and once it settled. */
async function withSnapshots(document: SafetyDocument) {
  const seen: { before?: WorldSnapshot; world?: Parameters<typeof worldSnapshot>[0] } = {};
  const report = await simulate(parseScenario(document), {
    onWorld: (world) => {
      seen.world = world;
      seen.before = worldSnapshot(world);
    },
  });
  if (seen.world === undefined) throw new Error('the simulator did not show its world');
  return { report, before: seen.before, after: worldSnapshot(seen.world) };
}

const { amiId: _, ...withoutAmi } = rolloutInput();
const { clusterName: __, ...withoutCluster } = rolloutInput();
const { nodeGroupName: ___, ...withoutGroup } = rolloutInput();
const huge = 'x'.repeat(100_000);

/** [what, execution input, error name, words the cause must hold (the field or resource, and the fix)] */
const inputs: [string, unknown, string, string[]][] = [
  [
    'an empty object',
    {},
    'InvalidInput',
    ['clusterName', 'nodeGroupName', 'amiId', 'Start the execution with'],
  ],
  ['no amiId', withoutAmi, 'InvalidInput', ['amiId', 'Start the execution with']],
  ['no clusterName', withoutCluster, 'InvalidInput', ['clusterName']],
  ['no nodeGroupName', withoutGroup, 'InvalidInput', ['nodeGroupName']],
  ['clusterName a number', rolloutInput({ clusterName: 42 }), 'InvalidInput', ['clusterName', 'string']],
  [
    'clusterName with a space',
    rolloutInput({ clusterName: 'prod cluster' }),
    'InvalidInput',
    ['clusterName', 'EKS cluster name'],
  ],
  ['amiId too short', rolloutInput({ amiId: 'ami-123' }), 'InvalidInput', ['amiId', 'ami-0123456789abcdef0']],
  ['amiId in capitals', rolloutInput({ amiId: 'AMI-0CCC0000000000003' }), 'InvalidInput', ['amiId']],
  ['amiId not hexadecimal', rolloutInput({ amiId: 'ami-0ccc000000000000g' }), 'InvalidInput', ['amiId']],
  ['an instance id for amiId', rolloutInput({ amiId: 'i-0ccc0000000000003' }), 'InvalidInput', ['amiId']],
  ['amiId an object', rolloutInput({ amiId: { id: targetAmi } }), 'InvalidInput', ['amiId']],
  ['maxUnavailable 0', rolloutInput({ maxUnavailable: 0 }), 'InvalidInput', ['maxUnavailable', 'at least 1']],
  [
    'maxUnavailable negative',
    rolloutInput({ maxUnavailable: -1 }),
    'InvalidInput',
    ['maxUnavailable', 'at least 1'],
  ],
  [
    'maxUnavailable fractional',
    rolloutInput({ maxUnavailable: 1.5 }),
    'InvalidInput',
    ['maxUnavailable', 'int'],
  ],
  [
    'maxUnavailable huge',
    rolloutInput({ maxUnavailable: 1e9 }),
    'InvalidInput',
    ['maxUnavailable', 'at most 100'],
  ],
  [
    'maxUnavailable a string',
    rolloutInput({ maxUnavailable: '2' }),
    'InvalidInput',
    ['maxUnavailable', 'number'],
  ],
  [
    'drainTimeoutSeconds below a minute',
    rolloutInput({ drainTimeoutSeconds: 10 }),
    'InvalidInput',
    ['drainTimeoutSeconds', 'at least 60'],
  ],
  [
    'readyTimeoutSeconds huge',
    rolloutInput({ readyTimeoutSeconds: 999_999 }),
    'InvalidInput',
    ['readyTimeoutSeconds', 'at most 7200'],
  ],
  [
    'gracePeriodSeconds negative',
    rolloutInput({ gracePeriodSeconds: -5 }),
    'InvalidInput',
    ['gracePeriodSeconds', '0 or more'],
  ],
  ['force a string', rolloutInput({ force: 'yes' }), 'InvalidInput', ['force', 'boolean']],
  [
    'deleteEmptyDirData null',
    rolloutInput({ deleteEmptyDirData: null }),
    'InvalidInput',
    ['deleteEmptyDirData', 'boolean'],
  ],
  ['a typo: dryrun', rolloutInput({ dryrun: true }), 'InvalidInput', ['dryrun']],
  ['an extra field', rolloutInput({ surprise: { nested: [1, 2] } }), 'InvalidInput', ['surprise']],
  [
    'a 100,000-character clusterName',
    rolloutInput({ clusterName: huge }),
    'InvalidInput',
    ['clusterName', 'at most 100'],
  ],
  [
    'a 300-character nodeGroupName',
    rolloutInput({ nodeGroupName: 'g'.repeat(300) }),
    'InvalidInput',
    ['nodeGroupName'],
  ],
  ['null', null, 'InvalidInput', ['(input)', 'object']],
  ['an array', [rolloutInput()], 'InvalidInput', ['(input)', 'object']],
  ['a string', 'prod/win-a', 'InvalidInput', ['(input)', 'object']],
  ['a number', 42, 'InvalidInput', ['(input)', 'object']],
  ['true', true, 'InvalidInput', ['(input)', 'object']],
  [
    'an unknown node group',
    rolloutInput({ nodeGroupName: 'win-z' }),
    'NodeGroupNotFound',
    ['win-z', 'nodeGroupName'],
  ],
  [
    'an unknown cluster',
    rolloutInput({ clusterName: 'staging' }),
    'NodeGroupNotFound',
    ['staging does not exist', 'check clusterName'],
  ],
  [
    'a managed node group of Linux nodes',
    rolloutInput({ nodeGroupName: 'linux' }),
    'NodeGroupNotWindows',
    ['linux', 'Windows nodes only'],
  ],
  [
    'an AMI that does not exist',
    rolloutInput({ amiId: 'ami-0fff0000000000009' }),
    'AmiNotFound',
    ['ami-0fff0000000000009', 'amiId'],
  ],
];

/** [what, EventBridge event, words start-rollout's reason must hold] */
const events: [string, unknown, string[]][] = [
  ['an empty event', {}, ['source']],
  ['null', null, ['object']],
  ['an array', [], ['object']],
  ['a string', 'AVAILABLE', ['object']],
  [
    'another source',
    { source: 'aws.ec2', 'detail-type': 'EC2 Instance State-change Notification' },
    ['source'],
  ],
  ['no detail', imageEvent({}, 'detail'), ['detail']],
  ['no resources', imageEvent({ resources: [] }), ['resources', 'image ARN']],
  [
    'a resource that is no image ARN',
    imageEvent({ resources: ['arn:aws:ec2:us-east-1:111122223333:instance/i-1'] }),
    ['resources', 'Image Builder image ARN'],
  ],
  ['a bad account', imageEvent({ account: 'me' }), ['account', '12-digit']],
  ['a schedule with an unknown mode', { mode: 'latest' }, ['mode']],
];

/** An Image Builder image state change with `fields` changed and `without` removed. */
function imageEvent(fields: Record<string, unknown>, without?: string) {
  const event: Record<string, unknown> = {
    version: '0',
    id: '4f6c2a1e-8d3b-4c5a-9e0f-1a2b3c4d5e6f',
    'detail-type': 'EC2 Image Builder Image State Change',
    source: 'aws.imagebuilder',
    account: '111122223333',
    time: '2026-11-12T19:02:11Z',
    region: 'us-east-1',
    resources: ['arn:aws:imagebuilder:us-east-1:111122223333:image/eks-windows-2022-core-1-31/1.0.4/3'],
    detail: { 'previous-state': { status: 'DISTRIBUTING' }, state: { status: 'AVAILABLE' } },
    ...fields,
  };
  if (without !== undefined) delete event[without];
  return event;
}

function expectNothingChanged(
  report: SimulationReport,
  before: WorldSnapshot | undefined,
  after: WorldSnapshot,
) {
  expect(after).toEqual(before);
  expect(report.invariants).toEqual(noneBroken);
}

describe('malformed execution inputs: a named refusal before any change', () => {
  it.each(inputs)(
    '%s ends in its named error, naming the field and the fix',
    async (_, input, name, words) => {
      const document = safetyDocument();
      document.execution = { input };
      const { report, before, after } = await withSnapshots(document);
      expect(report.status).toBe('FAILED');
      expect(report.error?.name).toBe(name);
      for (const word of words) expect(report.error?.cause).toContain(word);
      expect(report.notifications.map((n) => n.subject)).toEqual([expect.stringContaining(`[REFUSED]`)]);
      expectNothingChanged(report, before, after);
    },
  );

  it('a refusal whose notification cannot be sent still ends with its own name, before any change', async () => {
    const document = safetyDocument();
    document.execution = { input: rolloutInput({ amiId: 'ami-0fff0000000000009' }) };
    document.faults = [{ kind: 'throttle', api: 'sns:Publish', times: 20 }];
    const { report, before, after } = await withSnapshots(document);
    expect(report.error?.name).toBe('AmiNotFound');
    expect(report.error?.cause).toContain('the notification could not be sent (ThrottledException)');
    expectNothingChanged(report, before, after);
  });

  it('an input over 256 KiB is refused by StartExecution itself', async () => {
    const document = safetyDocument();
    document.execution = { input: rolloutInput({ clusterName: 'x'.repeat(300_000) }) };
    await expect(simulate(parseScenario(document))).rejects.toThrow('input exceeds 262144 bytes');
  });
});

describe('malformed EventBridge events: start-rollout starts nothing and says why', () => {
  it.each(events)('%s is reported as malformed, naming the field', async (_, event, words) => {
    const document = safetyDocument();
    document.execution = { event };
    const { report, before, after } = await withSnapshots(document);
    expect(report.executions).toEqual([]);
    const summary = report.output as { trigger: string; reason: string; started: unknown[] };
    expect(summary).toMatchObject({ trigger: 'malformed', started: [] });
    for (const word of words) expect(summary.reason).toContain(word);
    expectNothingChanged(report, before, after);
  });
});
