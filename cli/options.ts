import { type ParseArgsConfig, parseArgs } from 'node:util';
import { z } from 'zod';
import { type RolloutInput, rolloutInputSchema } from '../functions/commons/rollout-input.ts';
import type { Runtime } from './runtime.ts';

/** Bad command line or input: the message says what to fix; the exit status is 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Something to set up before the command can work (credentials, region): printed as its one line; exit 1. */
export class SetupError extends Error {
  override readonly name = 'SetupError';
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  description: string;
  /** What the value is, in the help: `--report FILE`. */
  value?: string;
}

export interface Command {
  name: string;
  /** One line, for the list of commands. */
  summary: string;
  /** What it does and its exit status, for its help. */
  details: string;
  /** After the tool's name: `status EXECUTION_ARN [options]`. */
  usage: string;
  options: Record<string, OptionSpec>;
  /** Returns the exit status. */
  run(argv: string[], runtime: Runtime): Promise<number>;
}

export type OptionValues = Record<string, string | boolean | undefined>;

export const helpOption: Record<string, OptionSpec> = {
  help: { type: 'boolean', description: 'Show this help.' },
};

export const jsonOption: Record<string, OptionSpec> = {
  json: { type: 'boolean', description: 'Print JSON for scripts instead of text.' },
};

/** For every command that calls AWS. */
export const awsOptions: Record<string, OptionSpec> = {
  region: {
    type: 'string',
    value: 'REGION',
    description: 'AWS region (default: AWS_REGION, or the region of the profile).',
  },
  profile: {
    type: 'string',
    value: 'NAME',
    description: 'AWS profile of ~/.aws/config (default: AWS_PROFILE, or the default credential chain).',
  },
};

export const commonOptions: Record<string, OptionSpec> = { ...awsOptions, ...jsonOption, ...helpOption };

export function parseCommand(
  command: Command,
  argv: string[],
  positionals = 0,
): { values: OptionValues; positionals: string[] } {
  const options: ParseArgsConfig['options'] = Object.fromEntries(
    Object.entries(command.options).map(([name, option]) => [name, { type: option.type }]),
  );
  try {
    const parsed = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    const extra = parsed.positionals.slice(positionals);
    if (extra.length > 0) throw new UsageError(`Unexpected argument: ${extra.join(' ')}`);
    return { values: parsed.values as OptionValues, positionals: parsed.positionals };
  } catch (error) {
    throw error instanceof UsageError ? error : new UsageError((error as Error).message);
  }
}

/** Breaks text into lines of at most `width` characters, at spaces. */
export function wrap(text: string, width = 100): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  return [...lines, line];
}

export function helpText(tool: string, command: Command): string {
  const rows = Object.entries(command.options).map(([name, option]) => [
    `--${name}${option.value ? ` ${option.value}` : ''}`,
    option.description,
  ]);
  const width = Math.max(...rows.map(([flag = '']) => flag.length)) + 2;
  return [
    `Usage: ${tool} ${command.usage}`,
    '',
    ...wrap(`${command.summary} ${command.details}`),
    '',
    'Options:',
    ...rows.map(([flag = '', description = '']) => `  ${flag.padEnd(width)}${description}`),
    '',
  ].join('\n');
}

export const stringOption = (values: OptionValues, name: string): string | undefined => {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
};

type InputField = keyof RolloutInput & string;

interface InputFlag {
  field: InputField;
  flag: string;
  kind: 'boolean' | 'integer' | 'string';
}

/** The three fields every rollout names get short flags; the knobs keep their field names, kebab-cased. */
const shortFlags: Partial<Record<InputField, { flag: string; value: string }>> = {
  clusterName: { flag: 'cluster', value: 'NAME' },
  nodeGroupName: { flag: 'node-group', value: 'NAME' },
  amiId: { flag: 'ami', value: 'AMI_ID' },
};

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function kindOf(schema: z.ZodType): InputFlag['kind'] {
  const inner = schema instanceof z.ZodDefault || schema instanceof z.ZodOptional ? schema.unwrap() : schema;
  if (inner instanceof z.ZodBoolean) return 'boolean';
  return inner instanceof z.ZodNumber ? 'integer' : 'string';
}

/** One flag per field of the execution input, so the CLI never lags behind the schema. */
const inputFlags: InputFlag[] = Object.entries(rolloutInputSchema.shape).map(([field, schema]) => ({
  field: field as InputField,
  flag: shortFlags[field as InputField]?.flag ?? kebab(field),
  kind: kindOf(schema),
}));

/** The options for the input fields, help taken from the schema's descriptions and defaults. */
export function inputOptions(except: InputField[] = []): Record<string, OptionSpec> {
  return Object.fromEntries(
    inputFlags
      .filter(({ field }) => !except.includes(field))
      .map(({ field, flag, kind }) => {
        const schema = rolloutInputSchema.shape[field];
        const fallback =
          schema instanceof z.ZodDefault ? ` Default: ${String(schema.def.defaultValue)}.` : '';
        const required =
          schema instanceof z.ZodDefault || schema instanceof z.ZodOptional ? '' : ' Required.';
        const option: OptionSpec = {
          type: kind === 'boolean' ? 'boolean' : 'string',
          description: `${schema.description ?? ''}${kind === 'boolean' ? '' : fallback}${required}`,
        };
        const value = shortFlags[field]?.value ?? (kind === 'integer' ? 'N' : undefined);
        return [flag, value ? { ...option, value } : option];
      }),
  );
}

/** The input fields given as flags; numbers that do not parse are kept as text for the schema to name. */
export function inputFromFlags(values: OptionValues): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const { field, flag, kind } of inputFlags) {
    const value = values[flag];
    if (value === undefined) continue;
    raw[field] =
      kind === 'integer' && typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  }
  return raw;
}

const fieldLabel = (field: string) => {
  const flag = inputFlags.find((f) => f.field === field)?.flag;
  return flag ? `--${flag} (${field})` : field;
};

/** The input as the workflow's first state would take it, or a UsageError naming each bad field. */
export function checkInput(raw: Record<string, unknown>): RolloutInput {
  const result = rolloutInputSchema.safeParse(raw);
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => `${key}: not an input field`);
    const field = String(issue.path[0] ?? '');
    const problem =
      raw[field] === undefined
        ? 'required'
        : issue.code === 'invalid_type'
          ? `expected ${issue.expected === 'number' ? 'a whole number' : `a ${issue.expected}`}`
          : issue.message;
    return [`${fieldLabel(field)}: ${problem}`];
  });
  throw new UsageError(`Invalid rollout input:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
}
