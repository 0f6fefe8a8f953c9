// esbuild plugins of the function bundles: serverless.yml (custom.esbuild.plugins) and `npm run bench`.
const { readFile } = require('node:fs/promises');
const { builtinModules } = require('node:module');
const { dirname } = require('node:path');

/**
 * AWS SDK v3 clients (since 3.930) describe their operations in `schemas/schemas_0.js`, whose objects
 * use computed keys (`{ [_xN]: _EBx }`). esbuild cannot prove those side-effect free, so it keeps
 * every schema of the service whatever the commands used (~550 KB for EC2): aws/aws-sdk-js-v3#7607,
 * fix pending in smithy-lang/smithy-typescript#1889. This writes the keys as the string literals they
 * stand for, so the schemas of unused operations are tree-shaken.
 */
const sdkSchemaLiteralKeys = {
  name: 'aws-sdk-schema-literal-keys',
  setup(build) {
    build.onLoad({ filter: /[\\/]@aws-sdk[\\/].+[\\/]schemas[\\/]schemas_\d+\.js$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      const strings = new Map();
      for (const [, name, literal] of source.matchAll(/^const (_\w+) = ("(?:[^"\\\n]|\\.)*");$/gm)) {
        strings.set(name, literal);
      }
      const contents = source.replace(/\[(_\w+)\]:/g, (key, name) =>
        strings.has(name) ? `${strings.get(name)}:` : key,
      );
      return { contents, loader: 'js' };
    });
  },
};

const kubernetesClientDist = /[\\/]@kubernetes[\\/]client-node[\\/]dist[\\/]/;

/**
 * @kubernetes/client-node re-exports all its modules from one index and does not declare them free
 * of side effects (they only define classes and functions), so every bundle carried exec, attach,
 * cp and port-forward with their WebSocket, tar and stream dependencies. Declared here, esbuild
 * keeps only the modules a function uses.
 */
const kubernetesClientWithoutSideEffects = {
  name: 'kubernetes-client-side-effect-free',
  setup(build) {
    build.onResolve({ filter: /^(@kubernetes\/client-node$|\.\.?\/)/ }, async (args) => {
      const fromClient = args.path === '@kubernetes/client-node' || kubernetesClientDist.test(args.importer);
      if (args.pluginData?.resolving || !fromClient) return undefined;
      const resolved = await build.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: { resolving: true },
      });
      if (resolved.errors.length > 0 || !kubernetesClientDist.test(resolved.path)) return undefined;
      return { path: resolved.path, namespace: resolved.namespace, sideEffects: false };
    });
  },
};

/**
 * undici's index loads all of undici: WebSocket, EventSource, cache storage, cookies, mock agents and
 * every interceptor, ~570 KB that each cold start compiles and runs (~90 ms of a 300 ms import).
 * @kubernetes/client-node imports three things from it, fetch, Agent and ProxyAgent: its imports of
 * `undici` get a module with just those, set up as undici's index sets them up.
 */
const undiciForKubernetesClient = {
  name: 'undici-for-kubernetes-client',
  setup(build) {
    build.onResolve({ filter: /^undici$/ }, async (args) => {
      if (args.pluginData?.resolving || !kubernetesClientDist.test(args.importer)) return undefined;
      const resolved = await build.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: { resolving: true },
      });
      if (resolved.errors.length > 0) return undefined;
      return { path: resolved.path, namespace: 'undici-for-kubernetes-client' };
    });
    build.onLoad({ filter: /.*/, namespace: 'undici-for-kubernetes-client' }, ({ path }) => ({
      contents: [
        "const Dispatcher = require('./lib/dispatcher/dispatcher');",
        // As undici's index does: ProxyAgent opens its tunnel with the dispatcher API's connect().
        "Object.assign(Dispatcher.prototype, require('./lib/api'));",
        "module.exports.fetch = require('./lib/web/fetch').fetch;",
        "module.exports.Agent = require('./lib/dispatcher/agent');",
        "module.exports.ProxyAgent = require('./lib/dispatcher/proxy-agent');",
      ].join('\n'),
      resolveDir: dirname(path),
      loader: 'js',
    }));
  },
};

