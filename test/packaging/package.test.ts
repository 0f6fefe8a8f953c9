import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { loadYaml } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaEnvironment } from '../../bench/bundles.ts';
import { parseTrigger, ssmParameterName } from '../../functions/domain/targets.ts';
import { executionEndedRule } from '../../simulator/eventbridge.ts';
import { lockTable } from '../../simulator/world/catalog.ts';

/** Calls Auto Scaling makes on the caller's behalf when a group is pointed at a launch template. */
const launchTemplateUse = ['ec2:RunInstances', 'ec2:CreateTags', 'iam:PassRole'];
/** Lambda sends a failed asynchronous event to the function's on-failure destination with its role. */
const asyncFailureDestination = ['sqs:SendMessage'];
/** Granted for the service, not called by the code: not in the bundles. */
const notCalledByCode = [...launchTemplateUse, ...asyncFailureDestination];

/**
 * The AWS actions each function's code calls: its role must hold exactly these (plus
 * `baselineActions`), and its bundle must contain exactly these SDK commands (less
 * `launchTemplateUse`, which Auto Scaling checks on our behalf). A handler that starts or stops
 * calling an API changes this map and serverless.yml together.
 */
const functionActions: Record<string, readonly string[]> = {
  validateInput: [],
  acquireLock: [
    'autoscaling:DescribeAutoScalingGroups',
    'ec2:DescribeInstances',
    'eks:DescribeCluster',
    'eks:DescribeNodegroup',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
    'dynamodb:GetItem',
    'dynamodb:DeleteItem',
    'states:DescribeExecution',
    'ec2:DescribeLaunchTemplateVersions',
  ],
  verifyAmi: [
    'autoscaling:DescribeAutoScalingGroups',
    'autoscaling:DescribeInstanceRefreshes',
    'ec2:DescribeImages',
    'ec2:DescribeFastLaunchImages',
    'ec2:DescribeLaunchTemplateVersions',
    'ec2:DescribeInstances',
    'eks:DescribeCluster',
    'eks:DescribeNodegroup',
    'imagebuilder:GetImage',
  ],
  plan: [
    'autoscaling:DescribeAutoScalingGroups',
    'autoscaling:DescribeWarmPool',
    'ec2:DescribeInstances',
    'eks:DescribeCluster',
  ],
  prepareLaunchTemplate: [
    'autoscaling:DescribeAutoScalingGroups',
    'autoscaling:DescribeWarmPool',
    'autoscaling:UpdateAutoScalingGroup',
    'autoscaling:SuspendProcesses',
    'autoscaling:TerminateInstanceInAutoScalingGroup',
    'ec2:DescribeInstances',
    'autoscaling:CreateOrUpdateTags',
    'ec2:DescribeLaunchTemplateVersions',
    'ec2:CreateLaunchTemplateVersion',
    'ec2:ModifyLaunchTemplate',
    ...launchTemplateUse,
  ],
  startManagedUpdate: [
    'ec2:DescribeLaunchTemplateVersions',
    'ec2:CreateLaunchTemplateVersion',
    'eks:DescribeNodegroup',
    'eks:UpdateNodegroupVersion',
    'eks:UpdateNodegroupConfig',
  ],
  checkManagedUpdate: [
    'autoscaling:DescribeAutoScalingGroups',
    'ec2:DescribeInstances',
    'eks:DescribeCluster',
    'eks:DescribeUpdate',
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
    'autoscaling:UpdateAutoScalingGroup',
    'autoscaling:SetDesiredCapacity',
    'eks:DescribeCluster',
  ],
  cordon: [
    'eks:DescribeCluster',
    'autoscaling:DescribeAutoScalingGroups',
    'autoscaling:UpdateAutoScalingGroup',
    'autoscaling:SetDesiredCapacity',
    'ec2:DescribeInstances',
  ],
  drain: ['eks:DescribeCluster', 'autoscaling:DescribeAutoScalingGroups'],
  terminate: [
    'autoscaling:DescribeAutoScalingGroups',
    'autoscaling:TerminateInstanceInAutoScalingGroup',
    'autoscaling:UpdateAutoScalingGroup',
    'autoscaling:SetDesiredCapacity',
    'ec2:DescribeInstances',
    'eks:DescribeCluster',
    'events:PutEvents',
    'dynamodb:UpdateItem',
  ],
  balanceZones: ['autoscaling:DescribeAutoScalingGroups', 'ec2:DescribeInstances', 'eks:DescribeCluster'],
  finish: [
    'autoscaling:DescribeAutoScalingGroups',
    'autoscaling:UpdateAutoScalingGroup',
    'autoscaling:ResumeProcesses',
    'autoscaling:DeleteTags',
    'states:StartExecution',
    'sns:Publish',
    'events:PutEvents',
    'dynamodb:DeleteItem',
    'ec2:DescribeInstances',
  ],
  rollback: [
    'autoscaling:DescribeAutoScalingGroups',
    'autoscaling:DescribeWarmPool',
    'autoscaling:DescribeScalingActivities',
    'autoscaling:UpdateAutoScalingGroup',
    'autoscaling:SetDesiredCapacity',
    'autoscaling:TerminateInstanceInAutoScalingGroup',
    'autoscaling:ResumeProcesses',
    'autoscaling:DeleteTags',
    'ec2:DescribeImages',
    'ec2:DescribeInstances',
    'ec2:DescribeLaunchTemplateVersions',
    'ec2:CreateLaunchTemplateVersion',
    'ec2:ModifyLaunchTemplate',
    'eks:DescribeCluster',
    'eks:DescribeNodegroup',
    'eks:UpdateNodegroupVersion',
    'states:StartExecution',
    'sns:Publish',
    'dynamodb:UpdateItem',
    'events:PutEvents',
    'dynamodb:DeleteItem',
    ...launchTemplateUse,
  ],
  notifyRefusal: ['sns:Publish', 'events:PutEvents', 'dynamodb:DeleteItem'],
  cleanUp: [
    'autoscaling:DescribeAutoScalingGroups',
    'autoscaling:DescribeWarmPool',
    'autoscaling:UpdateAutoScalingGroup',
    'autoscaling:SetDesiredCapacity',
    'autoscaling:TerminateInstanceInAutoScalingGroup',
    'autoscaling:ResumeProcesses',
    'autoscaling:DeleteTags',
    'ec2:DescribeImages',
    'ec2:DescribeInstances',
    'ec2:DescribeLaunchTemplateVersions',
    'ec2:CreateLaunchTemplateVersion',
    'ec2:ModifyLaunchTemplate',
    'eks:DescribeCluster',
    'eks:DescribeNodegroup',
    'sns:Publish',
    'events:PutEvents',
    'dynamodb:GetItem',
    'dynamodb:DeleteItem',
    ...launchTemplateUse,
  ],
  beforeBatch: ['cloudwatch:DescribeAlarms', 'sns:Publish', 'events:PutEvents', 'dynamodb:GetItem'],
  bake: ['cloudwatch:DescribeAlarms'],
  requestApproval: ['sns:Publish', 'events:PutEvents'],
  holdPause: ['dynamodb:UpdateItem', 'states:SendTaskSuccess'],
  startRollout: [
    'autoscaling:DescribeAutoScalingGroups',
    'eks:DescribeCluster',
    'eks:ListNodegroups',
    'eks:DescribeNodegroup',
    'imagebuilder:GetImage',
    'ssm:GetParameters',
    'states:StartExecution',
    'sns:Publish',
    ...asyncFailureDestination,
  ],
  startWave: ['states:StartExecution'],
  checkWave: ['states:DescribeExecution'],
  bakeWave: ['cloudwatch:DescribeAlarms'],
  requestWaveApproval: ['sns:Publish'],
};

