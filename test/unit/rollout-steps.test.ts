import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  atDeadline,
  blindRefusals,
  controllersOf,
  drainForecast,
  drainWaitSeconds,
  joinWatchSeconds,
  lateAllowanceSeconds,
  leftoverReasons,
  overdueDeletions,
  ownerBaselines,
  ownersNotYetReady,
  readyWanted,
  selectorText,
} from '../../functions/domain/drain.ts';
import { isLive, leaseSeconds, lockRefusal, siblingExecutionArn } from '../../functions/domain/lock.ts';
import { instancesWithoutNode } from '../../functions/domain/members.ts';
import { caughtError, consoleUrl, rolloutNotification } from '../../functions/domain/notification.ts';
import { maxPollRounds, pollSpacing } from '../../functions/domain/polling.ts';
import {
  expectedBootSeconds,
  launchFailure,
  lostReplacements,
  nextBatchDesired,
  nextCheckSeconds,
  observedBootSeconds,
  replacementNotReadyCause,
  replacementProblem,
  replacementsNeeded,
} from '../../functions/domain/replacements.ts';
import { rollbackActions } from '../../functions/domain/rollback.ts';
import { node, pod } from '../support/objects.ts';

const rs = { kind: 'ReplicaSet', name: 'web-rs', uid: 'rs-1' };

describe('waiting for evicted pods to be Ready elsewhere', () => {
  const before = [
    pod('web-1', { owner: rs }),
    pod('web-2', { owner: rs }),
    pod('web-3', { owner: rs, ready: false }),
  ];

  /** What the API says of each controller (spec.replicas, status.readyReplicas), by uid. */
  const counts = (replicas: number, ready: number, uid = 'rs-1') => new Map([[uid, { replicas, ready }]]);

  it('records how many pods of each controller are Ready before the drain, from its status', () => {
    expect(controllersOf(before)).toEqual([
      { namespace: 'shop', uid: 'rs-1', kind: 'ReplicaSet', controller: 'web-rs' },
    ]);
    expect(ownerBaselines(before.slice(0, 1), counts(3, 2))).toEqual([
      {
        namespace: 'shop',
        uid: 'rs-1',
        kind: 'ReplicaSet',
        controller: 'web-rs',
        name: 'ReplicaSet/web-rs',
        readyBefore: 2,
      },
    ]);
  });

  it('waits until the controller has as many Ready pods as before', () => {
    const baselines = ownerBaselines(before.slice(0, 1), counts(3, 2));
    expect(ownersNotYetReady(baselines, counts(3, 1))).toEqual(['shop/ReplicaSet/web-rs (1/2 Ready)']);
    expect(ownersNotYetReady(baselines, counts(3, 2))).toEqual([]);
  });

  it('ignores bare pods, which nothing recreates, and controllers no drain waits for (a Job)', () => {
    const job = pod('report', { owner: { kind: 'Job', name: 'report', uid: 'job-1' } });
    expect(controllersOf([pod('debug'), job])).toEqual([]);
    expect(ownerBaselines([pod('debug'), job], counts(1, 1, 'job-1'))).toEqual([]);
  });

  it('names a Deployment by its own name, not its ReplicaSet’s', () => {
    const owned = pod('web-1', {
      owner: { kind: 'ReplicaSet', name: 'web-7f9c4', uid: 'rs-7' },
      labels: { app: 'web', 'pod-template-hash': '7f9c4' },
    });
    expect(ownerBaselines([owned], counts(1, 1, 'rs-7'))[0]?.name).toBe('Deployment/web');
  });

  const baseline = (kind: 'ReplicaSet' | 'StatefulSet', readyBefore: number) => ({
    namespace: 'shop',
    uid: 'c-1',
    kind,
    controller: 'c',
    name: `${kind}/c`,
    readyBefore,
  });
  it.each([
    ['a ReplicaSet that replaced its evicted pod', 'ReplicaSet', 3, 3, 3],
    ['a ReplicaSet scaled down from 3 to 2 (an HPA)', 'ReplicaSet', 3, 2, 2],
    ['an old ReplicaSet scaled to 0 by a Deployment rollout', 'ReplicaSet', 3, 0, 0],
    ['a ReplicaSet scaled up: still the count before', 'ReplicaSet', 3, 4, 3],
    ['a StatefulSet whose pod is not recreated yet', 'StatefulSet', 3, 2, 3],
    ['a controller that is gone', 'ReplicaSet', 3, undefined, 0],
  ] as const)('wants as many Ready pods as %s keeps (%#)', (_, kind, before, replicas, wanted) => {
    const now = replicas === undefined ? undefined : { replicas, ready: 0 };
    expect(readyWanted(baseline(kind, before), now)).toBe(wanted);
  });
});

