import { describe, expect, it } from 'vitest';
import { evictionVerdict } from '../../functions/domain/eviction.ts';
import {
  coveredAmong,
  pdbNeverAllowsReason,
  preflight,
  scaledValue,
} from '../../functions/domain/preflight.ts';
import { pdb, pod } from '../support/objects.ts';

const strict = { force: false, deleteEmptyDirData: false };
const exists = { daemonSetExists: true };

describe('eviction filters (kubectl drain --ignore-daemonsets parity)', () => {
  it.each([
    [
      'a ReplicaSet pod',
      pod('web-1', { owner: { kind: 'ReplicaSet', name: 'web-1' } }),
      strict,
      exists,
      'evict',
    ],
    [
      'a DaemonSet pod',
      pod('agent-1', { owner: { kind: 'DaemonSet', name: 'agent' } }),
      strict,
      exists,
      'skip',
    ],
    [
      'an orphaned DaemonSet pod',
      pod('agent-1', { owner: { kind: 'DaemonSet', name: 'agent' } }),
      strict,
      { daemonSetExists: false },
      'blocked',
    ],
    [
      'an orphaned DaemonSet pod with force',
      pod('agent-1', { owner: { kind: 'DaemonSet', name: 'agent' } }),
      { ...strict, force: true },
      { daemonSetExists: false },
      'evict',
    ],
    [
      'a finished DaemonSet pod',
      pod('agent-1', { owner: { kind: 'DaemonSet', name: 'agent' }, phase: 'Succeeded' }),
      strict,
      exists,
      'evict',
    ],
    ['a mirror pod', pod('kube-proxy', { mirror: true }), strict, exists, 'skip'],
    [
      'an emptyDir pod',
      pod('cache-1', { owner: { kind: 'ReplicaSet', name: 'c' }, emptyDir: true }),
      strict,
      exists,
      'blocked',
    ],
    [
      'an emptyDir pod with permission',
      pod('cache-1', { owner: { kind: 'ReplicaSet', name: 'c' }, emptyDir: true }),
      { ...strict, deleteEmptyDirData: true },
      exists,
      'evict',
    ],
    [
      'a finished emptyDir pod',
      pod('job-1', { owner: { kind: 'Job', name: 'j' }, emptyDir: true, phase: 'Failed' }),
      strict,
      exists,
      'evict',
    ],
    ['a bare pod', pod('debug'), strict, exists, 'blocked'],
    ['a bare pod with force', pod('debug'), { ...strict, force: true }, exists, 'evict'],
    ['a finished bare pod', pod('debug', { phase: 'Succeeded' }), strict, exists, 'evict'],
    [
      'a bare emptyDir pod with permission but no force',
      pod('debug', { emptyDir: true }),
      { ...strict, deleteEmptyDirData: true },
      exists,
      'blocked',
    ],
  ] as const)('%s: %s', (_, subject, rules, context, action) => {
    const verdict = evictionVerdict(subject, rules, context);
    expect(verdict.action).toBe(action);
    expect(verdict.reason.length).toBeGreaterThan(0);
  });

  it('warns when force or emptyDir permission makes a pod evictable', () => {
    const verdict = evictionVerdict(
      pod('debug', { emptyDir: true }),
      { force: true, deleteEmptyDirData: true },
      exists,
    );
    expect(verdict).toMatchObject({ action: 'evict' });
    expect(verdict.action === 'evict' && verdict.warning).toMatch(/emptyDir.*controller/);
  });
});

describe('PDB arithmetic', () => {
  it.each([
    [1, 10, 1],
    ['50%', 5, 3],
    ['0%', 5, 0],
    ['10%', 3, 1],
    [undefined, 5, undefined],
  ])('scales %s of %i to %s', (value, total, expected) => {
    expect(scaledValue(value, total)).toBe(expected);
  });

  it.each([
    [{ maxUnavailable: 0 }, 3, 'maxUnavailable 0'],
    [{ maxUnavailable: '0%' }, 3, 'maxUnavailable 0%'],
    [{ minAvailable: 3 }, 3, 'minAvailable 3 of 3'],
    [{ minAvailable: '100%' }, 4, 'minAvailable 100% of 4'],
    [{ minAvailable: 2 }, 3, undefined],
    [{ maxUnavailable: 1 }, 1, undefined],
  ])('a PDB %o over %i pods can never allow a disruption: %s', (spec, covered, reason) => {
    const result = pdbNeverAllowsReason(pdb('budget', spec), covered);
    if (reason === undefined) expect(result).toBeUndefined();
    else expect(result).toContain(reason);
  });
});

