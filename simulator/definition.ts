import { createRequire } from 'node:module';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';

interface DefinitionModule {
  loadDefinition(resolve: (functionKey: string) => string): StateMachineDefinition;
  localFunctionArn(functionKey: string): string;
  functionKeyOfArn(arn: string): string;
}

const definitions = createRequire(import.meta.url)('../statemachine/definition.cjs') as DefinitionModule;
export const { localFunctionArn } = definitions;

/** Where a Task state sends its work, and the Map state it runs in, if any. */
export interface TaskState {
  functionKey: string;
  enclosingMap: string | undefined;
}

function collectTasks(
  states: StateMachineDefinition['States'],
  enclosingMap: string | undefined,
  tasks: Map<string, TaskState>,
): void {
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task')
      tasks.set(name, { functionKey: definitions.functionKeyOfArn(state.Resource), enclosingMap });
    if (state.Type === 'Map') {
      const processor = state.ItemProcessor ?? state.Iterator;
      if (processor !== undefined) collectTasks(processor.States, name, tasks);
    }
    if (state.Type === 'Parallel')
      for (const branch of state.Branches) collectTasks(branch.States, enclosingMap, tasks);
  }
}

/** The top-level Map states' `ItemsPath` (`$.plan.batches`), by state name. */
function collectItemsPaths(states: StateMachineDefinition['States']): Map<string, string> {
  return new Map(
    Object.entries(states).flatMap(([name, state]) =>
      state.Type === 'Map' && state.ItemsPath !== undefined ? [[name, state.ItemsPath] as const] : [],
    ),
  );
}

/** The rollout state machine with local Lambda ARNs, its Task states and its Maps' ItemsPath, by name. */
export function rolloutDefinition(): {
  definition: StateMachineDefinition;
  tasks: Map<string, TaskState>;
  itemsPaths: Map<string, string>;
} {
  const definition = definitions.loadDefinition(definitions.localFunctionArn);
  const tasks = new Map<string, TaskState>();
  collectTasks(definition.States, undefined, tasks);
  return { definition, tasks, itemsPaths: collectItemsPaths(definition.States) };
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
