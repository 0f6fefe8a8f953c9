import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Calls Auto Scaling makes on the caller's behalf when a group is pointed at a launch template. */
const launchTemplateUse = ['ec2:RunInstances', 'ec2:CreateTags', 'iam:PassRole'];

/**
 * The AWS actions each function's code calls: its role must hold exactly these (plus
 * `baselineActions`), and its bundle must contain exactly these SDK commands (less
 * `launchTemplateUse`, which Auto Scaling checks on our behalf). A handler that starts or stops
 * calling an API changes this map and serverless.yml together.
 */
const functionActions: Record<string, readonly string[]> = {
  validateInput: [],
  acquireLock: ['states:ListExecutions', 'states:DescribeExecution'],
  verifyAmi: [
    'autoscaling:DescribeAutoScalingGroups',
    'ec2:DescribeImages',
    'ec2:DescribeInstances',
    'eks:DescribeCluster',
    'eks:DescribeNodegroup',
    'imagebuilder:GetImage',
  ],
  plan: ['autoscaling:DescribeAutoScalingGroups', 'ec2:DescribeInstances', 'eks:DescribeCluster'],
  prepareLaunchTemplate: [
    'autoscaling:DescribeAutoScalingGroups',
    'autoscaling:UpdateAutoScalingGroup',
    'ec2:DescribeLaunchTemplateVersions',
    'ec2:CreateLaunchTemplateVersion',
    ...launchTemplateUse,
  ],
  surge: [
    'autoscaling:DescribeAutoScalingGroups',
    'autoscaling:UpdateAutoScalingGroup',
    'autoscaling:SetDesiredCapacity',
  ],
  checkReplacements: [
    'autoscaling:DescribeAutoScalingGroups',
    'autoscaling:DescribeScalingActivities',
    'ec2:DescribeInstances',
    'eks:DescribeCluster',
  ],
  cordon: ['eks:DescribeCluster'],
  drain: ['eks:DescribeCluster'],
  terminate: [
    'autoscaling:DescribeAutoScalingGroups',
    'autoscaling:TerminateInstanceInAutoScalingGroup',
    'eks:DescribeCluster',
  ],
  finish: ['autoscaling:DescribeAutoScalingGroups', 'autoscaling:UpdateAutoScalingGroup', 'sns:Publish'],
  rollback: [
    'autoscaling:DescribeAutoScalingGroups',
    'autoscaling:UpdateAutoScalingGroup',
    'autoscaling:SetDesiredCapacity',
    'autoscaling:TerminateInstanceInAutoScalingGroup',
    'ec2:DescribeImages',
    'ec2:DescribeInstances',
    'ec2:DescribeLaunchTemplateVersions',
    'eks:DescribeCluster',
    'sns:Publish',
    ...launchTemplateUse,
  ],
  notifyRefusal: ['sns:Publish'],
  startRollout: [
    'autoscaling:DescribeAutoScalingGroups',
    'eks:DescribeCluster',
    'eks:ListNodegroups',
    'eks:DescribeNodegroup',
    'imagebuilder:GetImage',
    'ssm:GetParameters',
    'states:StartExecution',
    'sns:Publish',
  ],
};

/** Every function writes logs and X-Ray traces. */
const baselineActions = [
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
];

/** X-Ray supports no resource-level permissions, so these may stand on '*' without a condition. */
const xrayActions = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
]);

/** The IAM service prefix of each AWS SDK client package. */
const iamPrefixOfClient: Record<string, string> = {
  'client-auto-scaling': 'autoscaling',
  'client-ec2': 'ec2',
  'client-eks': 'eks',
  'client-imagebuilder': 'imagebuilder',
  'client-sfn': 'states',
  'client-sns': 'sns',
  'client-ssm': 'ssm',
};

const maxArtifactBytes = 2.5 * 1024 * 1024;
const repoRoot = join(import.meta.dirname, '..', '..');

interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource?: unknown;
  NotResource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
interface PolicyDocument {
  Statement: Statement[];
}
interface CfnResource {
  Type: string;
  Properties: Record<string, unknown>;
}
interface Template {
  Resources: Record<string, CfnResource>;
  Outputs: Record<string, { Value: unknown }>;
}
interface RoleProperties {
  ManagedPolicyArns?: { Ref: string }[];
  Policies?: { PolicyName: string; PolicyDocument: PolicyDocument }[];
}
interface FunctionProperties {
  Handler: string;
  Runtime: string;
  Architectures: string[];
  Role: unknown;
  TracingConfig: { Mode: string };
  Environment: { Variables: Record<string, unknown> };
}
type AslNode = { [key: string]: unknown };

const logicalId = (key: string): string => `${key.charAt(0).toUpperCase()}${key.slice(1)}`;
const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];
const isDescribeOrList = (action: string): boolean => /^[a-z0-9-]+:(Describe|List)[A-Za-z]+$/.test(action);

