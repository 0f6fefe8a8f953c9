import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rolloutErrorNames } from '../../functions/commons/errors.ts';
import { rolloutInputSchema } from '../../functions/commons/rollout-input.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const rows = new Map(
  [...readme.matchAll(/^\| `(\w+)` \| [^|]+ \| ([^|]+) \|/gm)].map((match) => [
    match[1],
    match[2]?.trim() ?? '',
  ]),
);
const defaults = rolloutInputSchema.parse({ clusterName: 'c', nodeGroupName: 'g', amiId: 'ami-01234567' });

describe('README', () => {
  it.each(Object.keys(rolloutInputSchema.shape))('documents the input field %s with its default', (field) => {
    const documented = rows.get(field);
    expect(documented).toBeDefined();
    const value = (defaults as Record<string, unknown>)[field];
    if (['clusterName', 'nodeGroupName', 'amiId'].includes(field)) expect(documented).toBe('required');
    else if (value !== undefined) expect(documented).toBe(`\`${String(value)}\``);
  });

  it('names every error an execution can end with', () => {
    for (const name of rolloutErrorNames) expect(readme).toContain(`\`${name}\``);
  });

  it('shows the two quick-start commands', () => {
    expect(readme).toContain('npm ci && npm run simulate');
    expect(readme).toContain('npm ci && npm test');
  });
});
