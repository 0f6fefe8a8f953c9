/** The account and region every simulated world lives in. */
export const account = '111122223333';
export const region = 'us-east-1';

interface InstanceTypeFacts {
  vcpus: number;
  memoryGiB: number;
  enis: number;
  ipv4PerEni: number;
}

/** Network limits of common node types, from the EC2 documentation (ENIs, IPv4 addresses per ENI). */
const instanceTypes: Record<string, InstanceTypeFacts> = {
  't3.medium': { vcpus: 2, memoryGiB: 4, enis: 3, ipv4PerEni: 6 },
  't3.large': { vcpus: 2, memoryGiB: 8, enis: 3, ipv4PerEni: 12 },
  't3.xlarge': { vcpus: 4, memoryGiB: 16, enis: 4, ipv4PerEni: 15 },
  'm5.large': { vcpus: 2, memoryGiB: 8, enis: 3, ipv4PerEni: 10 },
  'm5.xlarge': { vcpus: 4, memoryGiB: 16, enis: 4, ipv4PerEni: 15 },
  'm5.2xlarge': { vcpus: 8, memoryGiB: 32, enis: 4, ipv4PerEni: 15 },
  'm5.4xlarge': { vcpus: 16, memoryGiB: 64, enis: 8, ipv4PerEni: 30 },
  'm6i.large': { vcpus: 2, memoryGiB: 8, enis: 3, ipv4PerEni: 10 },
  'm6i.xlarge': { vcpus: 4, memoryGiB: 16, enis: 4, ipv4PerEni: 15 },
  'm6i.2xlarge': { vcpus: 8, memoryGiB: 32, enis: 4, ipv4PerEni: 15 },
  'c5.large': { vcpus: 2, memoryGiB: 4, enis: 3, ipv4PerEni: 10 },
  'c5.xlarge': { vcpus: 4, memoryGiB: 8, enis: 4, ipv4PerEni: 15 },
  'c5.2xlarge': { vcpus: 8, memoryGiB: 16, enis: 4, ipv4PerEni: 15 },
  'r5.large': { vcpus: 2, memoryGiB: 16, enis: 3, ipv4PerEni: 10 },
  'r5.xlarge': { vcpus: 4, memoryGiB: 32, enis: 4, ipv4PerEni: 15 },
};

export const defaultInstanceType = 'm5.large';

export function instanceTypeFacts(instanceType: string): InstanceTypeFacts | undefined {
  return instanceTypes[instanceType];
}

/**
 * Pods a node can hold with the VPC CNI: Windows uses the secondary IPs of its primary ENI only;
 * Linux uses every ENI, plus two host-network pods.
 */
export function podCapacityOf(instanceType: string, os: 'windows' | 'linux'): number | undefined {
  const facts = instanceTypes[instanceType];
  if (facts === undefined) return undefined;
  return os === 'windows' ? facts.ipv4PerEni - 1 : facts.enis * (facts.ipv4PerEni - 1) + 2;
}

/** Uncompressed size of a container image when the scenario does not say (Windows base layers are huge). */
export function defaultImageSizeGiB(image: string, os: 'windows' | 'linux'): number {
  if (image.includes('dotnet/framework/aspnet')) return 7.5;
  if (image.includes('dotnet/framework')) return 7;
  if (image.includes('servercore')) return 5;
  if (image.includes('nanoserver')) return 0.3;
  if (image.includes('pause')) return 0.1;
  return os === 'windows' ? 5 : 0.2;
}

/** Windows Server releases by build, with the LTSC tag of their container base images. */
const windowsReleases = [
  { year: '2019', build: '10.0.17763', ltsc: 'ltsc2019' },
  { year: '2022', build: '10.0.20348', ltsc: 'ltsc2022' },
  { year: '2025', build: '10.0.26100', ltsc: 'ltsc2025' },
];

/** The build of a Windows Server release named in an AMI name, e.g. `Windows_Server-2022-...`. */
export function windowsBuildOfName(name: string): string | undefined {
  const year = /Windows_Server-(\d{4})-/.exec(name)?.[1];
  return windowsReleases.find((release) => release.year === year)?.build;
}

/** The Windows Server release of a build (`2022`), or the build itself when unknown. */
export function windowsReleaseOf(windowsBuild: string): string {
  return windowsReleases.find((release) => release.build === windowsBuild)?.year ?? windowsBuild;
}

const windowsPauseImage = 'amazonaws.com/eks/pause-windows:latest';
const linuxPauseImage = '602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/pause:3.10';

/** What the EKS-optimized AMIs pre-cache, per the EKS documentation. */
export function eksOptimizedCachedImages(platform: 'windows' | 'linux', windowsBuild?: string): string[] {
  if (platform === 'linux') return [linuxPauseImage];
  const ltsc = windowsReleases.find((release) => release.build === windowsBuild)?.ltsc;
  if (ltsc === undefined) return [windowsPauseImage];
  return [
    windowsPauseImage,
    `mcr.microsoft.com/windows/servercore:${ltsc}`,
    `mcr.microsoft.com/windows/nanoserver:${ltsc}`,
  ];
}

/** `Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.10.15` */
export function eksWindowsAmiName(windowsBuild: string, kubernetesVersion: string, date: string): string {
  return `Windows_Server-${windowsReleaseOf(windowsBuild)}-English-Core-EKS_Optimized-${kubernetesVersion}-${date.replaceAll('-', '.')}`;
}

/** `amazon-eks-node-al2023-x86_64-standard-1.31-v20261015` */
export function eksLinuxAmiName(kubernetesVersion: string, date: string): string {
  return `amazon-eks-node-al2023-x86_64-standard-${kubernetesVersion}-v${date.replaceAll('-', '')}`;
}

export function kubernetesVersionOfName(name: string): string | undefined {
  return (
    /EKS_Optimized-(\d+\.\d+)-/.exec(name)?.[1] ?? /^amazon-eks-node-.*-(\d+\.\d+)-v\d{8}$/.exec(name)?.[1]
  );
}

/** `Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.11.12` → `1.31-2026.11.12` ("Amazon EKS optimized Windows AMI versions"). */
export function eksReleaseVersionOfName(name: string): string | undefined {
  return /EKS_Optimized-(\d+\.\d+-\d{4}\.\d{2}\.\d{2})$/.exec(name)?.[1];
}

/** The managed node group AMI type of an EKS-optimized Windows AMI: `WINDOWS_CORE_2022_x86_64`. */
export function eksWindowsAmiTypeOfName(name: string): string | undefined {
  const match = /^Windows_Server-(\d{4})-English-(Core|Full)-EKS_Optimized-/.exec(name);
  return match ? `WINDOWS_${match[2]?.toUpperCase()}_${match[1]}_x86_64` : undefined;
}

/** The owner of the public Amazon Windows AMIs. */
export const amazonWindowsAmiOwner = '801119661308';
/** The owner of the public EKS-optimized Amazon Linux AMIs in us-east-1. */
export const amazonEksAmiOwner = '602401143452';

/** The deployment's lock table (serverless.yml's LockTable): one item per node group, keyed by its ARN. */
export const lockTable = { name: 'eks-windows-patcher-locks', partitionKey: 'groupId' };