describe('pods asked to go that are still there', () => {
  const leaving = (name: string, dueAt: number) => {
    const base = pod(name, { owner: rs, terminating: true });
    return { ...base, metadata: { ...base.metadata, deletionTimestamp: new Date(dueAt) } };
  };

  it('are overdue once their grace period has ended', () => {
    const pods = [leaving('late', 1_000), leaving('on-time', 61_000), pod('running', { owner: rs })];
    expect(overdueDeletions(pods, 31_000).map((p) => p.metadata?.name)).toEqual(['late']);
  });

  it.each([
    ['no flag: a stuck pod and a refused one fail the drain', false, false, [], ['late', 'guarded']],
    [
      'force: the stuck pod is no longer waited for; the refused one still fails',
      true,
      false,
      ['late'],
      ['guarded'],
    ],
    ['the PDB override: the refused one is deleted; the stuck one fails', false, true, [], ['late']],
    ['both', true, true, ['late'], []],
  ])('at the deadline, %s', (_, force, overridePdbAfterTimeout, abandoned, failing) => {
    const pods = [leaving('late', 1_000), leaving('on-time', 61_000), pod('guarded', { owner: rs })];
    const names = (list: V1Pod[]) => list.map((p) => p.metadata?.name);
    const verdict = atDeadline(pods, 31_000, { force, overridePdbAfterTimeout });
    expect([names(verdict.abandoned), names(verdict.failing)]).toEqual([abandoned, failing]);
  });

  it('are named with what holds each of them at the deadline', () => {
    const pods = [leaving('late', 1_000), leaving('on-time', 61_000), pod('guarded', { owner: rs })];
    expect(leftoverReasons(pods, ['shop/guarded refused by PDB web: no'], 31_000)).toEqual([
      'shop/late still Terminating 30 s after its grace period ended (a finalizer that never clears, or a kubelet that no longer answers)',
      'shop/on-time Terminating (grace period ends in 30 s)',
      'shop/guarded refused by PDB web: no',
    ]);
  });
});

