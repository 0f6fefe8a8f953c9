#!/usr/bin/env node
// The npm registry reachable here lacks the builds of platform packages for other systems (e.g.
// @biomejs/cli-darwin-arm64), so `npm install` leaves them out of package-lock.json and `npm ci`
// then refuses the lock. This adds an optional entry for each missing one; `npm ci` skips it.
// Run it after every `npm install` (npm run lockfile:complete); a test checks the lock is complete.
const fs = require('node:fs');
const path = require('node:path');

const lockPath = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(lockPath, 'utf8'));
const exactOrRange = /^[\^~]?(\d+\.\d+\.\d+(?:-[\w.]+)?)$/;

/** Optional dependencies named by lock entries but absent from the lock, as [lock path, version]. */
function missingOptional(packages) {
  const missing = new Map();
  for (const [location, entry] of Object.entries(packages)) {
    for (const [name, spec] of Object.entries(entry.optionalDependencies ?? {})) {
      const nested = location ? `${location}/node_modules/${name}` : `node_modules/${name}`;
      const hoisted = `node_modules/${name}`;
      if (packages[nested] || packages[hoisted] || missing.has(hoisted)) continue;
      const version = exactOrRange.exec(spec)?.[1];
      if (!version) throw new Error(`${location}: cannot stub ${name}@${spec}; add it to the lock by hand`);
      missing.set(hoisted, { version, optional: true, ...(entry.dev ? { dev: true } : {}) });
    }
  }
  return missing;
}

const missing = missingOptional(lock.packages);
if (process.argv.includes('--check')) {
  if (missing.size > 0) {
    console.error(`package-lock.json lacks ${missing.size} optional packages: run npm run lockfile:complete`);
    process.exit(1);
  }
} else {
  for (const [location, entry] of missing) lock.packages[location] = entry;
  fs.writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`package-lock.json: ${missing.size} optional platform packages added`);
}
