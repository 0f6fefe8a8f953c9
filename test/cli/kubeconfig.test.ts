import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { kubeconfigPath } from '../../cli/commands/drain.ts';

describe('the kubeconfig of drain, cordon and uncordon', () => {
  it('is --kubeconfig, else KUBECONFIG, else ~/.kube/config, as kubectl finds it', async () => {
    const home = await mkdtemp(join(tmpdir(), 'home-'));
    await mkdir(join(home, '.kube'));
    await writeFile(join(home, '.kube', 'config'), '');
    expect(kubeconfigPath({ kubeconfig: 'flag.yaml' }, { env: { KUBECONFIG: 'env.yaml' }, home })).toBe(
      'flag.yaml',
    );
    expect(kubeconfigPath({}, { env: { KUBECONFIG: 'env.yaml' }, home })).toBe('env.yaml');
    expect(kubeconfigPath({}, { env: {}, home })).toBe(join(home, '.kube', 'config'));
  });

  it('says how to name one when there is none, or several', () => {
    expect(() => kubeconfigPath({}, { env: {}, home: '/nonexistent' })).toThrow(
      'No kubeconfig: pass --kubeconfig FILE, set KUBECONFIG, or write /nonexistent/.kube/config.',
    );
    expect(() => kubeconfigPath({}, { env: { KUBECONFIG: `a${delimiter}b` }, home: '/nonexistent' })).toThrow(
      'KUBECONFIG names 2 files; pass --kubeconfig FILE with the one to use.',
    );
  });
});