describe('pacing the drain by what the pods show', () => {
  const web = { kind: 'ReplicaSet', name: 'web-rs', uid: 'rs-web' };
  const api = { kind: 'ReplicaSet', name: 'api-rs', uid: 'rs-api' };
  const ledger = { kind: 'StatefulSet', name: 'ledger', uid: 'sts-ledger' };
  const s = (seconds: number) => seconds * 1000;
  /** A pod with the times the forecast reads (seconds). */
  const timed = (
    name: string,
    owner: typeof web,
    times: { created: number; ready?: number; started?: number; node?: string },
  ): V1Pod => {
    const base = pod(name, { owner, node: times.node ?? 'new-node', ready: times.ready !== undefined });
    const readyAt = times.ready === undefined ? undefined : new Date(s(times.ready));
    return {
      ...base,
      metadata: { ...base.metadata, uid: `uid-${name}`, creationTimestamp: new Date(s(times.created)) },
      status: {
        ...base.status,
        conditions: [{ type: 'Ready', status: readyAt ? 'True' : 'False', lastTransitionTime: readyAt }],
        containerStatuses:
          times.started === undefined
            ? undefined
            : [
                {
                  name: 'main',
                  image: 'img',
                  imageID: '',
                  ready: readyAt !== undefined,
                  restartCount: 0,
                  state: { running: { startedAt: new Date(s(times.started)) } },
                },
              ],
      },
    };
  };
  const old = (name: string, owner: typeof web) =>
    timed(name, owner, { created: 0, ready: 0, node: 'old-node' });

  it("expects an evicted pod's replacement after its controller's start time, as its pods on the batch showed it", () => {
    const evicted = old('web-1', web);
    const seen = timed('web-9', web, { created: 10, ready: 55 });
    expect(
      drainForecast({
        now: s(100),
        batchPods: [evicted, seen],
        evicted: [{ pod: evicted, graceSeconds: 30 }],
        refused: [],
      }),
    ).toEqual({ doneAt: s(145), nextRoundAt: s(145) });
  });

  it('polls while no pod of the controller was seen starting: no start time is assumed', () => {
    const evicted = old('web-1', web);
    expect(
      drainForecast({
        now: 0,
        batchPods: [evicted],
        evicted: [{ pod: evicted, graceSeconds: 30 }],
        refused: [],
      }),
    ).toEqual({ doneAt: s(30), nextRoundAt: undefined });
  });

  it('looks again when the pods would be done had they left as soon as asked; the grace period is only their most', () => {
    const evicted = old('worker-1', web);
    const seen = timed('worker-9', web, { created: 0, ready: 20 });
    expect(
      drainForecast({
        now: 0,
        batchPods: [evicted, seen],
        evicted: [{ pod: evicted, graceSeconds: 90 }],
        refused: [],
      }),
    ).toEqual({ doneAt: s(90), nextRoundAt: s(20) });
  });

  it('recreates a StatefulSet pod only once its predecessor is gone', () => {
    const evicted = old('ledger-0', ledger);
    const seen = timed('ledger-1', ledger, { created: 0, ready: 30 });
    expect(
      drainForecast({
        now: 0,
        batchPods: [evicted, seen],
        evicted: [{ pod: evicted, graceSeconds: 60 }],
        refused: [],
      }).doneAt,
    ).toBe(s(90));
  });

  it('retries refused evictions as soon as the first may pass', () => {
    const [web1, web2, api1, api2] = [
      old('web-1', web),
      old('web-2', web),
      old('api-1', api),
      old('api-2', api),
    ];
    const observed = [
      timed('web-9', web, { created: 0, ready: 20 }),
      timed('api-9', api, { created: 0, ready: 100 }),
    ];
    const forecast = drainForecast({
      now: 0,
      batchPods: [web1, web2, api1, api2, ...observed],
      evicted: [
        { pod: web1, graceSeconds: 10 },
        { pod: api1, graceSeconds: 10 },
      ],
      refused: [web2, api2],
    });
    // web-2 may go at 20 s (its replacement then starts at once); api-2 at 100 s, a round later.
    expect(forecast).toEqual({ doneAt: s(100), nextRoundAt: s(20) });
  });

  it('expects a replacement whose image is already on a schedulable node after its start-up alone', () => {
    const evicted = { ...old('web-1', web), spec: { containers: [{ name: 'main', image: 'aspnet' }] } };
    const seen = timed('web-9', web, { created: 0, started: 80, ready: 100 });
    const facts = {
      now: 0,
      batchPods: [evicted, seen],
      evicted: [{ pod: evicted, graceSeconds: 10 }],
      refused: [],
    };
    expect(drainForecast(facts).doneAt).toBe(s(100));
    expect(drainForecast({ ...facts, imagesPresent: new Set(['aspnet']) }).doneAt).toBe(s(20));
  });

  it("prefers the start times seen on the rollout's new nodes to the batch's old pods'", () => {
    const evicted = old('web-1', web);
    const facts = {
      now: 0,
      batchPods: [evicted],
      evicted: [{ pod: evicted, graceSeconds: 10 }],
      refused: [],
    };
    expect(drainForecast(facts).nextRoundAt).toBeUndefined();
    expect(drainForecast({ ...facts, learned: new Map([[web.uid, { fromCreation: 45 }]]) })).toEqual({
      doneAt: s(45),
      nextRoundAt: s(45),
    });
  });

  it("while waiting for evicted pods to be Ready elsewhere, expects the last eviction's replacement, created then", () => {
    const waiting = { now: s(100), batchPods: [], evicted: [], refused: [], waited: [web.uid] };
    const evictedEarlier = new Map([[web.uid, s(90)]]);
    expect(drainForecast({ ...waiting, evictedEarlier }).nextRoundAt).toBe(s(100));
    const learned = new Map([[web.uid, { fromCreation: 45 }]]);
    expect(drainForecast({ ...waiting, evictedEarlier, learned })).toEqual({
      doneAt: s(135),
      nextRoundAt: s(135),
    });
  });

  it('cannot say when a refused eviction passes if nothing of its controller is on the way', () => {
    const [web1, web2] = [old('web-1', web), old('web-2', web)];
    expect(
      drainForecast({
        now: 0,
        batchPods: [web1, web2],
        evicted: [],
        refused: [web1, web2],
      }).nextRoundAt,
    ).toBeUndefined();
  });

  it("with the refused pod's controller's pods listed, expects the PDB to pass when one starting elsewhere is Ready", () => {
    const [web1, web2] = [old('web-1', web), old('web-2', web)];
    const facts = { now: s(100), batchPods: [web1, web2], evicted: [], refused: [web1, web2] };
    expect(blindRefusals(facts)).toEqual([web1, web2]);
    // Another drain's replacement, created at 60 s; web's pods took 80 s to start (web-8).
    const elsewhere = [
      timed('web-8', web, { created: 0, ready: 80, node: 'other' }),
      timed('web-7', web, { created: 60, node: 'other' }),
    ];
    expect(blindRefusals({ ...facts, elsewhere })).toEqual([]);
    expect(drainForecast({ ...facts, elsewhere })).toEqual({ doneAt: s(140), nextRoundAt: s(140) });
  });

  it('sees its own replacements: a refusal after an eviction this round is not blind', () => {
    const [web1, web2] = [old('web-1', web), old('web-2', web)];
    expect(
      blindRefusals({
        now: 0,
        batchPods: [web1, web2],
        evicted: [{ pod: web1, graceSeconds: 30 }],
        refused: [web2],
      }),
    ).toEqual([]);
  });

  it.each([
    [{ matchLabels: { app: 'web', 'pod-template-hash': 'abc' } }, 'app=web,pod-template-hash=abc'],
    [
      {
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['a', 'b'] },
          { key: 'env', operator: 'NotIn', values: ['dev'] },
          { key: 'canary', operator: 'DoesNotExist' },
          { key: 'app', operator: 'Exists' },
        ],
      },
      'tier in (a,b),env notin (dev),!canary,app',
    ],
    [{}, undefined],
    [undefined, undefined],
  ])("lists a controller's pods by its selector (%#)", (selector, text) => {
    expect(selectorText(selector)).toBe(text);
  });

  it.each([
    [{ doneAt: s(45), nextRoundAt: s(45) }, 0, 0, 45],
    [{ doneAt: s(1), nextRoundAt: s(1) }, 0, 0, 2],
    [{ doneAt: 0, nextRoundAt: 0 }, s(10), 10, 5],
    [{ doneAt: 0, nextRoundAt: undefined }, s(300), 300, 30],
    [{ doneAt: s(400), nextRoundAt: s(320) }, s(300), 300, 30],
  ])('waits for the forecast, paced (%#)', (forecast, now, elapsed, seconds) => {
    expect(drainWaitSeconds(forecast, now, elapsed)).toBe(seconds);
  });

  it.each([
    ['ends the last wait at the deadline', { doneAt: s(400), nextRoundAt: s(400) }, s(300), s(310), 10],
    ['waits a second at least', { doneAt: s(400), nextRoundAt: s(400) }, s(300), s(300) + 1, 1],
    [
      'past it, follows deleted pods at most a tenth of the wait',
      { doneAt: s(1000), nextRoundAt: undefined },
      s(900),
      s(900),
      90,
    ],
    [
      'past it, polls no faster than the overdue pace',
      { doneAt: s(900), nextRoundAt: undefined },
      s(900),
      s(900),
      5,
    ],
  ])('%s', (_, forecast, now, deadline, seconds) => {
    expect(drainWaitSeconds(forecast, now, now / 1000, deadline)).toBe(seconds);
  });

  it('bets no more than half of the time left on a forecast', () => {
    // Start times seen while a readiness probe failed forecast 2262 s; 1800 s are left.
    expect(drainWaitSeconds({ doneAt: s(2262), nextRoundAt: s(2262) }, 0, 0, s(1800))).toBe(900);
  });

  it('past the deadline, waits for pods on their way no longer than the late allowance', () => {
    expect(lateAllowanceSeconds(900)).toBe(90);
    const replacementsStarting = { doneAt: s(1000), nextRoundAt: s(1000) };
    expect(drainWaitSeconds(replacementsStarting, s(900), 900, s(900), s(990))).toBe(90);
    expect(drainWaitSeconds(replacementsStarting, s(960), 960, s(900), s(990))).toBe(30);
  });
});