describe('pre-flight', () => {
  const web = [1, 2, 3].map((i) =>
    pod(`web-${i}`, { owner: { kind: 'ReplicaSet', name: 'web-rs' }, node: i === 1 ? 'old' : 'other' }),
  );
  const lookup = () => true;

  it('passes a workload whose PDB can allow a disruption', () => {
    const result = preflight(
      [web[0] ?? pod('x')],
      coveredAmong(web),
      [pdb('web', { maxUnavailable: 1 })],
      strict,
      lookup,
    );
    expect(result.blockers).toEqual([]);
    expect(result.warnings).toEqual([]);
  });

  it('refuses a PDB that can never allow a disruption, naming it', () => {
    const result = preflight(
      web.slice(0, 1),
      coveredAmong(web),
      [pdb('web', { minAvailable: 3 })],
      strict,
      lookup,
    );
    expect(result.blockers).toEqual([
      expect.stringContaining('PDB shop/web requires minAvailable 3 of 3 pods'),
    ]);
  });

  it('only warns about a PDB that allows no disruption right now', () => {
    const result = preflight(
      web.slice(0, 1),
      coveredAmong(web),
      [pdb('web', { maxUnavailable: 1, disruptionsAllowed: 0 })],
      strict,
      lookup,
    );
    expect(result.blockers).toEqual([]);
    expect(result.warnings).toEqual([expect.stringContaining('allows no disruption right now')]);
  });

  it('refuses pods covered by two PDBs (the Eviction API answers 500)', () => {
    const result = preflight(
      web.slice(0, 1),
      coveredAmong(web),
      [pdb('a', { maxUnavailable: 1 }), pdb('b', { maxUnavailable: 1 })],
      strict,
      lookup,
    );
    expect(result.blockers).toEqual([expect.stringContaining('covered by 2 PDBs (shop/a, shop/b)')]);
    expect(result.pdbBlockers).toEqual(result.blockers);
    expect(result.blockedPods).toEqual([]);
  });

  it('refuses bare and emptyDir pods, naming each', () => {
    const pods = [
      pod('debug', { node: 'old' }),
      pod('cache', { node: 'old', emptyDir: true, owner: { kind: 'ReplicaSet', name: 'c' } }),
    ];
    const result = preflight(pods, coveredAmong(pods), [], strict, lookup);
    expect(result.blockers).toEqual([
      expect.stringContaining('shop/debug: bare pod'),
      expect.stringContaining('shop/cache: uses emptyDir'),
    ]);
    expect(result.pdbBlockers).toEqual([]);
  });

  it('lists the pods force does not lift: an emptyDir pod without deleteEmptyDirData, not a bare pod', () => {
    const pods = [
      pod('debug', { node: 'old' }),
      pod('cache', { node: 'old', emptyDir: true, owner: { kind: 'ReplicaSet', name: 'c' } }),
    ];
    expect(preflight(pods, coveredAmong(pods), [], { ...strict, force: true }, lookup).blockedPods).toEqual([
      'shop/cache',
    ]);
    expect(preflight(pods, coveredAmong(pods), [], strict, lookup).blockedPods).toEqual([
      'shop/debug',
      'shop/cache',
    ]);
  });

  it('ignores PDBs of other namespaces', () => {
    const result = preflight(
      web.slice(0, 1),
      coveredAmong(web),
      [pdb('web', { minAvailable: 3 }, 'other')],
      strict,
      lookup,
    );
    expect(result.blockers).toEqual([]);
  });
});
