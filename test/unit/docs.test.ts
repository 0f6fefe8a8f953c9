import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { rolloutErrorNames } from '../../functions/commons/errors.ts';
import { rolloutInputSchema } from '../../functions/commons/rollout-input.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const documents = [
  'README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const topLevel =
  /^(?:bench|cli|deploy|docs|functions|report|scripts|simulator|statemachine|test|types)\/[\w./-]*$/;
const fileWithFolder = /^[\w.-]+\/[\w./-]*\.(?:ts|js|cjs|json|ya?ml|md|png)$/;

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  const headings = [...markdown.replace(/```[\s\S]*?```/g, '').matchAll(/^#{1,6} (.+)$/gm)];
  return new Set(
    headings.map((heading) =>
      (heading[1] ?? '')
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
    ),
  );
}

/** Repository paths named in backticks or as --scenario arguments; placeholders (<x>, …, {a,b}) excluded. */
function examplePaths(markdown: string): string[] {
  const quoted = [...markdown.matchAll(/`([^`\s]+)`/g)].map((match) => match[1] ?? '');
  const scenarios = [...markdown.matchAll(/--scenario (\S+\.json)/g)].map((match) => match[1] ?? '');
  return [...quoted.filter((token) => topLevel.test(token) || fileWithFolder.test(token)), ...scenarios];
}

describe.each(documents)('%s', (document) => {
  const markdown = read(document);
  const links = [...markdown.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] ?? '');

  it('links only to files and headings that exist in the repository', () => {
    const broken: string[] = [];
    for (const link of links.filter((target) => !/^https?:/.test(target))) {
      const [path = '', anchor] = link.split('#');
      const target = path === '' ? join(root, document) : resolve(dirname(join(root, document)), path);
      if (relative(root, target).startsWith('..') || !existsSync(target)) broken.push(link);
      else if (anchor !== undefined && !anchors(readFileSync(target, 'utf8')).has(anchor)) broken.push(link);
    }
    expect(broken).toEqual([]);
  });

  it('names only paths that exist in the repository', () => {
    const missing = examplePaths(markdown).filter((path) => !existsSync(join(root, path)));
    expect(missing).toEqual([]);
  });

  it('refers to nothing outside the repository', () => {
    expect(markdown).not.toMatch(/\.\.\/shared|MISSION\.md|SIMULATION\.md/);
  });
});

describe('README', () => {
  const readme = read('README.md');

  it('names the package like the service it deploys', () => {
    const service = /^service: (\S+)$/m.exec(read('serverless.yml'))?.[1];
    const lock = JSON.parse(read('package-lock.json')) as {
      name: string;
      packages: { '': { name: string } };
    };
    expect(JSON.parse(read('package.json')).name).toBe(service);
    expect([lock.name, lock.packages[''].name]).toEqual([service, service]);
    expect(readme.split('\n')[0]).toBe(`# ${service}`);
  });

  it('is short: under 200 lines', () => {
    expect(readme.split('\n').length).toBeLessThan(200);
  });

  it('shows the two quick-start commands, the supported node groups and the limits on its first screen', () => {
    const firstScreen = readme.split('\n').slice(0, 40).join('\n');
    expect(firstScreen).toContain('npm ci && npm run simulate');
    expect(firstScreen).toContain('npm ci && npm test');
    expect(firstScreen).toMatch(
      /\*\*Supported\*\*[\s\S]*self-managed Windows node groups[\s\S]*EKS \*\*managed\*\* Windows node groups/,
    );
    expect(firstScreen).toMatch(/\*\*Limits:\*\*/);
  });
});

describe('docs/operating.md', () => {
  const operating = read('docs/operating.md');
  const rows = new Map(
    [...operating.matchAll(/^\| `(\w+)` \| [^|]+ \| ([^|]+) \|/gm)].map((match) => [
      match[1],
      match[2]?.trim() ?? '',
    ]),
  );
  const defaults = rolloutInputSchema.parse({ clusterName: 'c', nodeGroupName: 'g', amiId: 'ami-01234567' });

  it.each(Object.keys(rolloutInputSchema.shape))('documents the input field %s with its default', (field) => {
    const documented = rows.get(field);
    expect(documented).toBeDefined();
    const value = (defaults as Record<string, unknown>)[field];
    if (['clusterName', 'nodeGroupName', 'amiId'].includes(field)) expect(documented).toBe('required');
    else if (value !== undefined) expect(documented).toBe(`\`${String(value)}\``);
  });

  it('names every error an execution can end with', () => {
    for (const name of rolloutErrorNames) expect(operating).toContain(`\`${name}\``);
  });
});
