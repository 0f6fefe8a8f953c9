import { readFile } from 'node:fs/promises';
import { type CelInput, run } from '@bufbuild/cel';
import { loadAllYaml, type V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  cordonedByAnnotation,
  protectedByAnnotation,
  scaleDownDisabledAnnotation,
} from '../../functions/domain/nodes.ts';
import { prePullAnnotation } from '../../functions/domain/pre-pull.ts';

interface Expression {
  name?: string;
  expression: string;
  message?: string;
}
interface Policy {
  kind: string;
  spec: {
    matchConditions: Expression[];
    variables: Expression[];
    validations: Expression[];
    policyName?: string;
    validationActions?: string[];
  };
}

const manifests = loadAllYaml(
  await readFile(new URL('../../deploy/node-patch-policy.yaml', import.meta.url), 'utf8'),
) as Policy[];
const policy = manifests.find((m) => m.kind === 'ValidatingAdmissionPolicy') as Policy;

/**
 * Admits an UPDATE as kube-apiserver's admission plugin does: matchConditions first (none true: not
 * this policy's business), then the variables, then every validation; the messages of those that fail.
 */
function admit(oldNode: V1Node, node: V1Node, groups = ['eks-windows-patcher']): string[] {
  const cel = (value: unknown) => JSON.parse(JSON.stringify(value)) as CelInput;
  const [object, oldObject] = [cel(node), cel(oldNode)];
  const request = cel({ userInfo: { username: 'eks-windows-patcher-drain', groups } });
  const truth = (expression: string, bindings: Record<string, CelInput>) =>
    run(expression, bindings) === true;
  if (!policy.spec.matchConditions.every((c) => truth(c.expression, { request, object, oldObject })))
    return [];
  const variables: Record<string, CelInput> = {};
  for (const variable of policy.spec.variables) {
    variables[variable.name ?? ''] = run(variable.expression, { request, object, oldObject }) as CelInput;
  }
  return policy.spec.validations
    .filter((v) => !truth(v.expression, { request, object, oldObject, variables }))
    .map((v) => v.message ?? v.expression);
}

const node: V1Node = {
  metadata: {
    name: 'ip-10-0-1-17.ec2.internal',
    labels: { 'kubernetes.io/os': 'windows', 'eks.amazonaws.com/nodegroup': 'win-a' },
    annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
  },
  spec: {
    providerID: 'aws:///us-east-1a/i-0aaa',
    taints: [{ key: 'os', value: 'windows', effect: 'NoSchedule' }],
  },
};

/** What a JSON merge patch of the node leaves (null removes a key), as the API server applies it. */
function patched(change: {
  unschedulable?: boolean;
  annotations?: Record<string, string | null>;
  labels?: Record<string, string | null>;
  taints?: V1Node['spec'] extends infer S ? (S extends { taints?: infer T } ? T : never) : never;
  providerID?: string;
}): V1Node {
  const merge = (base: Record<string, string> | undefined, patch: Record<string, string | null> = {}) =>
    Object.fromEntries(
      Object.entries({ ...base, ...patch }).filter((entry): entry is [string, string] => entry[1] !== null),
    );
  return {
    metadata: {
      ...node.metadata,
      annotations: merge(node.metadata?.annotations, change.annotations),
      labels: merge(node.metadata?.labels, change.labels),
    },
    spec: {
      ...node.spec,
      ...(change.unschedulable === undefined ? {} : { unschedulable: change.unschedulable }),
      ...(change.taints === undefined ? {} : { taints: change.taints }),
      ...(change.providerID === undefined ? {} : { providerID: change.providerID }),
    },
  };
}

const osTaint = { key: 'os', value: 'windows', effect: 'NoSchedule' };

describe('ValidatingAdmissionPolicy (deploy/node-patch-policy.yaml)', () => {
  it('is bound with Deny', () => {
    const binding = manifests.find((m) => m.kind === 'ValidatingAdmissionPolicyBinding');
    expect(binding?.spec).toMatchObject({
      policyName: 'eks-windows-patcher-node-changes',
      validationActions: ['Deny'],
    });
  });

  it.each([
    [
      'a cordon with its annotation',
      { unschedulable: true, annotations: { [cordonedByAnnotation]: 'exec-1' } },
    ],
    ['an uncordon that removes it', { unschedulable: false, annotations: { [cordonedByAnnotation]: null } }],
    [
      "the autoscaler's scale-down-disabled annotation and its marker",
      { annotations: { [scaleDownDisabledAnnotation]: 'true', [protectedByAnnotation]: 'exec-1' } },
    ],
    ['the mark of a pre-pull', { annotations: { [prePullAnnotation]: 'exec-1' } }],
    ['the mark of a pre-pull removed', { annotations: { [prePullAnnotation]: null } }],
    [
      'a PreferNoSchedule taint of its own, beside the others',
      {
        taints: [osTaint, { key: 'eks-windows-patcher/retiring', value: 'true', effect: 'PreferNoSchedule' }],
      },
    ],
    [
      'the load-balancer exclusion label removed',
      { labels: { 'node.kubernetes.io/exclude-from-external-load-balancers': null } },
    ],
  ])('admits %s', (_, change) => {
    expect(admit(node, patched(change))).toEqual([]);
  });

  it.each([
    ['a label of its own choosing', { labels: { 'kubernetes.io/os': 'linux' } }, 'label'],
    [
      'an annotation that is not its own',
      { annotations: { 'node.alpha.kubernetes.io/ttl': null } },
      'annotations',
    ],
    ['removing a taint that is not its own', { taints: [] }, 'taints'],
    [
      'a NoExecute taint of someone else',
      { taints: [osTaint, { key: 'evil', effect: 'NoExecute' }] },
      'taints',
    ],
    ['another providerID', { providerID: 'aws:///us-east-1a/i-0bad' }, 'providerID'],
  ])('denies %s, saying what it may change', (_, change, word) => {
    const denied = admit(node, patched(change));
    expect(denied).toHaveLength(1);
    expect(denied[0]).toContain(word);
  });

  it('leaves everyone else to RBAC', () => {
    expect(admit(node, patched({ labels: { 'kubernetes.io/os': 'linux' } }), ['system:nodes'])).toEqual([]);
  });
});
