import { describe, expect, it } from 'vitest';
import { soughtControllers, soughtSelector } from '../../functions/domain/drain.ts';
import { pod } from '../support/objects.ts';

const web = (name: string) => ({
  ...pod(name, {
    owner: { kind: 'ReplicaSet', name: 'web-5d4f', uid: 'rs-web' },
    labels: { app: 'web', 'pod-template-hash': '5d4f' },
  }),
  spec: { containers: [{ name: 'web', image: 'aspnet:4.8' }] },
});
const api = {
  ...pod('api-1', {
    owner: { kind: 'ReplicaSet', name: 'api-7c9b', uid: 'rs-api' },
    labels: { app: 'api', 'pod-template-hash': '7c9b' },
  }),
  spec: { containers: [{ name: 'api', image: 'api:1' }] },
};
const ledger = {
  ...pod('ledger-0', {
    owner: { kind: 'StatefulSet', name: 'ledger', uid: 'sts-ledger' },
    labels: { app: 'ledger', 'controller-revision-hash': 'ledger-6b8d' },
  }),
  spec: { containers: [{ name: 'ledger', image: 'servercore:ltsc2022' }] },
};

describe('controllers sought on the new nodes', () => {
  it('each by uid, with its images and the label of its template', () => {
    expect(soughtControllers([web('web-1'), web('web-2'), api, ledger])).toEqual(
      new Map([
        ['rs-web', { images: ['aspnet:4.8'], template: { key: 'pod-template-hash', value: '5d4f' } }],
        ['rs-api', { images: ['api:1'], template: { key: 'pod-template-hash', value: '7c9b' } }],
        [
          'sts-ledger',
          {
            images: ['servercore:ltsc2022'],
            template: { key: 'controller-revision-hash', value: 'ledger-6b8d' },
          },
        ],
      ]),
    );
  });

  it('one label selects the pods of ReplicaSets only, or of StatefulSets only', () => {
    const sought = soughtControllers([web('web-1'), api, ledger]);
    const of = (...uids: string[]) =>
      uids.map((uid) => sought.get(uid) ?? { images: [], template: undefined });
    expect(soughtSelector(of('rs-web', 'rs-api'))).toBe('pod-template-hash in (5d4f,7c9b)');
    expect(soughtSelector(of('sts-ledger'))).toBe('controller-revision-hash in (ledger-6b8d)');
  });

  it('none when no one label does: both kinds, or a pod without its template label', () => {
    const sought = soughtControllers([web('web-1'), api, ledger]);
    expect(soughtSelector([...sought.values()])).toBeUndefined();
    expect(soughtSelector([{ images: [], template: undefined }])).toBeUndefined();
    expect(soughtSelector([])).toBeUndefined();
  });
});
