import { describe, expect, it } from 'vitest';
import { parseLabelSelector, parsePodFieldSelector } from '../../simulator/kubernetes/selectors.ts';

describe('selectors, as the API server reads them', () => {
  const labels = { app: 'web', tier: 'front' };

  it.each([
    ['app=web', true],
    ['app==web', true],
    ['app!=web', false],
    ['app', true],
    ['!app', false],
    ['app in (web,api)', true],
    ['app notin (web)', false],
    ['app=web,tier=back', false],
    ['', true],
  ])('label selector %j matches: %s', (selector, matches) => {
    expect(parseLabelSelector(selector)(labels)).toBe(matches);
  });

  it('matches pod fields and refuses fields it does not support', () => {
    const fields = {
      'spec.nodeName': 'n1',
      'metadata.name': 'p',
      'metadata.namespace': 'ns',
      'status.phase': 'Running',
    };
    expect(parsePodFieldSelector('spec.nodeName=n1,status.phase!=Pending')(fields)).toBe(true);
    expect(() => parsePodFieldSelector('spec.hostname=n1')).toThrow(
      'field label not supported: spec.hostname',
    );
    expect(() => parseLabelSelector('a b')).toThrow('unable to parse requirement');
  });
});