/**
 * Bundled by a client for its own use, never called by our code: the DynamoDB client's endpoint
 * discovery (off unless endpointDiscoveryEnabled is set).
 */
const sdkInternalCommands = ['dynamodb:DescribeEndpoints'];

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
  'client-cloudwatch': 'cloudwatch',
  'client-ec2': 'ec2',
  'client-eks': 'eks',
  'client-eventbridge': 'events',
  'client-imagebuilder': 'imagebuilder',
  'client-dynamodb': 'dynamodb',
  'client-sfn': 'states',
  'client-sns': 'sns',
  'client-ssm': 'ssm',
};

const maxArtifactBytes = 2.5 * 1024 * 1024;
/** A static import statement of esbuild's output and its module (`import{a as b}from"node:fs";`). */
const staticImports =
  /(?:^|[;}])import\s*(?:[\w$]+\s*,?\s*)?(?:\*\s*as\s*[\w$]+|\{[^}]*\})?\s*(?:from\s*)?["']([^"']+)["']/gm;
const repoRoot = join(import.meta.dirname, '..', '..');
const serverlessBin = join(repoRoot, 'node_modules', 'osls', 'bin', 'serverless.js');
const run = promisify(execFile);

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
  Condition?: string;
  Properties: Record<string, unknown>;
}
interface CfnOutput {
  Condition?: string;
  Value: unknown;
}
interface Template {
  Resources: Record<string, CfnResource>;
  Outputs: Record<string, CfnOutput>;
  Conditions?: Record<string, unknown>;
}
interface RoleProperties {
  AssumeRolePolicyDocument: { Statement: (Statement & { Principal: unknown })[] };
  /** `{Ref}` for the service's own managed policies; ARNs (or Fn::If of them) for AWS managed policies. */
  ManagedPolicyArns?: unknown[];
  Policies?: { PolicyName: string; PolicyDocument: PolicyDocument }[];
}
/** What `serverless print --format json` shows: the configuration with every variable resolved. */
interface PrintedConfiguration {
  resources: Template;
  custom: { patchTuesday: { ssmLatestDays: Record<string, string> } };
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

/** A CloudFormation Fn::Sub variable, `${name}`. */
const cfn = (name: string): string => `\${${name}}`;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The truth of a CloudFormation condition (Fn::Equals of two strings, Not, And, Or, Condition). */
function conditionHolds(expression: unknown, conditions: Record<string, unknown>): boolean {
  if (!isRecord(expression)) throw new Error(`Not a condition: ${JSON.stringify(expression)}`);
  const holds = (child: unknown) => conditionHolds(child, conditions);
  if ('Fn::Equals' in expression) {
    const [left, right] = expression['Fn::Equals'] as unknown[];
    // A non-string (a YAML true, a number) would depend on CloudFormation's conversions.
    if (typeof left !== 'string' || typeof right !== 'string') {
      throw new Error(`Fn::Equals of non-strings: ${JSON.stringify(expression)}`);
    }
    return left === right;
  }
  if ('Fn::Not' in expression) return !holds((expression['Fn::Not'] as unknown[])[0]);
  if ('Fn::And' in expression) return (expression['Fn::And'] as unknown[]).every(holds);
  if ('Fn::Or' in expression) return (expression['Fn::Or'] as unknown[]).some(holds);
  if ('Condition' in expression) return holds(conditions[String(expression.Condition)]);
  throw new Error(`Unsupported condition: ${JSON.stringify(expression)}`);
}

const noValue = Symbol('AWS::NoValue');

/** A template value with every Fn::If decided and every AWS::NoValue removed. */
function decided(value: unknown, truth: (condition: string) => boolean): unknown {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk).filter((item) => item !== noValue);
    if (!isRecord(node)) return node;
    if (node.Ref === 'AWS::NoValue') return noValue;
    if ('Fn::If' in node) {
      const [condition, whenTrue, whenFalse] = node['Fn::If'] as [string, unknown, unknown];
      return walk(truth(condition) ? whenTrue : whenFalse);
    }
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(node)) {
      const walked = walk(child);
      if (walked !== noValue) out[key] = walked;
    }
    return out;
  };
  const result = walk(value);
  return result === noValue ? undefined : result;
}

/** The value of Fn::Join / Fn::Split / Fn::Sub over literals (pseudo parameters from `pseudo`). */
function evaluated(value: unknown, pseudo: Record<string, string> = {}): unknown {
  if (!isRecord(value)) return value;
  if ('Fn::Join' in value) {
    const [separator, parts] = value['Fn::Join'] as [string, unknown];
    return (evaluated(parts, pseudo) as unknown[]).map((part) => evaluated(part, pseudo)).join(separator);
  }
  if ('Fn::Split' in value) {
    const [separator, text] = value['Fn::Split'] as [string, unknown];
    return String(evaluated(text, pseudo)).split(separator);
  }
  if ('Fn::Sub' in value && typeof value['Fn::Sub'] === 'string') {
    return value['Fn::Sub'].replace(/\$\{([^}]+)\}/g, (whole, name: string) => pseudo[name] ?? whole);
  }
  if ('Ref' in value && typeof value.Ref === 'string' && value.Ref in pseudo) return pseudo[value.Ref];
  throw new Error(`Cannot evaluate ${JSON.stringify(value)}`);
}

