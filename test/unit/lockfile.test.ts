import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('package-lock.json', () => {
  it('names every optional platform package, so npm ci accepts it on a fresh machine', () => {
    const script = fileURLToPath(new URL('../../scripts/complete-lockfile.cjs', import.meta.url));
    expect(() => execFileSync(process.execPath, [script, '--check'], { stdio: 'pipe' })).not.toThrow();
  });
});