describe('pacing every wait', () => {
  it('never looks again sooner than a tenth of the time already waited', () => {
    expect([0, 30, 100, 1000].map((elapsed) => pollSpacing(elapsed, 5))).toEqual([5, 5, 10, 100]);
  });

  it('bounds the rounds of a wait of any length', () => {
    expect(maxPollRounds(900, 2)).toBeLessThan(60);
    expect(maxPollRounds(86_400, 2)).toBeLessThan(110);
  });
});

describe('replacement readiness', () => {
  const expected = { windowsBuild: '10.0.20348', requiredImages: [] };

  it.each([
    [undefined, 'has not joined the cluster'],
    [node('n', { ready: false, build: '10.0.20348' }), 'is not Ready'],
    [node('n', { os: 'linux' }), 'is not a Windows node'],
    [node('n', { build: '10.0.17763' }), 'reports Windows build 10.0.17763, expected 10.0.20348'],
    [node('n', { build: '10.0.20348' }), undefined],
  ])('%#: %s', (subject, problem) => {
    expect(replacementProblem(subject, expected)).toBe(problem);
  });

  it('requires the images of the pods to move when asked', () => {
    const withImages = { windowsBuild: '10.0.20348', requiredImages: ['img:a', 'img:b'] };
    expect(replacementProblem(node('n', { build: '10.0.20348', images: ['img:a'] }), withImages)).toBe(
      'lacks cached images img:b',
    );
    expect(
      replacementProblem(node('n', { build: '10.0.20348', images: ['img:a', 'img:b'] }), withImages),
    ).toBeUndefined();
  });

  it('learns the boot time from nodes already replaced (median)', () => {
    const at = (seconds: number) => new Date(seconds * 1000).toISOString();
    const ready = [400, 420, 500].map((s) => ({ launchTime: 0, node: node('n', { readySince: at(s) }) }));
    expect(observedBootSeconds(ready)).toBe(420);
    expect(observedBootSeconds([])).toBeUndefined();
  });

  it.each([
    [0, [0], 420, 420],
    [400_000, [0], 420, 40],
    [419_000, [0], 420, 42],
    [10_000, [0], 420, 410],
    [900_000, [0], 420, 90],
    [0, [], 420, 5],
    [20_000, [], 420, 5],
    // No boot seen yet: paced from the earliest launch, a tenth of the time since (5 s at least).
    [30_000, [0, 10_000], undefined, 5],
    [150_000, [0, 10_000], undefined, 15],
    [400_000, [0], undefined, 40],
    [400_000, [], undefined, 40],
  ] as const)(
    'at %i ms with launches %o and boot %s s looks again in %i s',
    (now, launches, boot, seconds) => {
      expect(nextCheckSeconds(now, [...launches], boot, 0)).toBe(seconds);
    },
  );

  it('gives up on launches only after three failures in a row since the surge', () => {
    const failed = (t: number) => ({ status: 'Failed', message: `no capacity ${t}`, startTime: t });
    const ok = (t: number) => ({ status: 'Successful', message: 'launched', startTime: t });
    expect(launchFailure([failed(30), failed(20), failed(10)], 5)).toBe('no capacity 30');
    expect(launchFailure([failed(30), failed(20), ok(10)], 5)).toBeUndefined();
    expect(launchFailure([failed(30), failed(20), failed(1)], 5)).toBeUndefined();
  });
});

