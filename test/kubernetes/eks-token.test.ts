import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type AwsCredentials, eksTokenSource } from '../../functions/adapters/kubernetes/eks-token.ts';

const credentials: AwsCredentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session+token/with=padding',
};
const start = Date.parse('2025-03-11T10:00:00Z');
const minutes = 60_000;

function source(options: { now: () => number; credentials?: AwsCredentials }) {
  return eksTokenSource({
    region: 'eu-west-1',
    credentials: async () => options.credentials ?? credentials,
    now: options.now,
  });
}

/** The presigned URL inside a token, checking the envelope on the way. */
function presignedUrl(token: string): URL {
  expect(token.startsWith('k8s-aws-v1.')).toBe(true);
  const encoded = token.slice('k8s-aws-v1.'.length);
  expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
  return new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
}

describe('EKS bearer token', () => {
  it('is k8s-aws-v1. and the unpadded base64url of a presigned STS GetCallerIdentity URL', async () => {
    const url = presignedUrl(await source({ now: () => start })('prod'));

    expect(url.origin).toBe('https://sts.eu-west-1.amazonaws.com');
    expect(url.pathname).toBe('/');
    expect(url.searchParams.get('Action')).toBe('GetCallerIdentity');
    expect(url.searchParams.get('Version')).toBe('2011-06-15');
    expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(url.searchParams.get('X-Amz-Date')).toBe('20250311T100000Z');
    expect(url.searchParams.get('X-Amz-Credential')).toBe(
      'AKIAIOSFODNN7EXAMPLE/20250311/eu-west-1/sts/aws4_request',
    );
    expect(url.searchParams.get('X-Amz-Security-Token')).toBe('session+token/with=padding');
    expect(url.searchParams.get('X-Amz-SignedHeaders')?.split(';')).toEqual(['host', 'x-k8s-aws-id']);
  });

  it('signs the cluster name in the x-k8s-aws-id header (Signature V4, checked independently)', async () => {
    const url = presignedUrl(await source({ now: () => start })('prod'));

    expect(url.searchParams.get('X-Amz-Signature')).toBe(signatureV4(url, 'prod'));
    expect(url.searchParams.get('X-Amz-Signature')).not.toBe(signatureV4(url, 'staging'));
  });

  it('reuses a token for 14 minutes, then signs a new one', async () => {
    let now = start;
    const tokens = source({ now: () => now });

    const first = await tokens('prod');
    now = start + 13 * minutes;
    expect(await tokens('prod')).toBe(first);
    now = start + 14 * minutes;
    const renewed = await tokens('prod');

    expect(renewed).not.toBe(first);
    expect(presignedUrl(renewed).searchParams.get('X-Amz-Date')).toBe('20250311T101400Z');
  });

  it('renews a minute before the signing credentials expire, when that comes first', async () => {
    let now = start;
    const tokens = source({
      now: () => now,
      credentials: { ...credentials, expiration: new Date(start + 5 * minutes) },
    });

    const first = await tokens('prod');
    now = start + 4 * minutes - 1;
    expect(await tokens('prod')).toBe(first);
    now = start + 4 * minutes;
    expect(await tokens('prod')).not.toBe(first);
  });

  it('keeps one token per cluster', async () => {
    const tokens = source({ now: () => start });

    const prod = presignedUrl(await tokens('prod'));
    const staging = presignedUrl(await tokens('staging'));

    expect(prod.searchParams.get('X-Amz-Signature')).toBe(signatureV4(prod, 'prod'));
    expect(staging.searchParams.get('X-Amz-Signature')).toBe(signatureV4(staging, 'staging'));
  });
});

/** AWS Signature V4 of a presigned GET, written from the AWS documentation, for comparison. */
function signatureV4(url: URL, clusterName: string): string {
  const encode = (text: string) =>
    encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const query = [...url.searchParams]
    .filter(([name]) => name !== 'X-Amz-Signature')
    .map(([name, value]) => `${encode(name)}=${encode(value)}`)
    .sort()
    .join('&');
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
  const canonicalRequest = [
    'GET',
    '/',
    query,
    `host:${url.host}\nx-k8s-aws-id:${clusterName}\n`,
    'host;x-k8s-aws-id',
    sha256(''),
  ].join('\n');
  const date = url.searchParams.get('X-Amz-Date') ?? '';
  const scope = `${date.slice(0, 8)}/eu-west-1/sts/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', date, scope, sha256(canonicalRequest)].join('\n');
  const hmac = (key: string | Buffer, text: string) => createHmac('sha256', key).update(text).digest();
  const signingKey = ['eu-west-1', 'sts', 'aws4_request'].reduce(
    (key, part) => hmac(key, part),
    hmac(`AWS4${credentials.secretAccessKey}`, date.slice(0, 8)),
  );
  return createHmac('sha256', signingKey).update(stringToSign).digest('hex');
}