/** The resources a value refers to: Ref, Fn::GetAtt and Fn::Sub's ${Name} / ${Name.Attribute}. */
function referencesOf(value: unknown): Set<string> {
  const found = new Set<string>();
  const walk = (node: unknown, local: ReadonlySet<string>) => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item, local);
      return;
    }
    if (!isRecord(node)) return;
    if (typeof node.Ref === 'string') found.add(node.Ref);
    if (Array.isArray(node['Fn::GetAtt'])) found.add(String(node['Fn::GetAtt'][0]));
    const sub = node['Fn::Sub'];
    if (sub !== undefined) {
      const [text, variables] = Array.isArray(sub) ? sub : [sub, {}];
      const names = new Set([...local, ...Object.keys(isRecord(variables) ? variables : {})]);
      for (const [, name] of String(text).matchAll(/\$\{([^}!]+)\}/g)) {
        const base = String(name).split('.')[0] ?? '';
        if (!names.has(base)) found.add(base);
      }
      walk(variables, local);
      return;
    }
    for (const child of Object.values(node)) walk(child, local);
  };
  walk(value, new Set());
  for (const name of found) if (name.startsWith('AWS::')) found.delete(name);
  return found;
}

/** The events of the fixtures an EventBridge pattern of literal lists and `prefix` matches. */
function patternMatches(pattern: unknown, event: unknown): boolean {
  if (Array.isArray(pattern)) {
    return pattern.some((option) =>
      isRecord(option) && 'prefix' in option
        ? typeof event === 'string' && event.startsWith(String(option.prefix))
        : option === event,
    );
  }
  if (!isRecord(pattern)) throw new Error(`Unsupported pattern ${JSON.stringify(pattern)}`);
  return Object.entries(pattern).every(([key, child]) => {
    const field = isRecord(event) ? event[key] : undefined;
    // A list in the event matches when any of its items does (EventBridge semantics for arrays).
    return Array.isArray(field)
      ? field.some((item) => patternMatches(child, item))
      : patternMatches(child, field);
  });
}

/** The nth weekday (0 = Sunday) of a month as a day of the month. */
const nthWeekday = (year: number, month: number, weekday: number, nth: number): number =>
  1 + ((weekday - new Date(Date.UTC(year, month, 1)).getUTCDay() + 7) % 7) + 7 * (nth - 1);