describe('rollback', () => {
  const execution = { name: 'run-1', startTime: 1000 };
  const ours = { 'eks-windows-patcher/cordoned-by': 'run-1' };

  it('uncordons only nodes this execution cordoned', () => {
    const members = [
      {
        instanceId: 'i-1',
        imageId: 'ami-old',
        launchTime: 0,
        node: node('a', { unschedulable: true, annotations: ours }),
        workloadPods: 3,
      },
      {
        instanceId: 'i-2',
        imageId: 'ami-old',
        launchTime: 0,
        node: node('b', { unschedulable: true }),
        workloadPods: 3,
      },
      {
        instanceId: 'i-3',
        imageId: 'ami-old',
        launchTime: 0,
        node: node('c', { unschedulable: true, annotations: { 'eks-windows-patcher/cordoned-by': 'run-0' } }),
        workloadPods: 0,
      },
    ];
    expect(rollbackActions(members, execution, 'ami-new').uncordon).toEqual(['a']);
  });

  it('removes replacements of this execution that never took work, and keeps used ones', () => {
    const members = [
      {
        instanceId: 'i-unready',
        imageId: 'ami-new',
        launchTime: 2000,
        node: node('u', { ready: false }),
        workloadPods: 0,
      },
      { instanceId: 'i-unjoined', imageId: 'ami-new', launchTime: 2000, node: undefined, workloadPods: 0 },
      { instanceId: 'i-empty', imageId: 'ami-new', launchTime: 2000, node: node('e'), workloadPods: 0 },
      { instanceId: 'i-used', imageId: 'ami-new', launchTime: 2000, node: node('w'), workloadPods: 2 },
      { instanceId: 'i-earlier-run', imageId: 'ami-new', launchTime: 10, node: node('r'), workloadPods: 0 },
    ];
    expect(rollbackActions(members, execution, 'ami-new').removeSurge).toEqual([
      'i-unready',
      'i-unjoined',
      'i-empty',
    ]);
  });
});

