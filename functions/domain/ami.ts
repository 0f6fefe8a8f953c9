import {
  AmiArchitectureMismatch,
  AmiNotAvailable,
  AmiNotWindows,
  AmiTestsNotPassed,
  KubeletVersionSkew,
  type RolloutError,
  WindowsBuildMismatch,
} from '../commons/errors.ts';

/** Tags our Image Builder distribution (or an operator) puts on AMIs whose name says too little. */
export const amiTags = {
  windowsBuild: 'eks-windows-patcher/windows-build',
  kubernetesVersion: 'eks-windows-patcher/kubernetes-version',
  /** Set by Image Builder on the AMIs it distributes. */
  imageBuilderArn: 'Ec2ImageBuilderArn',
} as const;

export const windowsBuilds: Record<string, string> = {
  '2019': '10.0.17763',
  '2022': '10.0.20348',
  '2025': '10.0.26100',
};

/** What DescribeImages (and Image Builder) tell about an AMI, reduced to what the checks need. */
export interface AmiFacts {
  amiId: string;
  name: string;
  state: string;
  platform: string | undefined;
  architecture: string | undefined;
  tags: Record<string, string>;
}

export interface ImageBuilderFacts {
  arn: string;
  status: string;
  testsEnabled: boolean;
}

export interface GroupFacts {
  /** Builds reported by the group's current Windows nodes (label node.kubernetes.io/windows-build). */
  windowsBuilds: string[];
  architecture: string | undefined;
  clusterVersion: string;
}

export interface AmiOptions {
  allowWindowsBuildChange: boolean;
  allowUntestedImage: boolean;
}

/** One verdict of the verification, for the plan and the report. */
export interface AmiCheck {
  check: 'available' | 'windows' | 'architecture' | 'windowsBuild' | 'kubeletSkew' | 'imageBuilderTests';
  ok: boolean;
  detail: string;
}

export interface AmiVerdict {
  checks: AmiCheck[];
  windowsBuild: string | undefined;
  kubernetesVersion: string | undefined;
  /** The first failed check as the named error the state machine reports. */
  refusal: RolloutError | undefined;
}

export function windowsBuildOf(ami: Pick<AmiFacts, 'name' | 'tags'>): string | undefined {
  const tagged = ami.tags[amiTags.windowsBuild];
  if (tagged) return tagged;
  const year = /Windows_Server-(\d{4})|Windows Server (\d{4})|windows-(\d{4})/i.exec(ami.name);
  const key = year?.[1] ?? year?.[2] ?? year?.[3];
  return key ? windowsBuilds[key] : undefined;
}

export function kubernetesVersionOf(ami: Pick<AmiFacts, 'name' | 'tags'>): string | undefined {
  const tagged = ami.tags[amiTags.kubernetesVersion];
  if (tagged) return tagged;
  return /EKS_Optimized-(\d+\.\d+)/.exec(ami.name)?.[1];
}

const minor = (version: string): number | undefined => {
  const match = /^v?(\d+)\.(\d+)/.exec(version);
  return match && match[1] === '1' ? Number(match[2]) : undefined;
};

/**
 * Kubelet skew policy: a kubelet may be up to three minor versions older than the API server,
 * never newer. Returns a reason when `kubelet` is outside it.
 */
export function kubeletSkewProblem(kubelet: string, controlPlane: string): string | undefined {
  const kubeletMinor = minor(kubelet);
  const serverMinor = minor(controlPlane);
  if (kubeletMinor === undefined || serverMinor === undefined) {
    return `cannot compare Kubernetes versions "${kubelet}" and "${controlPlane}"`;
  }
  if (kubeletMinor > serverMinor)
    return `kubelet 1.${kubeletMinor} is newer than the control plane 1.${serverMinor}`;
  if (serverMinor - kubeletMinor > 3) {
    return `kubelet 1.${kubeletMinor} is more than 3 minor versions older than the control plane 1.${serverMinor}`;
  }
  return undefined;
}

/**
 * Is this AMI acceptable for this node group? Every check is evaluated (the plan shows them all);
 * the first failure becomes the refusal.
 */