/** The entries of a zip archive by name (deflate or stored), read from its central directory. */
function unzip(archive: Buffer): Map<string, Buffer> {
  const end = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = archive.readUInt16LE(end + 10);
  let offset = archive.readUInt32LE(end + 16);
  const entries = new Map<string, Buffer>();
  for (let index = 0; index < count; index++) {
    const method = archive.readUInt16LE(offset + 10);
    const compressedSize = archive.readUInt32LE(offset + 20);
    const nameLength = archive.readUInt16LE(offset + 28);
    const extraLength = archive.readUInt16LE(offset + 30);
    const commentLength = archive.readUInt16LE(offset + 32);
    const localHeader = archive.readUInt32LE(offset + 42);
    const name = archive.toString('utf8', offset + 46, offset + 46 + nameLength);
    const start =
      localHeader + 30 + archive.readUInt16LE(localHeader + 26) + archive.readUInt16LE(localHeader + 28);
    const data = archive.subarray(start, start + compressedSize);
    entries.set(name, method === 8 ? inflateRawSync(data) : data);
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** Every state of a definition, nested Map and Parallel states included, by path. */
function statesOf(definition: AslNode, path = ''): Map<string, AslNode> {
  const found = new Map<string, AslNode>();
  for (const [name, state] of Object.entries(definition.States as Record<string, AslNode>)) {
    found.set(`${path}${name}`, state);
    const nested = [
      state.ItemProcessor,
      state.Iterator,
      ...((state.Branches as unknown[] | undefined) ?? []),
    ];
    for (const child of nested) {
      if (child !== undefined) {
        for (const [childPath, childState] of statesOf(child as AslNode, `${path}${name}/`)) {
          found.set(childPath, childState);
        }
      }
    }
  }
  return found;
}

describe('serverless package', () => {
  let packageDir: string;
  let template: Template;

  const resource = (id: string): CfnResource => {
    const found = template.Resources[id];
    if (found === undefined) throw new Error(`Resource ${id} is not in the template.`);
    return found;
  };
  const resourcesOfType = (type: string): [string, CfnResource][] =>
    Object.entries(template.Resources).filter(([, candidate]) => candidate.Type === type);
  const functionProperties = (key: string) =>
    resource(`${logicalId(key)}LambdaFunction`).Properties as unknown as FunctionProperties;

  /** The bundle inside a function's archive, e.g. `functions/plan.mjs`. */
  const bundleFile = (key: string): string => functionProperties(key).Handler.replace(/\.handler$/, '.mjs');
  /** The files bundled into a function, from its source map. */
  const bundledSources = (key: string): string[] => {
    const map = unzip(readFileSync(join(packageDir, `${key}.zip`))).get(`${bundleFile(key)}.map`);
    return (JSON.parse(String(map)) as { sources: string[] }).sources;
  };

  /** Inline and attached managed policy statements of a role. */
  const roleStatements = (roleId: string): Statement[] => {
    const role = resource(roleId).Properties as RoleProperties;
    const inline = (role.Policies ?? []).flatMap((policy) => policy.PolicyDocument.Statement);
    const managed = (role.ManagedPolicyArns ?? []).flatMap(
      ({ Ref }) => (resource(Ref).Properties.PolicyDocument as PolicyDocument).Statement,
    );
    return [...inline, ...managed];
  };

  /** Every permission statement in the template (trust policies are not permissions). */
  const allStatements = (): Statement[] => [
    ...resourcesOfType('AWS::IAM::Role').flatMap(([id]) => roleStatements(id)),
    ...resourcesOfType('AWS::IAM::Policy').flatMap(
      ([, policy]) => (policy.Properties.PolicyDocument as PolicyDocument).Statement,
    ),
  ];

  beforeAll(async () => {
    packageDir = mkdtempSync(join(tmpdir(), 'eks-windows-patcher-package-'));
    // osls makes no AWS call when packaging: no credentials, network or telemetry switch needed.
    await promisify(execFile)(
      process.execPath,
      [join(repoRoot, 'node_modules', 'osls', 'bin', 'serverless.js'), 'package', '--package', packageDir],
      {
        cwd: repoRoot,
        // Its own esbuild work folder (relative to the service), so `npm run package` may run meanwhile.
        env: { ...process.env, ESBUILD_WORK_FOLDER: relative(repoRoot, join(packageDir, 'esbuild')) },
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    template = JSON.parse(
      readFileSync(join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8'),
    ) as Template;
  });

  afterAll(() => {
    if (packageDir !== undefined) rmSync(packageDir, { recursive: true, force: true });
  });

  it('defines exactly the expected functions, each on nodejs22.x arm64 with its own role', () => {
    const functionIds = resourcesOfType('AWS::Lambda::Function').map(([id]) => id);
    expect(functionIds.sort()).toEqual(
      Object.keys(functionActions)
        .map((key) => `${logicalId(key)}LambdaFunction`)
        .sort(),
    );
    for (const key of Object.keys(functionActions)) {
      const properties = functionProperties(key);
      expect(properties.Runtime, key).toBe('nodejs22.x');
      expect(properties.Architectures, key).toEqual(['arm64']);
      expect(properties.TracingConfig, key).toEqual({ Mode: 'Active' });
      expect(properties.Role, key).toEqual({ 'Fn::GetAtt': [`${logicalId(key)}Role`, 'Arn'] });
    }
    expect(template.Resources.IamRoleLambdaExecution, 'no shared default role').toBeUndefined();
  });

  it('gives every function the notification topic and the Powertools settings', () => {
    for (const key of Object.keys(functionActions)) {
      expect(functionProperties(key).Environment.Variables, key).toMatchObject({
        NOTIFICATION_TOPIC_ARN: { Ref: 'NotificationTopic' },
        POWERTOOLS_SERVICE_NAME: 'eks-windows-patcher',
        POWERTOOLS_METRICS_NAMESPACE: 'EksWindowsPatcher',
        NODE_OPTIONS: '--enable-source-maps',
      });
    }
  });

  it('compiles the state machine from rollout.asl.json, each Task invoking its function by GetAtt', () => {
    const stateMachine = resource('RolloutStateMachine').Properties;
    expect(stateMachine.TracingConfiguration).toEqual({ Enabled: true });
    const [body, substitutions] = (
      stateMachine.DefinitionString as { 'Fn::Sub': [string, Record<string, unknown>] }
    )['Fn::Sub'];
    const compiled = JSON.parse(body) as AslNode;
    const source = JSON.parse(
      readFileSync(join(repoRoot, 'statemachine', 'rollout.asl.json'), 'utf8'),
    ) as AslNode;

    const compiledStates = statesOf(compiled);
    const sourceStates = statesOf(source);
    expect([...compiledStates.keys()]).toEqual([...sourceStates.keys()]);

    let tasks = 0;
    for (const [path, state] of sourceStates) {
      const placeholder = /^\$\{([A-Za-z0-9]+)FunctionArn\}$/.exec(String(state.Resource));
      if (state.Type !== 'Task' || placeholder === null) continue;
      tasks++;
      const compiledState = compiledStates.get(path) ?? {};
      const variable = /^\$\{(\w+)\}$/.exec(String(compiledState.Resource))?.[1] ?? '';
      expect(substitutions[variable], path).toEqual({
        'Fn::GetAtt': [`${placeholder[1]}LambdaFunction`, 'Arn'],
      });
      expect(template.Resources[`${placeholder[1]}LambdaFunction`], path).toBeDefined();
      // Apart from the ARNs, the compiled definition is the file.
      compiledState.Resource = state.Resource;
    }
    expect(tasks).toBeGreaterThan(0);
    expect(compiled).toEqual(source);
  });

  it('lets the state machine invoke only the functions of its definition', () => {
    const roleArn = resource('RolloutStateMachine').Properties.RoleArn as { 'Fn::GetAtt': [string, string] };
    const statements = roleStatements(roleArn['Fn::GetAtt'][0]);
    const invoke = statements.filter((statement) => actionsOf(statement).includes('lambda:InvokeFunction'));
    expect(invoke).toHaveLength(1);
    expect(actionsOf(invoke[0] as Statement)).toEqual(['lambda:InvokeFunction']);
    const invoked = new Set(JSON.stringify(invoke[0]?.Resource).match(/\w+LambdaFunction/g));
    const defined = new Set(
      readFileSync(join(repoRoot, 'statemachine', 'rollout.asl.json'), 'utf8')
        .match(/\$\{\w+FunctionArn\}/g)
        ?.map((placeholder) => placeholder.replace(/^\$\{(\w+)FunctionArn\}$/, '$1LambdaFunction')),
    );
    expect([...invoked].sort()).toEqual([...defined].sort());
    expect(invoked.has('StartRolloutLambdaFunction')).toBe(false);
    const others = statements.flatMap((statement) => (statement === invoke[0] ? [] : actionsOf(statement)));
    expect(others.every((action) => xrayActions.has(action))).toBe(true);
  });

  it('creates the notification topic and outputs its ARN and the state machine ARN', () => {
    expect(resource('NotificationTopic').Type).toBe('AWS::SNS::Topic');
    expect(template.Outputs.NotificationTopicArn?.Value).toEqual({ Ref: 'NotificationTopic' });
    expect(template.Outputs.RolloutStateMachineArn?.Value).toEqual({ Ref: 'RolloutStateMachine' });
  });

  it('grants no wildcard action anywhere', () => {
    for (const statement of allStatements()) {
      for (const action of actionsOf(statement)) {
        expect(action).not.toContain('*');
      }
    }
  });

  it('puts only Describe/List (and X-Ray) actions on every resource without a condition', () => {
    for (const statement of allStatements()) {
      if (statement.Effect !== 'Allow' || statement.Condition !== undefined) continue;
      expect(statement.NotResource).toBeUndefined();
      if (statement.Resource !== '*') continue;
      for (const action of actionsOf(statement)) {
        expect(isDescribeOrList(action) || xrayActions.has(action), action).toBe(true);
      }
    }
  });

  it('scopes changes to node groups tagged with TARGET_TAG_KEY and EKS calls to the configured clusters', () => {
    const tagKey = functionProperties('startRollout').Environment.Variables.TARGET_TAG_KEY;
    expect(tagKey).toBe('eks-windows-patcher/enabled');
    const tagged = (statement: Statement, conditionKey: string) =>
      statement.Condition?.StringEquals?.[`${conditionKey}/${tagKey}`] === 'true';
    const allows = allStatements().filter((statement) => statement.Effect === 'Allow');
    for (const statement of allows) {
      const actions = actionsOf(statement);
      if (actions.some((action) => /^autoscaling:(Update|Set|Terminate)/.test(action))) {
        expect(tagged(statement, 'autoscaling:ResourceTag'), actions.join()).toBe(true);
      }
      if (actions.includes('ec2:CreateLaunchTemplateVersion')) {
        expect(tagged(statement, 'aws:ResourceTag'), actions.join()).toBe(true);
      }
      if (actions.some((action) => action.startsWith('eks:'))) {
        expect(JSON.stringify(statement.Resource), actions.join()).toMatch(
          /:eks:[^"]+:(cluster|nodegroup)\//,
        );
      }
    }
    const conditionTagKeys = JSON.stringify(template.Resources).match(/ResourceTag\/[^"]+/g) ?? [];
    expect(new Set(conditionTagKeys)).toEqual(new Set([`ResourceTag/${tagKey}`]));
  });

  it.each(Object.keys(functionActions))('gives %s exactly the actions its code calls', (key) => {
    const granted = roleStatements(`${logicalId(key)}Role`)
      .filter((statement) => statement.Effect === 'Allow')
      .flatMap(actionsOf);
    expect(new Set(granted).size, 'each action granted once').toBe(granted.length);
    expect(granted.sort()).toEqual([...baselineActions, ...(functionActions[key] ?? [])].sort());
  });

  it('outputs, for EKS access entries, the roles of exactly the functions that talk to Kubernetes', () => {
    const kubernetesClients = Object.keys(functionActions).filter((key) =>
      bundledSources(key).some((path) => path.includes('/@kubernetes/client-node/')),
    );
    const output = JSON.stringify(template.Outputs.KubernetesAccessRoleArns?.Value);
    expect(output.match(/\w+Role(?=")/g)?.sort()).toEqual(
      kubernetesClients.map((key) => `${logicalId(key)}Role`).sort(),
    );
  });

  it.each(Object.keys(functionActions))('packages %s as one small ESM bundle with its source map', (key) => {
    const archive = join(packageDir, `${key}.zip`);
    expect(existsSync(archive)).toBe(true);
    expect(statSync(archive).size).toBeLessThan(maxArtifactBytes);
    expect([...unzip(readFileSync(archive)).keys()].sort()).toEqual([
      bundleFile(key),
      `${bundleFile(key)}.map`,
    ]);
  });

  it.each(Object.keys(functionActions))(
    'bundles in %s exactly the SDK clients and commands its role allows',
    (key) => {
      const sources = bundledSources(key);
      const expected = (functionActions[key] ?? []).filter((action) => !launchTemplateUse.includes(action));

      const services = new Set(expected.map((action) => action.split(':')[0]));
      const clients = new Set(
        sources.flatMap((path) => /@aws-sdk\/(client-[a-z0-9-]+)\//.exec(path)?.[1] ?? []),
      );
      const unexpectedClients = [...clients].filter((client) => !services.has(iamPrefixOfClient[client]));
      expect(unexpectedClients, 'SDK clients bundled without a matching permission').toEqual([]);

      const commands = sources.flatMap((path) => {
        const match = /@aws-sdk\/(client-[a-z0-9-]+)\/.*\/commands\/(\w+)Command\.js$/.exec(path);
        return match ? [`${iamPrefixOfClient[match[1] ?? ''] ?? match[1]}:${match[2]}`] : [];
      });
      expect(commands.sort(), 'SDK commands in the bundle').toEqual([...expected].sort());
    },
  );
});