/**
 * undici (under @kubernetes/client-node) leaves out its experimental Milo HTTP parser, two
 * WebAssembly builds of ~75 KB each, when `esbuildDetection` is defined: the flag Node.js sets when
 * it bundles undici itself, which then uses llhttp only, as Node's own fetch does.
 */
const undiciWithoutMilo = {
  name: 'undici-without-milo',
  setup(build) {
    build.initialOptions.define = { ...build.initialOptions.define, esbuildDetection: 'true' };
  },
};

/**
 * An ES module's `import ... from 'node:http'` makes Node.js build the builtin's ES facade, which reads
 * every export (lib/internal/bootstrap/realm.js, `syncExports`), getters included. Measured alone on
 * Node.js 22: http's WebSocket getter loads Node's own copy of undici (35–55 ms, against 4 ms through
 * `require`), process's stdin opens a pipe (8–14 ms, against 0.3), crypto's webcrypto loads Web Crypto.
 * The bundles import builtins through `require`, as CommonJS code does, so a getter runs only when
 * it is read: the functions with the Kubernetes client start about 24 ms sooner (paired runs).
 */
const builtinsThroughRequire = {
  name: 'builtins-through-require',
  setup(build) {
    const builtins = new RegExp(`^(node:)?(${builtinModules.join('|').replaceAll('/', '\\/')})$`);
    build.onResolve({ filter: builtins }, (args) =>
      args.kind === 'import-statement'
        ? { path: args.path.replace(/^(node:)?/, 'node:'), namespace: 'builtins-through-require' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'builtins-through-require' }, ({ path }) => ({
      contents: `module.exports = require(${JSON.stringify(path)});`,
      loader: 'js',
    }));
  },
};

/**
 * In Lambda the runtime hands the function its role's credentials in the environment, the first
 * place the SDK's default chain looks. The rest of the chain (profiles, SSO, web identity, container
 * and instance metadata, with the STS and SSO clients they need, ~110 KB) cannot serve a function, so
 * the clients' default provider is the environment's.
 */
const lambdaCredentials = {
  name: 'lambda-credentials',
  setup(build) {
    build.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({
      path: 'default-provider',
      namespace: 'lambda-credentials',
    }));
    build.onLoad({ filter: /.*/, namespace: 'lambda-credentials' }, () => ({
      contents: "export { fromEnv as defaultProvider } from '@aws-sdk/credential-provider-env';",
      resolveDir: __dirname,
      loader: 'js',
    }));
  },
};

/**
 * The SDK loads its event stream support with a dynamic import, only for operations that stream
 * (none of ours): left out of the bundles rather than inlined (~15 KB each).
 */
const sdkEventStreamsOnDemand = {
  name: 'aws-sdk-event-streams-on-demand',
  setup(build) {
    build.onResolve({ filter: /^@smithy\/core\/event-streams$/, namespace: 'file' }, (args) =>
      args.kind === 'dynamic-import' ? { path: args.path, external: true } : undefined,
    );
  },
};

/**
 * Each AWS SDK client imports its whole package.json (~2 KB: scripts, dependencies) for one field,
 * the version it puts in the User-Agent header: only `name` and `version` are bundled.
 */
const sdkPackageVersionOnly = {
  name: 'aws-sdk-package-version-only',
  setup(build) {
    build.onLoad({ filter: /[\\/]@aws-sdk[\\/][^\\/]+[\\/]package\.json$/ }, async ({ path }) => {
      const { name, version } = JSON.parse(await readFile(path, 'utf8'));
      return { contents: JSON.stringify({ name, version }), loader: 'json' };
    });
  },
};

module.exports = [
  sdkSchemaLiteralKeys,
  sdkPackageVersionOnly,
  sdkEventStreamsOnDemand,
  kubernetesClientWithoutSideEffects,
  undiciForKubernetesClient,
  undiciWithoutMilo,
  builtinsThroughRequire,
  lambdaCredentials,
];