describe('one rollout per node group', () => {
  const target = { clusterName: 'prod', nodeGroupName: 'win-a' };
  const lease = {
    groupId: 'arn:aws:autoscaling:us-east-1:1:autoScalingGroup:u:autoScalingGroupName/win-a',
    holder: 'arn:aws:states:us-east-1:1:execution:m:early',
    holderName: 'early',
    acquiredAt: Date.parse('2026-11-10T18:00:00Z'),
    expiresAt: Date.parse('2026-11-10T20:00:00Z'),
    before: {
      asgName: 'eksctl-prod-nodegroup-win-a',
      launchTemplateId: 'lt-1',
      launchTemplateVersion: '1',
      minSize: 3,
      maxSize: 6,
      desired: 4,
      suspendedProcesses: [],
    },
    pause: null,
    slowestBatchSeconds: null,
  };

  it.each([
    [
      'RUNNING',
      'inProgress',
      'Execution early (holding the lock since 2026-11-10T18:00:00.000Z) is already rolling',
    ],
    [
      'ABORTED',
      'releasePending',
      'Execution early ended ABORTED while holding node group win-a of cluster prod',
    ],
    [
      'GONE',
      'releasePending',
      'its clean-up has not released the group yet (the lock expires at 2026-11-10T20:00:00.000Z)',
    ],
  ])('refuses while the holder is %s (%s), naming it', (status, kind, text) => {
    const refusal = lockRefusal(lease, status, target);
    expect(refusal.kind).toBe(kind);
    expect(refusal.message).toContain(text);
  });

  it('holds a lease for a batch at most: its waits, the last nodes leaving, an hour for the rest', () => {
    expect(leaseSeconds({ readyTimeoutSeconds: 1800, drainTimeoutSeconds: 900 })).toBe(
      1800 + 900 + 900 + 3600,
    );
    expect(isLive(lease, lease.expiresAt)).toBe(true);
    expect(isLive(lease, lease.expiresAt + 1)).toBe(false);
  });

  it('names the execution a continuation comes from by ARN', () => {
    expect(siblingExecutionArn('arn:aws:states:us-east-1:1:execution:m:run-part2', 'run')).toBe(
      'arn:aws:states:us-east-1:1:execution:m:run',
    );
  });
});

