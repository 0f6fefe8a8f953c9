import type { Scenario } from '../simulator/scenario.ts';
import { UsageError } from './options.ts';

export const defaultScenario = new URL('../simulator/scenarios/default.json', import.meta.url);

/** The scenario file (default: the built-in one), or a UsageError naming each bad field. */
export async function scenarioFrom(file: string | undefined): Promise<Scenario> {
  const { loadScenario, ScenarioError } = await import('../simulator/scenario.ts');
  try {
    return await loadScenario(file ?? defaultScenario);
  } catch (error) {
    throw error instanceof ScenarioError ? new UsageError(error.message) : error;
  }
}

/** The scenario's console input, the flags' fields over it (an event-driven scenario has none). */
export function scenarioInput(scenario: Scenario, flags: Record<string, unknown>): Record<string, unknown> {
  const input = scenario.execution.input;
  const base = input !== null && typeof input === 'object' && !Array.isArray(input) ? input : {};
  return { ...(base as Record<string, unknown>), ...flags };
}