export function verifyAmi(
  ami: AmiFacts,
  group: GroupFacts,
  imageBuilder: ImageBuilderFacts | undefined,
  options: AmiOptions,
): AmiVerdict {
  const windowsBuild = windowsBuildOf(ami);
  const kubernetesVersion = kubernetesVersionOf(ami);
  const checks: AmiCheck[] = [];
  let refusal: RolloutError | undefined;
  const check = (
    name: AmiCheck['check'],
    problem: string | undefined,
    ok: string,
    refuse: () => RolloutError,
  ) => {
    checks.push({ check: name, ok: problem === undefined, detail: problem ?? ok });
    if (problem !== undefined) refusal ??= refuse();
  };

  check(
    'available',
    ami.state === 'available' ? undefined : `${ami.amiId} is ${ami.state}`,
    `${ami.amiId} is available`,
    () =>
      new AmiNotAvailable(
        `AMI ${ami.amiId} is ${ami.state}, not available: wait until it is available, or choose another AMI.`,
      ),
  );
  check(
    'windows',
    ami.platform?.toLowerCase() === 'windows'
      ? undefined
      : `${ami.amiId} platform is ${ami.platform ?? 'Linux/UNIX'}`,
    'platform Windows',
    () =>
      new AmiNotWindows(
        `AMI ${ami.amiId} (${ami.name}) is not a Windows AMI: choose an EKS-optimized Windows AMI or one built from it.`,
      ),
  );
  check(
    'architecture',
    group.architecture && ami.architecture && group.architecture !== ami.architecture
      ? `${ami.amiId} is ${ami.architecture}, the node group runs ${group.architecture}`
      : undefined,
    `architecture ${ami.architecture ?? 'unknown'}`,
    () =>
      new AmiArchitectureMismatch(
        `AMI ${ami.amiId} is ${ami.architecture} but the node group runs ${group.architecture}: choose a ${group.architecture} AMI.`,
      ),
  );
  const nodeBuilds = [...new Set(group.windowsBuilds)];
  const buildProblem = (): string | undefined => {
    if (windowsBuild === undefined) {
      return `the Windows build of ${ami.amiId} is unknown (name "${ami.name}" has no Windows_Server-<year>, and no ${amiTags.windowsBuild} tag)`;
    }
    if (options.allowWindowsBuildChange) return undefined;
    const other = nodeBuilds.find((build) => build !== windowsBuild);
    return other ? `${ami.amiId} is Windows build ${windowsBuild}, the nodes run ${other}` : undefined;
  };
  check(
    'windowsBuild',
    buildProblem(),
    `Windows build ${windowsBuild} matches the nodes`,
    () =>
      new WindowsBuildMismatch(
        windowsBuild === undefined
          ? `AMI ${ami.amiId} does not reveal its Windows build: tag it ${amiTags.windowsBuild}=<build> (e.g. 10.0.20348).`
          : `AMI ${ami.amiId} is Windows build ${windowsBuild} but the node group's nodes run ${nodeBuilds.join(', ')}: ` +
              'process-isolated containers need the host build to match their image; choose an AMI of the same Windows ' +
              'Server version, or set allowWindowsBuildChange after rebuilding the workloads for the new build.',
      ),
  );
  const skew =
    kubernetesVersion === undefined
      ? `the Kubernetes version of ${ami.amiId} is unknown`
      : kubeletSkewProblem(kubernetesVersion, group.clusterVersion);
  check(
    'kubeletSkew',
    skew,
    `kubelet ${kubernetesVersion} within the skew policy of control plane ${group.clusterVersion}`,
    () =>
      new KubeletVersionSkew(
        kubernetesVersion === undefined
          ? `AMI ${ami.amiId} does not reveal its Kubernetes version: use an EKS_Optimized-<version> AMI or tag it ${amiTags.kubernetesVersion}=<version>.`
          : `AMI ${ami.amiId} carries kubelet ${kubernetesVersion} but cluster runs ${group.clusterVersion} (${skew}): choose an AMI for Kubernetes ${group.clusterVersion}.`,
      ),
  );
  if (imageBuilder) {
    const problem =
      imageBuilder.status !== 'AVAILABLE'
        ? `Image Builder image ${imageBuilder.arn} is ${imageBuilder.status}`
        : !imageBuilder.testsEnabled && !options.allowUntestedImage
          ? `Image Builder image ${imageBuilder.arn} ran no tests`
          : undefined;
    check(
      'imageBuilderTests',
      problem,
      imageBuilder.testsEnabled
        ? 'Image Builder image AVAILABLE, tests passed'
        : 'Image Builder image AVAILABLE (untested, allowed)',
      () =>
        new AmiTestsNotPassed(
          `${problem}: only AVAILABLE images whose tests passed are rolled out; fix the pipeline, or set allowUntestedImage.`,
        ),
    );
  }
  return { checks, windowsBuild, kubernetesVersion, refusal };
}