describe('notifications', () => {
  it('reads the Lambda error JSON and plain causes', () => {
    expect(
      caughtError({
        Error: 'DrainTimeout',
        Cause: JSON.stringify({ errorType: 'DrainTimeout', errorMessage: 'Drain of x timed out.' }),
      }),
    ).toEqual({
      name: 'DrainTimeout',
      cause: 'Drain of x timed out.',
    });
    expect(caughtError({ Error: 'States.Timeout', Cause: 'Task timed out.' })).toEqual({
      name: 'States.Timeout',
      cause: 'Task timed out.',
    });
  });

  it('writes a subject with cluster, group, AMI and outcome, and a body with counts and the console link', () => {
    const message = rolloutNotification({
      outcome: 'FAILED',
      clusterName: 'prod',
      nodeGroupName: 'win-a',
      amiId: 'ami-0ccc0000000000003',
      executionName: 'run-1',
      consoleUrl: consoleUrl('arn:aws:states:eu-west-1:1:execution:m:run-1'),
      durationSeconds: 3725,
      nodesReplaced: 2,
      nodesOnTarget: 1,
      error: { name: 'DrainTimeout', cause: 'PDB finance/ledger refused.' },
      actions: ['uncordoned node-a'],
    });
    expect(message.subject).toBe(
      '[FAILED] EKS Windows rollout prod/win-a to ami-0ccc0000000000003: DrainTimeout',
    );
    expect(message.body).toContain('DrainTimeout: PDB finance/ledger refused.');
    expect(message.body).toContain('Nodes replaced: 2; already on the AMI: 1.');
    expect(message.body).toContain('Duration: 1 h 2 min.');
    expect(message.body).toContain('- uncordoned node-a');
    expect(message.body).toContain(
      'https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/',
    );
  });
});

