import type { V1Pod } from '@kubernetes/client-node';
import type { NewBarePod } from '../world/bare-pods.ts';
import { ApiRefusal } from './refusal.ts';

/** The namespaces every EKS cluster has, and ours (deploy/rbac.yaml). */
export const standingNamespaces = [
  'default',
  'kube-system',
  'kube-public',
  'kube-node-lease',
  'eks-windows-patcher',
];

/** k8s.io/apimachinery/pkg/util/validation: IsDNS1123Subdomain and IsDNS1123Label. */
const dns1123Label = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const subdomain = new RegExp(`^${dns1123Label}(\\.${dns1123Label})*$`);
const label = new RegExp(`^${dns1123Label}$`);

interface Cause {
  reason: string;
  message: string;
  field: string;
}

const required = (field: string, detail?: string): Cause => ({
  reason: 'FieldValueRequired',
  field,
  message: `${field}: Required value${detail === undefined ? '' : `: ${detail}`}`,
});
const invalid = (field: string, value: string, detail: string): Cause => ({
  reason: 'FieldValueInvalid',
  field,
  message: `${field}: Invalid value: "${value}": ${detail}`,
});
const unsupported = (field: string, detail: string): Cause => ({
  reason: 'FieldValueNotSupported',
  field,
  message: `${field}: Unsupported value: ${detail}`,
});

function nameCauses(field: string, value: string, pattern: RegExp, maxLength: number, kind: string): Cause[] {
  if (value.length <= maxLength && pattern.test(value)) return [];
  return [
    invalid(
      field,
      value,
      `a lowercase RFC 1123 ${kind} (at most ${maxLength} characters) must consist of lower case alphanumeric characters${kind === 'subdomain' ? ", '-' or '.'" : " or '-'"}, and must start and end with an alphanumeric character`,
    ),
  ];
}

function containerCauses(pod: V1Pod): Cause[] {
  const containers: unknown = pod.spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0) return [required('spec.containers')];
  const seen = new Set<string>();
  return containers.flatMap((container: { name?: unknown; image?: unknown }, index): Cause[] => {
    const field = `spec.containers[${index}]`;
    const causes: Cause[] = [];
    if (typeof container?.name !== 'string' || container.name === '') causes.push(required(`${field}.name`));
    else {
      causes.push(...nameCauses(`${field}.name`, container.name, label, 63, 'label'));
      if (seen.has(container.name)) {
        causes.push({
          reason: 'FieldValueDuplicate',
          field: `${field}.name`,
          message: `${field}.name: Duplicate value: "${container.name}"`,
        });
      }
      seen.add(container.name);
    }
    if (typeof container?.image !== 'string' || container.image.trim() === '')
      causes.push(required(`${field}.image`));
    return causes;
  });
}

/** pkg/apis/core/validation: `spec.activeDeadlineSeconds`, when set, is a positive 32-bit integer. */
function deadlineCauses(pod: V1Pod): Cause[] {
  const seconds: unknown = pod.spec?.activeDeadlineSeconds;
  if (seconds === undefined) return [];
  if (Number.isInteger(seconds) && (seconds as number) >= 1 && (seconds as number) <= 2_147_483_647)
    return [];
  return [
    invalid('spec.activeDeadlineSeconds', String(seconds), 'must be between 1 and 2147483647, inclusive'),
  ];
}

/**
 * What a bare pod the simulator can run needs beyond the API's own validation: a node chosen by its
 * creator (the simulated kube-scheduler places controllers' pods only), and containers that run once.
 */
function simulatorCauses(pod: V1Pod): Cause[] {
  const causes: Cause[] = [];
  if (!pod.spec?.nodeName) {
    causes.push(
      unsupported(
        'spec.nodeName',
        'the simulator does not schedule bare pods: bind the pod to a node with spec.nodeName',
      ),
    );
  }
  if (pod.spec?.restartPolicy !== 'Never') {
    causes.push(
      unsupported(
        'spec.restartPolicy',
        `"${pod.spec?.restartPolicy ?? 'Always'}": the simulator runs bare pods with restartPolicy Never only`,
      ),
    );
  }
  return causes;
}

/**
 * kube-apiserver's checks of a pod to create, in its order: the object's namespace against the URL's
 * (the create handler, 400), the namespace's existence (NamespaceLifecycle admission, 404), then
 * validation (422). Throws `ApiRefusal`; the name's uniqueness is the caller's (409).
 */
export function newBarePod(namespace: string, pod: V1Pod, namespaces: ReadonlySet<string>): NewBarePod {
  const name = typeof pod.metadata?.name === 'string' ? pod.metadata.name : '';
  const action = `create pod ${namespace}/${name}`;
  if (pod.metadata?.namespace && pod.metadata.namespace !== namespace) {
    throw new ApiRefusal(action, {
      code: 400,
      reason: 'BadRequest',
      message: 'the namespace of the provided object does not match the namespace sent on the request',
    });
  }
  if (!namespaces.has(namespace)) {
    throw new ApiRefusal(action, {
      code: 404,
      reason: 'NotFound',
      message: `namespaces "${namespace}" not found`,
      details: { name: namespace, kind: 'namespaces' },
    });
  }
  const causes = [
    ...(name === ''
      ? [required('metadata.name', 'name or generateName is required')]
      : nameCauses('metadata.name', name, subdomain, 253, 'subdomain')),
    ...containerCauses(pod),
    ...deadlineCauses(pod),
    ...simulatorCauses(pod),
  ];
  if (causes.length > 0) {
    const messages = causes.map((cause) => cause.message);
    throw new ApiRefusal(action, {
      code: 422,
      reason: 'Invalid',
      message: `Pod "${name}" is invalid: ${messages.length === 1 ? messages[0] : `[${messages.join(', ')}]`}`,
      details: { name, kind: 'Pod', causes },
    });
  }
  return {
    namespace,
    name,
    labels: { ...pod.metadata?.labels },
    nodeName: pod.spec?.nodeName ?? '',
    activeDeadlineSeconds: pod.spec?.activeDeadlineSeconds,
    containers: (pod.spec?.containers ?? []).map(({ name, image, command, args }) => ({
      name,
      image: image ?? '',
      command,
      args,
    })),
  };
}
