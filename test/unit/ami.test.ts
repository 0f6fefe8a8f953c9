import { describe, expect, it } from 'vitest';
import {
  type AmiFacts,
  kubeletSkewProblem,
  kubernetesVersionOf,
  verifyAmi,
  windowsBuildOf,
} from '../../functions/domain/ami.ts';

const ami = (overrides: Partial<AmiFacts> = {}): AmiFacts => ({
  amiId: 'ami-0ccc0000000000003',
  name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.11.12',
  state: 'available',
  platform: 'windows',
  architecture: 'x86_64',
  tags: {},
  ...overrides,
});
const group = { windowsBuilds: ['10.0.20348'], architecture: 'x86_64', clusterVersion: '1.31' };
const options = { allowWindowsBuildChange: false, allowUntestedImage: false };

describe('AMI facts from names and tags', () => {
  it.each([
    ['Windows_Server-2019-English-Full-EKS_Optimized-1.30-2026.11.12', '10.0.17763', '1.30'],
    ['Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.11.12', '10.0.20348', '1.31'],
    ['Windows_Server-2025-English-Core-EKS_Optimized-1.32-2026.11.12', '10.0.26100', '1.32'],
    ['my-golden-image', undefined, undefined],
  ])('reads %s', (name, build, version) => {
    expect(windowsBuildOf({ name, tags: {} })).toBe(build);
    expect(kubernetesVersionOf({ name, tags: {} })).toBe(version);
  });

  it('prefers our tags over the name', () => {
    const tags = {
      'eks-windows-patcher/windows-build': '10.0.17763',
      'eks-windows-patcher/kubernetes-version': '1.29',
    };
    expect(windowsBuildOf({ name: 'Windows_Server-2022-x', tags })).toBe('10.0.17763');
    expect(kubernetesVersionOf({ name: 'x-EKS_Optimized-1.31', tags })).toBe('1.29');
  });
});

describe('kubelet skew policy', () => {
  it.each([
    ['1.31', '1.31', undefined],
    ['1.28', '1.31', undefined],
    ['1.27', '1.31', 'more than 3 minor versions older'],
    ['1.32', '1.31', 'newer than the control plane'],
    ['v1.31.2-eks-1', '1.31', undefined],
    ['banana', '1.31', 'cannot compare'],
  ])('kubelet %s against control plane %s', (kubelet, server, problem) => {
    const result = kubeletSkewProblem(kubelet, server);
    if (problem === undefined) expect(result).toBeUndefined();
    else expect(result).toContain(problem);
  });
});

describe('verifyAmi', () => {
  it('accepts an available Windows AMI of the same build and a compatible kubelet', () => {
    const verdict = verifyAmi(ami(), group, undefined, options);
    expect(verdict.refusal).toBeUndefined();
    expect(verdict.checks.every((c) => c.ok)).toBe(true);
    expect(verdict.windowsBuild).toBe('10.0.20348');
  });

  it.each([
    ['AmiNotAvailable', ami({ state: 'pending' }), group, options],
    ['AmiNotAvailable', ami({ state: 'deregistered' }), group, options],
    [
      'AmiNotWindows',
      ami({ platform: undefined, name: 'amazon-eks-node-al2023-x86_64-standard-1.31' }),
      group,
      options,
    ],
    ['AmiArchitectureMismatch', ami({ architecture: 'arm64' }), group, options],
    [
      'WindowsBuildMismatch',
      ami({ name: 'Windows_Server-2019-English-Core-EKS_Optimized-1.31-x' }),
      group,
      options,
    ],
    ['WindowsBuildMismatch', ami({ name: 'golden-EKS_Optimized-1.31' }), group, options],
    [
      'KubeletVersionSkew',
      ami({ name: 'Windows_Server-2022-English-Core-EKS_Optimized-1.32-x' }),
      group,
      options,
    ],
    ['KubeletVersionSkew', ami({ name: 'Windows_Server-2022-golden' }), group, options],
  ] as const)('refuses with %s', (name, image, facts, opts) => {
    const verdict = verifyAmi(image, facts, undefined, opts);
    expect(verdict.refusal?.name).toBe(name);
    expect(verdict.refusal?.message).toContain(image.amiId);
  });

  it('refuses an AMI whose Windows build differs from the node group unless allowed', () => {
    const image = ami({ name: 'Windows_Server-2019-English-Core-EKS_Optimized-1.31-x' });
    expect(verifyAmi(image, group, undefined, options).refusal?.message).toMatch(
      /10\.0\.17763.*10\.0\.20348/,
    );
    expect(
      verifyAmi(image, group, undefined, { ...options, allowWindowsBuildChange: true }).refusal,
    ).toBeUndefined();
  });

  it('names the first failure but reports every check', () => {
    const verdict = verifyAmi(ami({ state: 'pending', architecture: 'arm64' }), group, undefined, options);
    expect(verdict.refusal?.name).toBe('AmiNotAvailable');
    expect(verdict.checks.filter((c) => !c.ok).map((c) => c.check)).toEqual(['available', 'architecture']);
  });

  it.each([
    [{ arn: 'arn:img', status: 'AVAILABLE', testsEnabled: true }, options, undefined],
    [{ arn: 'arn:img', status: 'FAILED', testsEnabled: true }, options, 'AmiTestsNotPassed'],
    [{ arn: 'arn:img', status: 'AVAILABLE', testsEnabled: false }, options, 'AmiTestsNotPassed'],
    [
      { arn: 'arn:img', status: 'AVAILABLE', testsEnabled: false },
      { ...options, allowUntestedImage: true },
      undefined,
    ],
  ])('checks the Image Builder image %o', (image, opts, refusal) => {
    expect(verifyAmi(ami(), group, image, opts).refusal?.name).toBe(refusal);
  });
});