describe('serverless package', () => {
  let packageDir: string;
  let template: Template;
  /** `serverless print` of the configuration for each set of deployment parameters (see variants). */
  const printed = new Map<string, PrintedConfiguration>();
  let badWindowError: string;

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

  /** Inline statements and those of the service's own managed policies (AWS managed ones are checked by ARN). */
  const roleStatements = (roleId: string): Statement[] => {
    const role = resource(roleId).Properties as unknown as RoleProperties;
    const inline = (role.Policies ?? []).flatMap((policy) => policy.PolicyDocument.Statement);
    const managed = (role.ManagedPolicyArns ?? []).flatMap((arn) =>
      isRecord(arn) && typeof arn.Ref === 'string'
        ? (resource(arn.Ref).Properties.PolicyDocument as PolicyDocument).Statement
        : [],
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

  /**
   * The deployment parameters the tests package with. One full packaging (default parameters) builds
   * the template with every resource, the optional ones under their CloudFormation Conditions; the
   * other sets only change literal values (parameters, conditions' operands), so `serverless print`
   * (no bundling: two seconds) shows what they change.
   */
  const variants: Record<string, Record<string, string>> = {
    defaults: {},
    everything: {
      imageNamePrefix: 'acme-win-',
      imagePipeline: 'true',
      patchTuesdayPipeline: 'true',
      patchTuesdaySsmLatest: 'true',
      patchTuesdayHour: '22',
      patchTuesdayMinute: '30',
      patchTuesdayTimezone: 'Europe/Berlin',
      ssmLatestWindowDays: '0',
      imageWindowsVersion: '2019',
      imageWindowsEdition: 'Full',
      imageKubernetesVersion: '1.32',
      imageVersion: '2.1.0',
      prepullImages:
        'mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2019,111122223333.dkr.ecr.us-east-1.amazonaws.com/shop:42',
      prepullFromEcr: 'true',
      imageRootVolumeGiB: '120',
      imageBuildInstanceTypes: 'm6i.2xlarge,m5.2xlarge',
      imageBuildSubnetId: 'subnet-0123456789abcdef0',
      imageBuildSecurityGroupIds: 'sg-0123456789abcdef0,sg-0fedcba9876543210',
      fastLaunch: 'true',
      fastLaunchMaxParallelLaunches: '10',
      fastLaunchSnapshotCount: '8',
      fastLaunchLaunchTemplateId: 'lt-0123456789abcdef0',
    },
    // The Patch Tuesday pipeline run alone (implies the pipeline), without the optional extras.
    pipelineSchedule: { patchTuesdayPipeline: 'true' },
    // The ssm-latest mode alone, with the default window of days.
    ssmLatest: { patchTuesdaySsmLatest: 'true' },
  };

  const print = async (params: Record<string, string>): Promise<PrintedConfiguration> => {
    const { stdout } = await run(
      process.execPath,
      [
        serverlessBin,
        'print',
        '--format',
        'json',
        ...Object.entries(params).map(([name, value]) => `--param=${name}=${value}`),
      ],
      { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 },
    );
    return JSON.parse(stdout) as PrintedConfiguration;
  };

  beforeAll(async () => {
    packageDir = mkdtempSync(join(tmpdir(), 'eks-windows-patcher-package-'));
    // osls makes no AWS call when packaging: no credentials, network or telemetry switch needed.
    const packaging = run(process.execPath, [serverlessBin, 'package', '--package', packageDir], {
      cwd: repoRoot,
      // Its own esbuild work folder (relative to the service), so `npm run package` may run meanwhile.
      env: { ...process.env, ESBUILD_WORK_FOLDER: relative(repoRoot, join(packageDir, 'esbuild')) },
      maxBuffer: 64 * 1024 * 1024,
    });
    const prints = Object.entries(variants).map(async ([name, params]) => {
      printed.set(name, await print(params));
    });
    const badWindow = print({ patchTuesdaySsmLatest: 'true', ssmLatestWindowDays: '15' }).then(
      () => 'packaged',
      (error: Error & { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}`,
    );
    await Promise.all([packaging, ...prints]);
    badWindowError = await badWindow;
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
        LOCK_TABLE_NAME: { Ref: 'LockTable' },
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
      if (state.Type !== 'Task') continue;
      // The Lambda is the Resource, or Parameters.FunctionName of a lambda:invoke integration (.waitForTaskToken).
      const holders = [state as Record<string, unknown>, (state.Parameters ?? {}) as Record<string, unknown>];
      const compiledState = compiledStates.get(path) ?? {};
      const compiledHolders = [
        compiledState as Record<string, unknown>,
        (compiledState.Parameters ?? {}) as Record<string, unknown>,
      ];
      for (const [key, index] of [
        ['Resource', 0],
        ['FunctionName', 1],
      ] as const) {
        const placeholder = /^\$\{([A-Za-z0-9]+)FunctionArn\}$/.exec(String(holders[index]?.[key]));
        if (placeholder === null) continue;
        tasks++;
        const variable = /^\$\{(\w+)\}$/.exec(String(compiledHolders[index]?.[key]))?.[1] ?? '';
        expect(substitutions[variable], path).toEqual({
          'Fn::GetAtt': [`${placeholder[1]}LambdaFunction`, 'Arn'],
        });
        expect(template.Resources[`${placeholder[1]}LambdaFunction`], path).toBeDefined();
        // Apart from the ARNs, the compiled definition is the file.
        (compiledHolders[index] as Record<string, unknown>)[key] = holders[index]?.[key];
      }
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

  it('puts rollout events only on the default bus, with our source', () => {
    const putEvents = allStatements().filter((statement) =>
      actionsOf(statement).includes('events:PutEvents'),
    );
    expect(putEvents.length).toBeGreaterThan(0);
    for (const statement of putEvents) {
      expect(actionsOf(statement)).toEqual(['events:PutEvents']);
      expect(
        evaluated(statement.Resource, { 'AWS::Region': 'eu-west-1', 'AWS::AccountId': '111122223333' }),
      ).toBe('arn:aws:events:eu-west-1:111122223333:event-bus/default');
      expect(statement.Condition?.StringEquals?.['events:source']).toBe('eks-windows-patcher');
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

  it('passes to EC2 only the node roles named by nodeRoleNames, never any role', () => {
    const passRole = resourcesOfType('AWS::IAM::ManagedPolicy')
      .flatMap(([, policy]) => (policy.Properties.PolicyDocument as PolicyDocument).Statement)
      .filter((statement) => actionsOf(statement).includes('iam:PassRole'));
    expect(passRole).toHaveLength(1);
    expect(passRole[0]?.Condition?.StringEquals?.['iam:PassedToService']).toBe('ec2.amazonaws.com');
    const roles = evaluated(passRole[0]?.Resource) as string[];
    expect(roles).toEqual(['arn:aws:iam::*:role/example-windows-node-role']);
    for (const role of roles) expect(role.split(':role/')[1], role).not.toMatch(/^\*?$/);
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
    'loads %s in Node.js with source maps on, importing Node.js builtins through require',
    async (key) => {
      const files = unzip(readFileSync(join(packageDir, `${key}.zip`)));
      const loadDir = join(packageDir, 'loaded', key);
      const bundle = join(loadDir, bundleFile(key));
      mkdirSync(dirname(bundle), { recursive: true });
      for (const [name, content] of files) writeFileSync(join(loadDir, name), content);
      // The ES facade of a builtin reads its getters at import (esbuild-plugins.cjs, builtinsThroughRequire).
      const esmImports = [...String(files.get(bundleFile(key))).matchAll(staticImports)]
        .map(([, specifier]) => specifier ?? '')
        .filter((specifier) => isBuiltin(specifier) && specifier !== 'node:module');
      expect(esmImports).toEqual([]);
      const { stdout } = await run(
        process.execPath,
        ['--input-type=module', '-e', 'console.log(typeof (await import(process.argv[1])).handler)', bundle],
        { env: { PATH: process.env.PATH, ...lambdaEnvironment } },
      );
      expect(stdout.trim()).toBe('function');
    },
  );

  it.each(Object.keys(functionActions))(
    'bundles in %s exactly the SDK clients and commands its role allows',
    (key) => {
      const sources = bundledSources(key);
      const expected = (functionActions[key] ?? []).filter((action) => !notCalledByCode.includes(action));

      const services = new Set(expected.map((action) => action.split(':')[0]));
      const clients = new Set(
        sources.flatMap((path) => /@aws-sdk\/(client-[a-z0-9-]+)\//.exec(path)?.[1] ?? []),
      );
      const unexpectedClients = [...clients].filter((client) => !services.has(iamPrefixOfClient[client]));
      expect(unexpectedClients, 'SDK clients bundled without a matching permission').toEqual([]);

      const commands = sources
        .flatMap((path) => {
          const match = /@aws-sdk\/(client-[a-z0-9-]+)\/.*\/commands\/(\w+)Command\.js$/.exec(path);
          return match ? [`${iamPrefixOfClient[match[1] ?? ''] ?? match[1]}:${match[2]}`] : [];
        })
        .filter((command) => !sdkInternalCommands.includes(command));
      expect(commands.sort(), 'SDK commands in the bundle').toEqual([...expected].sort());
    },
  );
  /** A set of deployment parameters: its printed resources, and the packaged ones it does not print. */
  const variant = (name: string) => {
    const configuration = printed.get(name);
    if (configuration === undefined) throw new Error(`No variant ${name}.`);
    const { Resources, Conditions = {}, Outputs = {} } = configuration.resources;
    const truth = (condition: string): boolean => {
      if (!(condition in Conditions)) throw new Error(`No condition ${condition}.`);
      return conditionHolds(Conditions[condition], Conditions);
    };
    const deployed = (id: string): boolean => {
      const own = Resources[id] ?? template.Resources[id];
      return own !== undefined && (own.Condition === undefined || truth(own.Condition));
    };
    const resourceOf = (id: string): CfnResource => {
      const found = Resources[id];
      if (found === undefined) throw new Error(`Resource ${id} is not in resources.`);
      return found;
    };
    /** A resource's properties as CloudFormation would see them under these parameters. */
    const properties = (id: string) => decided(resourceOf(id).Properties, truth) as Record<string, unknown>;
    return { Resources, Conditions, Outputs, truth, deployed, resourceOf, properties };
  };
  const region = 'us-east-1';
  const accountId = '111122223333';
  const pseudo = { 'AWS::Region': region, 'AWS::AccountId': accountId };
  const readFixture = (file: string): Record<string, unknown> =>
    JSON.parse(readFileSync(join(repoRoot, '..', 'shared', 'fixtures', file), 'utf8'));
  const queueArn = { 'Fn::GetAtt': ['TriggerDeadLetterQueue', 'Arn'] };
  const startRolloutArn = { 'Fn::GetAtt': ['StartRolloutLambdaFunction', 'Arn'] };
  const allowedStatements = (properties: Record<string, unknown>) =>
    ((properties as unknown as RoleProperties).Policies ?? [])
      .flatMap((policy) => policy.PolicyDocument.Statement)
      .filter((statement) => statement.Effect === 'Allow');

  describe('deployment parameters', () => {
    it('prints, with the default parameters, exactly the resources, conditions and outputs that are packaged', () => {
      const { Resources, Conditions, Outputs } = variant('defaults');
      for (const [id, printedResource] of Object.entries(Resources)) {
        expect(template.Resources[id], id).toEqual(printedResource);
      }
      expect(template.Conditions).toEqual(Conditions);
      for (const [id, output] of Object.entries(Outputs)) expect(template.Outputs[id], id).toEqual(output);
    });

    it.each(Object.keys(variants))(
      'with the %s parameters, refers only to resources and conditions that are deployed with them',
      (name) => {
        const { Resources, Outputs, deployed, truth } = variant(name);
        const ids = new Set([...Object.keys(template.Resources), ...Object.keys(Resources)]);
        for (const id of ids) {
          if (!deployed(id)) continue;
          const own = Resources[id] ?? template.Resources[id];
          for (const target of referencesOf(decided(own, truth))) {
            expect(deployed(target), `${id} -> ${target}`).toBe(true);
          }
        }
        for (const [id, output] of Object.entries(Outputs)) {
          if (output.Condition !== undefined && !truth(output.Condition)) continue;
          for (const target of referencesOf(decided(output.Value, truth))) {
            expect(deployed(target), `output ${id} -> ${target}`).toBe(true);
          }
        }
      },
    );

    it('turns the optional parts on and off with the parameters (CloudFormation Conditions)', () => {
      const optional = [
        'PatchTuesdayPipelineSchedule',
        'PatchTuesdayPipelineSchedulerRole',
        'PatchTuesdaySsmLatestSchedule',
        'PatchTuesdaySsmLatestSchedulerRole',
        'ImageBuildInstanceRole',
        'ImageBuildInstanceProfile',
        'PrepullImagesComponent',
        'ImageRecipe',
        'ImageInfrastructureConfiguration',
        'ImageDistributionConfiguration',
        'ImagePipeline',
      ];
      const deployedIn = (name: string) => optional.filter((id) => variant(name).deployed(id));
      expect(deployedIn('defaults')).toEqual([]);
      expect(deployedIn('everything')).toEqual(optional);
      // The Patch Tuesday pipeline run brings the pipeline with it.
      expect(deployedIn('pipelineSchedule')).toEqual(
        optional.filter((id) => !id.startsWith('PatchTuesdaySsmLatest')),
      );
      expect(deployedIn('ssmLatest')).toEqual([
        'PatchTuesdaySsmLatestSchedule',
        'PatchTuesdaySsmLatestSchedulerRole',
      ]);
      for (const always of ['ImageBuilderImageStateRule', 'TriggerDeadLetterQueue', 'Dashboard']) {
        expect(variant('defaults').deployed(always), always).toBe(true);
      }
    });
  });

  describe('one rollout per node group, and clean-up after every ending', () => {
    it('keeps the locks in an on-demand DynamoDB table keyed by the group, with TTL on the lease expiry', () => {
      expect(resource('LockTable').Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: lockTable.partitionKey, AttributeType: 'S' }],
        KeySchema: [{ AttributeName: lockTable.partitionKey, KeyType: 'HASH' }],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      });
      for (const statement of allStatements()) {
        if (actionsOf(statement).some((action) => action.startsWith('dynamodb:'))) {
          expect(statement.Resource).toEqual({ 'Fn::GetAtt': ['LockTable', 'Arn'] });
        }
      }
    });

    it('sends this state machine’s executions that end without their own rollback to clean-up, as the simulator does', () => {
      const rule = resource('ExecutionEndedRule').Properties;
      expect(rule.EventPattern).toEqual({
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          status: [...executionEndedRule.statuses],
          stateMachineArn: [{ Ref: 'RolloutStateMachine' }],
        },
      });
      expect(rule.Targets).toMatchObject([
        { Arn: { 'Fn::GetAtt': [`${logicalId(executionEndedRule.functionKey)}LambdaFunction`, 'Arn'] } },
      ]);
      expect(resource('CleanUpExecutionEndedRulePermission').Properties).toMatchObject({
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': ['ExecutionEndedRule', 'Arn'] },
      });
    });
  });

  describe('Image Builder trigger', () => {
    const rule = (name = 'defaults') => variant(name).properties('ImageBuilderImageStateRule');

    it('matches state changes of our images to AVAILABLE, FAILED and CANCELLED', () => {
      expect(rule().State).toBe('ENABLED');
      expect(rule().EventPattern).toEqual({
        source: ['aws.imagebuilder'],
        'detail-type': ['EC2 Image Builder Image State Change'],
        resources: [
          {
            prefix: {
              'Fn::Sub': `arn:aws:imagebuilder:${cfn('AWS::Region')}:${cfn('AWS::AccountId')}:image/eks-windows-`,
            },
          },
        ],
        detail: { state: { status: ['AVAILABLE', 'FAILED', 'CANCELLED'] } },
      });
      expect(
        (
          variant('everything').properties('ImageBuilderImageStateRule').EventPattern as {
            resources: unknown;
          }
        ).resources,
      ).toEqual([
        {
          prefix: {
            'Fn::Sub': `arn:aws:imagebuilder:${cfn('AWS::Region')}:${cfn('AWS::AccountId')}:image/acme-win-`,
          },
        },
      ]);
    });

    it('lets the shared fixtures through and keeps other states, names and accounts out', () => {
      const pattern = decided(rule().EventPattern, () => false) as { resources: [{ prefix: unknown }] };
      const concrete = {
        ...pattern,
        resources: [{ prefix: evaluated(pattern.resources[0].prefix, pseudo) }],
      };
      const available = readFixture('imagebuilder-image-available.json');
      const failed = readFixture('imagebuilder-image-failed.json');
      expect(patternMatches(concrete, available)).toBe(true);
      expect(patternMatches(concrete, failed)).toBe(true);
      const withStatus = (status: string) => ({ ...available, detail: { state: { status } } });
      expect(patternMatches(concrete, withStatus('CANCELLED'))).toBe(true);
      expect(patternMatches(concrete, withStatus('BUILDING'))).toBe(false);
      expect(patternMatches(concrete, withStatus('TESTING'))).toBe(false);
      const image = (arn: string) => ({ ...available, resources: [arn] });
      expect(
        patternMatches(
          concrete,
          image('arn:aws:imagebuilder:us-east-1:111122223333:image/other-linux/1.0.0/1'),
        ),
      ).toBe(false);
      expect(
        patternMatches(
          concrete,
          image('arn:aws:imagebuilder:us-east-1:444455556666:image/eks-windows-x/1.0.0/1'),
        ),
      ).toBe(false);
    });

    it('targets start-rollout, with retries, a dead-letter queue and the permission to invoke it', () => {
      expect(rule().Targets).toEqual([
        {
          Id: 'start-rollout',
          Arn: startRolloutArn,
          RetryPolicy: { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: { Arn: queueArn },
        },
      ]);
      expect(resource('StartRolloutImageStateRulePermission').Properties).toEqual({
        Action: 'lambda:InvokeFunction',
        FunctionName: startRolloutArn,
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': ['ImageBuilderImageStateRule', 'Arn'] },
      });
      expect(resource('TriggerDeadLetterQueuePolicy').Properties.PolicyDocument).toEqual({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'ImageStateRuleDeadLetters',
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Resource: queueArn,
            Condition: {
              ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': ['ImageBuilderImageStateRule', 'Arn'] } },
            },
          },
        ],
      });
    });

    it('keeps what start-rollout failed on after Lambda retries, and alarms on it', () => {
      const [configId] = resourcesOfType('AWS::Lambda::EventInvokeConfig').map(([id]) => id);
      expect(resource(configId ?? '').Properties).toMatchObject({
        FunctionName: { Ref: 'StartRolloutLambdaFunction' },
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: queueArn } },
      });
      expect(resource('TriggerDeadLetterAlarm').Properties).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['TriggerDeadLetterQueue', 'QueueName'] } }],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        AlarmActions: [{ Ref: 'NotificationTopic' }],
      });
    });
  });

  describe('Patch Tuesday schedules', () => {
    const schedule = (name: string, id: string) => variant(name).properties(id);
    const target = (name: string, id: string) =>
      schedule(name, id).Target as { Arn: unknown; RoleArn: unknown; Input: unknown } & Record<
        string,
        unknown
      >;

    it('start the pipeline on the second Tuesday at the configured time and time zone', () => {
      for (const [name, expression, timezone] of [
        ['everything', 'cron(30 22 ? * TUE#2 *)', 'Europe/Berlin'],
        ['pipelineSchedule', 'cron(0 18 ? * TUE#2 *)', 'America/Los_Angeles'],
      ]) {
        expect(schedule(name ?? '', 'PatchTuesdayPipelineSchedule'), name).toMatchObject({
          ScheduleExpression: expression,
          ScheduleExpressionTimezone: timezone,
          FlexibleTimeWindow: { Mode: 'OFF' },
          State: 'ENABLED',
        });
      }
      const { Arn, RoleArn, Input, ...rest } = target('everything', 'PatchTuesdayPipelineSchedule');
      expect(Arn).toBe('arn:aws:scheduler:::aws-sdk:imagebuilder:startImagePipelineExecution');
      expect(RoleArn).toEqual({ 'Fn::GetAtt': ['PatchTuesdayPipelineSchedulerRole', 'Arn'] });
      expect(JSON.parse((Input as { 'Fn::Sub': string })['Fn::Sub'])).toEqual({
        ImagePipelineArn: cfn('ImagePipeline'),
        ClientToken: '<aws.scheduler.scheduled-time>',
      });
      expect(rest).toEqual({
        RetryPolicy: { MaximumRetryAttempts: 5, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: queueArn },
      });
    });

    it('invoke start-rollout with the constant input {"mode":"ssm-latest"}', () => {
      const { Arn, RoleArn, Input, ...rest } = target('ssmLatest', 'PatchTuesdaySsmLatestSchedule');
      expect(Arn).toEqual(startRolloutArn);
      expect(RoleArn).toEqual({ 'Fn::GetAtt': ['PatchTuesdaySsmLatestSchedulerRole', 'Arn'] });
      expect(Input).toBe('{"mode":"ssm-latest"}');
      expect(parseTrigger(JSON.parse(String(Input)))).toEqual({ kind: 'ssm-latest' });
      expect(rest).toEqual({
        RetryPolicy: { MaximumRetryAttempts: 5, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: queueArn },
      });
    });

    it('run the ssm-latest mode on TUE#2 alone, or daily through the window after it', () => {
      expect(schedule('everything', 'PatchTuesdaySsmLatestSchedule')).toMatchObject({
        ScheduleExpression: 'cron(30 22 ? * TUE#2 *)',
        ScheduleExpressionTimezone: 'Europe/Berlin',
        FlexibleTimeWindow: { Mode: 'OFF' },
      });
      expect(schedule('ssmLatest', 'PatchTuesdaySsmLatestSchedule')).toMatchObject({
        ScheduleExpression: 'cron(0 18 8-21 * ? *)',
        ScheduleExpressionTimezone: 'America/Los_Angeles',
      });
      expect(badWindowError).toMatch(/Value not found at "self" source/);
    });

    it('cover Patch Tuesday and the N days after it in every month with the window of N days', () => {
      const windows = printed.get('defaults')?.custom.patchTuesday.ssmLatestDays ?? {};
      expect(Object.keys(windows).map(Number)).toEqual([...Array(15).keys()]);
      for (const [days, fields] of Object.entries(windows)) {
        const window = Number(days);
        for (let year = 2026; year < 2036; year++) {
          for (let month = 0; month < 12; month++) {
            const patchTuesday = nthWeekday(year, month, 2, 2);
            if (window === 0) {
              expect(fields).toBe('? * TUE#2 *');
              continue;
            }
            const [, first, last] = /^(\d+)-(\d+) \* \? \*$/.exec(fields) ?? [];
            expect(Number(first), fields).toBeLessThanOrEqual(patchTuesday);
            expect(Number(last), fields).toBeGreaterThanOrEqual(patchTuesday + window);
            expect(Number(last), 'a day every month has').toBeLessThanOrEqual(28);
          }
        }
      }
      // Why not WED#2 for "a day later": in a month that starts on a Wednesday it is the day before.
      expect(nthWeekday(2026, 6, 3, 2)).toBe(8);
      expect(nthWeekday(2026, 6, 2, 2)).toBe(14);
    });

    it('give each scheduler role only what its target needs', () => {
      const trust = {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'scheduler.amazonaws.com' },
            Action: 'sts:AssumeRole',
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          },
        ],
      };
      const pipelineRole = variant('everything').properties('PatchTuesdayPipelineSchedulerRole');
      expect(pipelineRole.AssumeRolePolicyDocument).toEqual(trust);
      expect(pipelineRole.ManagedPolicyArns).toBeUndefined();
      expect(allowedStatements(pipelineRole)).toEqual([
        {
          Effect: 'Allow',
          Action: 'imagebuilder:StartImagePipelineExecution',
          Resource: { Ref: 'ImagePipeline' },
        },
        {
          Effect: 'Allow',
          Action: 'iam:CreateServiceLinkedRole',
          Resource: {
            'Fn::Sub': `arn:aws:iam::${cfn('AWS::AccountId')}:role/aws-service-role/imagebuilder.amazonaws.com/AWSServiceRoleForImageBuilder`,
          },
          Condition: { StringEquals: { 'iam:AWSServiceName': 'imagebuilder.amazonaws.com' } },
        },
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: queueArn },
      ]);
      const ssmRole = variant('everything').properties('PatchTuesdaySsmLatestSchedulerRole');
      expect(ssmRole.AssumeRolePolicyDocument).toEqual(trust);
      expect(ssmRole.ManagedPolicyArns).toBeUndefined();
      expect(allowedStatements(ssmRole)).toEqual([
        { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: startRolloutArn },
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: queueArn },
      ]);
    });
  });

  describe('Image Builder pipeline', () => {
    const imageName = (name: string) => evaluated(variant(name).properties('ImageRecipe').Name);

    it('names the image <prefix><windows>-<edition>-<kubernetes>, within the trigger rule prefix', () => {
      expect(imageName('defaults')).toBe('eks-windows-2022-core-1-31');
      expect(imageName('everything')).toBe('acme-win-2019-full-1-32');
      expect(variant('everything').Outputs.ImageName?.Value).toEqual(
        variant('everything').resourceOf('ImageRecipe').Properties.Name,
      );
      expect(variant('everything').Outputs.ImageName?.Condition).toBe('ImagePipelineEnabled');
    });

    it('builds on the EKS-optimized Windows AMI (SSM parent image) with update-windows, our pre-pull and tests', () => {
      for (const [name, ssmVariant, kubernetes, images] of [
        ['defaults', '2022-Core', '1.31', 'mcr.microsoft.com/windows/servercore:ltsc2022'],
        ['everything', '2019-Full', '1.32', variants.everything?.prepullImages],
      ] as const) {
        const recipe = variant(name).properties('ImageRecipe');
        expect(recipe.ParentImage, name).toBe(`ssm:${ssmParameterName(ssmVariant, kubernetes)}`);
        expect(recipe.Components, name).toEqual([
          {
            ComponentArn: {
              'Fn::Sub': `arn:aws:imagebuilder:${cfn('AWS::Region')}:aws:component/update-windows/x.x.x`,
            },
          },
          {
            ComponentArn: { Ref: 'PrepullImagesComponent' },
            Parameters: [{ Name: 'Images', Value: [images] }],
          },
          {
            ComponentArn: {
              'Fn::Sub': `arn:aws:imagebuilder:${cfn('AWS::Region')}:aws:component/reboot-test-windows/x.x.x`,
            },
          },
        ]);
      }
      expect(variant('everything').properties('ImageRecipe')).toMatchObject({
        Version: '2.1.0',
        BlockDeviceMappings: [
          {
            DeviceName: '/dev/sda1',
            Ebs: { VolumeSize: '120', VolumeType: 'gp3', DeleteOnTermination: true },
          },
        ],
      });
      expect(variant('defaults').properties('ImageRecipe').BlockDeviceMappings).toBeUndefined();
    });

    it('pre-pulls with ctr into the k8s.io namespace, from the component document in deploy/imagebuilder', () => {
      const text = readFileSync(join(repoRoot, 'deploy', 'imagebuilder', 'prepull-images.yaml'), 'utf8');
      const component = variant('everything').properties('PrepullImagesComponent');
      expect(component).toMatchObject({ Platform: 'Windows', Version: '2.1.0', Data: text });
      expect(text).not.toContain('${');
      const document = loadYaml<{
        parameters: Record<string, { type: string }>[];
        phases: { name: string; steps: { action: string; inputs: { commands: string[] } }[] }[];
      }>(text);
      expect(document.parameters.map((parameter) => Object.keys(parameter))).toEqual([['Images']]);
      expect(document.phases.map((phase) => phase.name)).toEqual(['build', 'test']);
      const [build, test] = document.phases.map((phase) =>
        phase.steps.flatMap((step) => step.inputs.commands).join('\n'),
      );
      expect(document.phases.flatMap((phase) => phase.steps.map((step) => step.action))).toEqual([
        'ExecutePowerShell',
        'ExecutePowerShell',
      ]);
      expect(build).toContain("@('-n', 'k8s.io', 'images', 'pull')");
      expect(build).toContain("'{{ Images }}' -split ','");
      expect(test).toContain('-n k8s.io images ls -q');
    });

    it('builds on instances whose role holds Image Builder and Systems Manager managed policies only', () => {
      const base = [
        'arn:aws:iam::aws:policy/EC2InstanceProfileForImageBuilder',
        'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore',
      ];
      const role = (name: string) =>
        variant(name).properties('ImageBuildInstanceRole') as unknown as RoleProperties;
      expect(role('defaults').ManagedPolicyArns).toEqual(base);
      expect(role('everything').ManagedPolicyArns).toEqual([
        ...base,
        'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly',
      ]);
      expect(role('everything').Policies).toBeUndefined();
      expect(role('everything').AssumeRolePolicyDocument.Statement).toEqual([
        { Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ]);
      expect(variant('everything').properties('ImageBuildInstanceProfile')).toEqual({
        Roles: [{ Ref: 'ImageBuildInstanceRole' }],
      });
      const infrastructure = (name: string) => variant(name).properties('ImageInfrastructureConfiguration');
      expect(infrastructure('everything')).toMatchObject({
        InstanceProfileName: { Ref: 'ImageBuildInstanceProfile' },
        SubnetId: 'subnet-0123456789abcdef0',
        TerminateInstanceOnFailure: true,
        InstanceMetadataOptions: { HttpTokens: 'required' },
      });
      expect(evaluated(infrastructure('everything').InstanceTypes)).toEqual(['m6i.2xlarge', 'm5.2xlarge']);
      expect(evaluated(infrastructure('everything').SecurityGroupIds)).toEqual([
        'sg-0123456789abcdef0',
        'sg-0fedcba9876543210',
      ]);
      expect(infrastructure('defaults').SubnetId).toBeUndefined();
      expect(infrastructure('defaults').SecurityGroupIds).toBeUndefined();
    });

    it('distributes the AMI here, tagged with its Kubernetes version, with Fast Launch when asked', () => {
      const distribution = (name: string) =>
        (
          variant(name).properties('ImageDistributionConfiguration').Distributions as Record<
            string,
            unknown
          >[]
        )[0] ?? {};
      const everything = distribution('everything');
      expect(everything.Region).toEqual({ Ref: 'AWS::Region' });
      const ami = everything.AmiDistributionConfiguration as {
        Name: unknown;
        AmiTags: Record<string, unknown>;
      };
      expect(evaluated(ami.Name)).toBe('acme-win-2019-full-1-32-{{ imagebuilder:buildDate }}');
      expect(ami.AmiTags['eks-windows-patcher/kubernetes-version']).toBe('1.32');
      expect(ami.AmiTags['eks-windows-patcher/windows-version']).toBe('2019');
      expect(evaluated(ami.AmiTags['eks-windows-patcher/image-name'])).toBe('acme-win-2019-full-1-32');
      expect(everything.FastLaunchConfigurations).toEqual([
        {
          Enabled: true,
          AccountId: { Ref: 'AWS::AccountId' },
          MaxParallelLaunches: '10',
          SnapshotConfiguration: { TargetResourceCount: '8' },
          LaunchTemplate: { LaunchTemplateId: 'lt-0123456789abcdef0' },
        },
      ]);
      const defaults = distribution('defaults');
      expect(
        (defaults.AmiDistributionConfiguration as { AmiTags: Record<string, unknown> }).AmiTags[
          'eks-windows-patcher/kubernetes-version'
        ],
      ).toBe('1.31');
      expect(defaults.FastLaunchConfigurations).toBeUndefined();
    });

    it('runs the image tests in the pipeline, which the Patch Tuesday schedule (not its own) starts', () => {
      const pipeline = variant('everything').properties('ImagePipeline');
      expect(pipeline).toMatchObject({
        ImageRecipeArn: { Ref: 'ImageRecipe' },
        InfrastructureConfigurationArn: { Ref: 'ImageInfrastructureConfiguration' },
        DistributionConfigurationArn: { Ref: 'ImageDistributionConfiguration' },
        ImageTestsConfiguration: { ImageTestsEnabled: true, TimeoutMinutes: 120 },
        Status: 'ENABLED',
      });
      expect(pipeline.Schedule).toBeUndefined();
      expect(variant('everything').Outputs.ImagePipelineArn).toEqual({
        Condition: 'ImagePipelineEnabled',
        Description: expect.any(String),
        Value: { Ref: 'ImagePipeline' },
      });
    });
  });

  describe('dashboard and alarms', () => {
    const body = () => {
      const text = (resource('Dashboard').Properties.DashboardBody as { 'Fn::Sub': string })['Fn::Sub'];
      return JSON.parse(text) as {
        widgets: { type: string; properties: { metrics?: unknown[][] } }[];
      };
    };
    const metricRows = () => body().widgets.flatMap((widget) => widget.properties.metrics ?? []);
    const emittedMetrics = (): string[] =>
      readdirSync(join(repoRoot, 'functions'), { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.ts'))
        .flatMap((file) => [
          ...readFileSync(join(repoRoot, 'functions', file), 'utf8').matchAll(/addMetric\('(\w+)'/g),
        ])
        .map((match) => match[1] ?? '')
        .filter((name, index, names) => names.indexOf(name) === index);

    it('shows the executions of the state machine', () => {
      expect(resource('Dashboard').Properties.DashboardName).toBe('eks-windows-patcher-dev');
      const executions = metricRows().filter((row) => row[0] === 'AWS/States');
      expect(executions.map((row) => row[1])).toEqual([
        'ExecutionsStarted',
        'ExecutionsSucceeded',
        'ExecutionsFailed',
        'ExecutionsTimedOut',
        'ExecutionsAborted',
      ]);
      for (const row of executions)
        expect(row.slice(2, 4)).toEqual(['StateMachineArn', cfn('RolloutStateMachine')]);
    });

    it('shows the errors and durations of every function', () => {
      for (const metric of ['Errors', 'Duration']) {
        const rows = metricRows().filter((row) => row[0] === 'AWS/Lambda' && row[1] === metric);
        expect(rows.map((row) => row[3])).toEqual(
          Object.keys(functionActions).map((key) => cfn(`${logicalId(key)}LambdaFunction`)),
        );
      }
    });

    it('shows every Powertools metric the functions emit, failures and refusals by error name', () => {
      const emitted = emittedMetrics();
      expect(emitted.sort()).toEqual(
        [
          'DrainSeconds',
          'DuplicateDeliveries',
          'NodesReplaced',
          'RolloutFailures',
          'RolloutRefusals',
          'RolloutSeconds',
          'RolloutsStarted',
          'TargetsSkipped',
        ].sort(),
      );
      const own = metricRows().filter((row) => row[0] === 'EksWindowsPatcher');
      for (const row of own) expect(row.slice(2, 4)).toEqual(['service', 'eks-windows-patcher']);
      const searches = metricRows().flatMap((row) =>
        row.flatMap((item) =>
          isRecord(item) && typeof item.expression === 'string' ? [item.expression] : [],
        ),
      );
      expect(searches).toEqual([
        `SEARCH('{EksWindowsPatcher,ErrorName,service} MetricName="RolloutFailures"', 'Sum', 3600)`,
        `SEARCH('{EksWindowsPatcher,ErrorName,service} MetricName="RolloutRefusals"', 'Sum', 3600)`,
      ]);
      const shown = new Set([
        ...own.map((row) => String(row[1])),
        ...searches.map((search) => /MetricName="(\w+)"/.exec(search)?.[1] ?? ''),
      ]);
      expect([...shown].sort()).toEqual(emitted.sort());
    });

    it('keeps the alarms on failed, timed-out and aborted executions, to the notification topic', () => {
      const alarms = resourcesOfType('AWS::CloudWatch::Alarm').map(([id, alarm]) => ({
        id,
        metric: alarm.Properties.MetricName,
        actions: alarm.Properties.AlarmActions,
      }));
      for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']) {
        expect(alarms, metric).toContainEqual({
          id: `RolloutStateMachine${metric}Alarm`,
          metric,
          actions: [{ Ref: 'NotificationTopic' }],
        });
      }
      expect(alarms).toContainEqual({
        id: 'TriggerDeadLetterAlarm',
        metric: 'ApproximateNumberOfMessagesVisible',
        actions: [{ Ref: 'NotificationTopic' }],
      });
    });
  });
});
