import { main } from '../../cli/main.ts';
import { defaultRuntime, makeClients, type Runtime } from '../../cli/runtime.ts';
import type { KubernetesPort } from '../../functions/adapters/kubernetes/port.ts';

/** Real clients with test credentials: aws-sdk-client-mock answers them. */
export const testClients = (region = 'us-east-1') =>
  makeClients({ region, credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } });

/** A runtime whose output is kept for assertions; AWS clients are the real ones (aws-sdk-client-mock answers). */
export function testRuntime(overrides: Partial<Runtime> & { kubernetesPort?: KubernetesPort } = {}) {
  const output = { stdout: '', stderr: '' };
  const { kubernetesPort, ...rest } = overrides;
  const runtime: Runtime = {
    ...defaultRuntime(),
    stdout: { write: (text: string) => (output.stdout += text) },
    stderr: { write: (text: string) => (output.stderr += text) },
    env: {},
    home: '/nonexistent',
    aws: ({ region }) => testClients(region),
    kubernetes: () => async () => {
      if (!kubernetesPort) throw new Error('this test gives no Kubernetes API');
      return kubernetesPort;
    },
    sleep: async () => undefined,
    now: () => Date.UTC(2026, 10, 12, 20, 0, 0),
    ...rest,
  };
  return { runtime, output, run: (...argv: string[]) => main(argv, runtime) };
}