describe('a replacement the group lost', () => {
  it.each([
    ['none lost: all there', { readyTarget: 2, replacements: 2, desired: 5, live: 5 }, 0],
    [
      'launches on their way: desired above the live instances',
      { readyTarget: 2, replacements: 1, desired: 5, live: 4 },
      0,
    ],
    [
      'removed with desired decremented (the cluster-autoscaler)',
      { readyTarget: 2, replacements: 1, desired: 4, live: 4 },
      1,
    ],
    ['both removed', { readyTarget: 3, replacements: 1, desired: 4, live: 4 }, 2],
  ])('%s', (_, group, lost) => {
    expect(lostReplacements(group)).toBe(lost);
  });

  it.each([
    ['as planned', 5, { desired: 7, old: 2, gone: 0 }, 5],
    ['old nodes removed by the cluster-autoscaler took their places', 5, { desired: 5, old: 2, gone: 0 }, 3],
    ['a replacement removed is needed again', 5, { desired: 6, old: 2, gone: 1 }, 5],
    ['a scale-out on the target AMI is not waited for', 5, { desired: 9, old: 2, gone: 0 }, 5],
    ['never below zero', 2, { desired: 1, old: 3, gone: 0 }, 0],
  ])(
    'needs the places beyond the old instances and those of lost replacements, at most the planned count: %s',
    (_, planned, group, needed) => {
      expect(replacementsNeeded(planned, group)).toBe(needed);
    },
  );

  it.each([
    [
      'first call: one per next-batch instance',
      { desired: 6, live: 6, booting: 0, old: 4 },
      { kept: 2, next: 2 },
      8,
    ],
    [
      'next-batch instances removed by others',
      { desired: 5, live: 5, booting: 0, old: 3 },
      { kept: 2, next: 1 },
      6,
    ],
    [
      'retry while the launches are on their way',
      { desired: 8, live: 8, booting: 2, old: 4 },
      { kept: 2, next: 2 },
      8,
    ],
    [
      'retry before the group launched them',
      { desired: 8, live: 6, booting: 0, old: 4 },
      { kept: 2, next: 2 },
      8,
    ],
    [
      'a removed instance of this batch leaves its replacement to the next',
      { desired: 3, live: 3, booting: 0, old: 1 },
      { kept: 1, next: 1 },
      3,
    ],
    ['nothing left of the next batch', { desired: 4, live: 4, booting: 0, old: 2 }, { kept: 2, next: 0 }, 4],
  ])('launches the next batch from what the group holds now: %s', (_, group, batch, desired) => {
    expect(nextBatchDesired(group, batch)).toBe(desired);
  });

  it('expects the first replacement after a sixth of the ready deadline until one was seen Ready', () => {
    expect(expectedBootSeconds(undefined, 1800)).toBe(300);
    expect(expectedBootSeconds(432, 1800)).toBe(432);
  });

  const timedOut = { missing: 1, targetAmiId: 'ami-0ccc0000000000003', readyTimeoutSeconds: 1800 };

  it('says the group lost replacements, and what removes them, not the AMI, when it did', () => {
    const cause = replacementNotReadyCause({
      ...timedOut,
      pending: ['i-0b has not joined the cluster'],
      lost: 2,
    });
    expect(cause).toMatch(/^The Auto Scaling group lost 2 replacement\(s\) during the wait/);
    expect(cause).toContain('the cluster-autoscaler');
    expect(cause).toContain('cluster-autoscaler.kubernetes.io/scale-down-disabled=true');
    expect(cause).toContain('(i-0b has not joined the cluster)');
    expect(cause).not.toContain('bootstrap');
  });

  it("points at the AMI's bootstrap when nothing was lost", () => {
    const cause = replacementNotReadyCause({ ...timedOut, pending: ['i-0b is not Ready'], lost: 0 });
    expect(cause).toBe(
      "1 replacement node(s) from ami-0ccc0000000000003 were not Ready within 1800 s (i-0b is not Ready): check the AMI's bootstrap (user data, kubelet logs) before running again; no old node was drained in this batch.",
    );
    expect(replacementNotReadyCause({ ...timedOut, pending: [], lost: 0 })).toContain(
      '(no instance was launched)',
    );
  });
});

describe('replacements joining while a batch drains', () => {
  it('names the instances that have no node yet', () => {
    const nodes = [node('a', { instanceId: 'i-0a' })];
    expect(instancesWithoutNode(['i-0a', 'i-0b'], nodes)).toEqual(['i-0b']);
    expect(instancesWithoutNode(['i-0a'], nodes)).toEqual([]);
  });

  it.each([
    ['at the start: when they are first expected', 0, 300, 300],
    ['halfway there', 150, 300, 150],
    ['due: then a tenth of the time waited', 300, 300, 30],
    ['late: still a tenth', 1000, 300, 100],
    ['early in a drain, no sooner than the overdue pace', 299, 300, 30],
  ])('%s', (_, elapsed, firstLook, seconds) => {
    expect(joinWatchSeconds(elapsed, firstLook)).toBe(seconds);
  });
});
