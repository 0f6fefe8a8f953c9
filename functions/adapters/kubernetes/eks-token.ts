import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}
export type CredentialProvider = () => Promise<AwsCredentials>;

export interface EksTokenOptions {
  /** The cluster's region: STS is called on its regional endpoint. */
  region: string | (() => Promise<string>);
  credentials: CredentialProvider;
  /** Milliseconds since the epoch. */
  now?: () => number;
}

/** Returns a bearer token for a cluster, reusing it until it is close to expiring. */
export type EksTokenSource = (clusterName: string) => Promise<string>;

const tokenPrefix = 'k8s-aws-v1.';
/** EKS accepts a token for 15 minutes after signing; renew one minute before. */
const tokenLifetimeMs = 14 * 60_000;
const renewBeforeCredentialsExpireMs = 60_000;

interface CachedToken {
  token: string;
  renewAt: number;
}

export function eksTokenSource(options: EksTokenOptions): EksTokenSource {
  const now = options.now ?? Date.now;
  const cache = new Map<string, CachedToken>();
  return async (clusterName) => {
    const cached = cache.get(clusterName);
    if (cached && now() < cached.renewAt) return cached.token;
    const fresh = await signToken(clusterName, options, now());
    cache.set(clusterName, fresh);
    return fresh.token;
  };
}

async function signToken(
  clusterName: string,
  options: EksTokenOptions,
  signedAt: number,
): Promise<CachedToken> {
  const credentials = await options.credentials();
  const region = typeof options.region === 'string' ? options.region : await options.region();
  const signer = new SignatureV4({ service: 'sts', region, credentials, sha256: Sha256 });
  const hostname = `sts.${region}.amazonaws.com`;
  const presigned = await signer.presign(
    {
      method: 'GET',
      protocol: 'https:',
      hostname,
      path: '/',
      query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
      headers: { host: hostname, 'x-k8s-aws-id': clusterName },
    },
    { expiresIn: 60, signingDate: new Date(signedAt) },
  );
  const url = `https://${hostname}/?${queryString(presigned.query ?? {})}`;
  return {
    token: tokenPrefix + Buffer.from(url).toString('base64url'),
    renewAt: Math.min(signedAt + tokenLifetimeMs, credentialsRenewAt(credentials)),
  };
}

/** A token signed with session credentials dies with them. */
function credentialsRenewAt(credentials: AwsCredentials): number {
  return credentials.expiration
    ? credentials.expiration.getTime() - renewBeforeCredentialsExpireMs
    : Number.POSITIVE_INFINITY;
}

function queryString(query: Record<string, string | string[] | null>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    for (const item of [value ?? ''].flat()) params.append(name, item);
  }
  return params.toString();
}
