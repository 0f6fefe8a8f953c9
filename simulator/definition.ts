import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';

interface DefinitionModule {
  definitionPath: string;
  loadDefinition(resolve: (functionKey: string) => string, file?: string): StateMachineDefinition;
  localFunctionArn(functionKey: string): string;
  functionKeyOfArn(arn: string): string;
}

const definitions = createRequire(import.meta.url)('../statemachine/definition.cjs') as DefinitionModule;
export const { localFunctionArn, definitionPath } = definitions;

/** A definition file (by default statemachine/rollout.asl.json) as deployed: each Lambda's ARN put in. */
export const deployedDefinition = (file?: string): StateMachineDefinition =>
  definitions.loadDefinition(definitions.localFunctionArn, file);

/** Where a Task state sends its work, and the Map state it runs in, if any. */
export interface TaskState {
  functionKey: string;
  enclosingMap: string | undefined;
  /** `lambda:invoke.waitForTaskToken`: the function gets `Parameters.Payload`; the Task waits for its token's answer. */
  waitsForToken: boolean;
}

const longestTimerSeconds = Math.floor((2 ** 31 - 1) / 1000);

const lambdaInvoke = /^arn:aws:states:::lambda:invoke(\.waitForTaskToken)?$/;

function collectTasks(
  states: StateMachineDefinition['States'],
  enclosingMap: string | undefined,
  tasks: Map<string, TaskState>,
): void {
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task') {
      if (state.TimeoutSecondsPath !== undefined) state.TimeoutSecondsPath = effectiveInputPath(name, state);
      const integration = lambdaInvoke.exec(state.Resource);
      const functionArn = integration
        ? String((state.Parameters as { FunctionName?: unknown } | undefined)?.FunctionName)
        : state.Resource;
      tasks.set(name, {
        functionKey: definitions.functionKeyOfArn(functionArn),
        enclosingMap,
        waitsForToken: integration?.[1] !== undefined,
      });
    }
    if (state.Type === 'Map') {
      const processor = state.ItemProcessor ?? state.Iterator;
      if (processor !== undefined) collectTasks(processor.States, name, tasks);
    }
    if (state.Type === 'Parallel')
      for (const branch of state.Branches) collectTasks(branch.States, enclosingMap, tasks);
  }
}

/**
 * Step Functions reads a Task's TimeoutSecondsPath from the state input; aws-local-stepfunctions reads
 * it from the effective input (after Parameters). The path is moved to where Parameters put the same
 * value (`$.input.x` → `$.Payload.input.x` when Payload has `"input.$": "$.input"`), or loading fails.
 */
function effectiveInputPath(
  name: string,
  state: { TimeoutSecondsPath?: string; Parameters?: unknown },
): string {
  const path = state.TimeoutSecondsPath ?? '';
  const [, top = '', rest = ''] = /^\$\.(\w+)(.*)$/.exec(path) ?? [];
  const parameters = (state.Parameters ?? {}) as Record<string, unknown>;
  const payload = (parameters.Payload ?? {}) as Record<string, unknown>;
  if (payload[`${top}.$`] === `$.${top}`) return `$.Payload.${top}${rest}`;
  if (parameters[`${top}.$`] === `$.${top}`) return path;
  throw new Error(
    `Task ${name}: its Parameters do not carry ${path} (TimeoutSecondsPath), which the simulator needs.`,
  );
}

/** The top-level Map states' `ItemsPath` (`$.plan.batches`), by state name. */
function collectItemsPaths(states: StateMachineDefinition['States']): Map<string, string> {
  return new Map(
    Object.entries(states).flatMap(([name, state]) =>
      state.Type === 'Map' && state.ItemsPath !== undefined ? [[name, state.ItemsPath] as const] : [],
    ),
  );
}

/** Every state run inside a Map iteration, with the name of that Map. */
function collectMapMembers(
  states: StateMachineDefinition['States'],
  enclosingMap: string | undefined,
  members: Map<string, string>,
): Map<string, string> {
  for (const [name, state] of Object.entries(states)) {
    if (enclosingMap !== undefined) members.set(name, enclosingMap);
    if (state.Type === 'Map')
      collectMapMembers((state.ItemProcessor ?? state.Iterator)?.States ?? {}, name, members);
    if (state.Type === 'Parallel')
      for (const branch of state.Branches) collectMapMembers(branch.States, enclosingMap, members);
  }
  return members;
}

/** The promotion state machine's definition (waves). */
export const promotionDefinitionPath = join(dirname(definitions.definitionPath), 'promotion.asl.json');

/**
 * A state machine (by default the rollout's) with local Lambda ARNs, its Task states, its Maps'
 * ItemsPath and the Map each state inside one belongs to, by name.
 */
export function rolloutDefinition(file?: string): {
  definition: StateMachineDefinition;
  tasks: Map<string, TaskState>;
  itemsPaths: Map<string, string>;
  mapMembers: Map<string, string>;
} {
  const definition = deployedDefinition(file);
  // The engine times an execution with setTimeout, which fires at once past 2^31-1 ms (24.8 days):
  // a longer TimeoutSeconds (the promotion's year) is held to that, longer than any simulation.
  // https://nodejs.org/api/timers.html#settimeoutcallback-delay-args
  if ((definition.TimeoutSeconds ?? 0) > longestTimerSeconds) definition.TimeoutSeconds = longestTimerSeconds;
  const tasks = new Map<string, TaskState>();
  collectTasks(definition.States, undefined, tasks);
  return {
    definition,
    tasks,
    itemsPaths: collectItemsPaths(definition.States),
    mapMembers: collectMapMembers(definition.States, undefined, new Map()),
  };
}

/** The value at a simple JSONPath (`$.plan.batches`) of a state's input. */
export function valueAtPath(input: unknown, path: string): unknown {
  return path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter((key) => key !== '')
    .reduce<unknown>(
      (value, key) =>
        value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined,
      input,
    );
}
