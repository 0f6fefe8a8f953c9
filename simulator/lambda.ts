import { performance } from 'node:perf_hooks';
import type { Context } from 'aws-lambda';
import type { Dependencies } from '../functions/commons/dependencies.ts';
import type { WaveConfig } from '../functions/domain/waves.ts';
import { lambdaContext } from './lambda-context.ts';
import type { World } from './world.ts';

export type LambdaFunction = (event: unknown, context: Context) => Promise<unknown>;
/** What the handlers' `makeHandler` receive: the dependencies, plus start-rollout's deployment settings. */
export type SimulatedDependencies = Dependencies & {
  stateMachineArn: string;
  clusterNames: string[];
  promotionStateMachineArn: string;
  waves: WaveConfig[];
};
export type MakeHandler = (deps: SimulatedDependencies) => LambdaFunction;

/** Step Functions' limit on a state's payload. */
const maxPayloadBytes = 262_144;

const kebabCase = (key: string) => key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
export const handlerPath = (functionKey: string) => `functions/${kebabCase(functionKey)}.ts`;

/** The handler module of a function key: `validateInput` → `functions/validate-input.ts`'s `makeHandler`. */
export async function loadMakeHandler(functionKey: string): Promise<MakeHandler> {
  const path = handlerPath(functionKey);
  const module: { makeHandler?: unknown } = await import(new URL(`../${path}`, import.meta.url).href);
  if (typeof module.makeHandler !== 'function') throw new Error(`${path} does not export makeHandler(deps)`);
  return module.makeHandler as MakeHandler;
}

/** A Lambda function's error as Step Functions sees it: `Error` is its name, `Cause` the runtime's JSON payload. */
function lambdaFailure(error: unknown): Error {
  const original = error instanceof Error ? error : new Error(String(error));
  const payload = {
    errorType: original.name,
    errorMessage: original.message,
    trace: (original.stack ?? '').split('\n'),
  };
  return Object.assign(new Error(JSON.stringify(payload)), { name: original.name });
}

/** The message a failed invocation carried: Lambda's JSON payload decoded, or the engine's own message. */
export function invocationErrorMessage(failure: Error): string {
  try {
    const payload: unknown = JSON.parse(failure.message);
    if (typeof payload === 'object' && payload !== null && 'errorMessage' in payload)
      return String(payload.errorMessage);
  } catch {
    // not a Lambda payload
  }
  return failure.message;
}

/** A terminal error of the engine: no Retry or Catch (not even States.ALL) handles it. */
function terminalError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name, isRetryable: false, isCatchable: false });
}

/** `key=value` for a result's scalar fields, `key=[n]` for its lists: one line of what a step returned. */
function summarize(result: unknown): string {
  if (result === null || typeof result !== 'object') return JSON.stringify(result) ?? '';
  return Object.entries(result)
    .flatMap(([key, value]) => {
      if (Array.isArray(value)) return [`${key}=[${value.length}]`];
      if (typeof value === 'string') return value.length <= 40 ? [`${key}=${value}`] : [];
      if (typeof value === 'boolean') return [`${key}=${value}`];
      // Epoch milliseconds (deadlines) say nothing at a glance.
      if (typeof value === 'number' && Math.abs(value) < 1e11) return [`${key}=${value}`];
      return [];
    })
    .join(' ');
}

export interface Invocation {
  functionKey: string;
  stateName: string;
  executionName: string;
}

/**
 * The Lambda service for the simulated functions: each invocation takes `lambdaSeconds` of virtual
 * time, may crash (fault), sees its input and result as JSON, and fails the way Lambda reports it.
 * It tracks the invocations in flight, so the runner never advances time under a running handler.
 */
export class LambdaRuntime {
  readonly invocations: Record<string, number> = {};
  private readonly running = new Set<{ functionKey: string; startedAt: number }>();

  constructor(
    private readonly world: World,
    private readonly functions: Map<string, LambdaFunction>,
    private readonly lambdaSeconds: number,
    /** Sees each result as the state machine receives it (the CLI tells the plan in words). */
    private readonly onResult: (invocation: Invocation, result: unknown) => void = () => undefined,
    /** Sees how much the heap grew while the handler ran (process.memoryUsage around the call). */
    private readonly onHeapGrowth?: (invocation: Invocation, bytes: number) => void,
  ) {}

  /** The invocation running longest, with how long (real milliseconds) it has run. */
  longestRunning(): { functionKey: string; realMilliseconds: number } | undefined {
    const [oldest] = this.running;
    return (
      oldest && { functionKey: oldest.functionKey, realMilliseconds: performance.now() - oldest.startedAt }
    );
  }

  total(): number {
    return Object.values(this.invocations).reduce((sum, count) => sum + count, 0);
  }

  /** Runs the function; `stillWanted` is asked once the invocation starts (an engine may have given up on it). */
  async invoke(
    invocation: Invocation,
    input: unknown,
    stillWanted: () => boolean = () => true,
  ): Promise<unknown> {
    const { functionKey, stateName, executionName } = invocation;
    const handler = this.functions.get(functionKey);
    if (handler === undefined) throw new Error(`No handler is loaded for ${functionKey}`);
    await new Promise((resolve) => setTimeout(resolve, this.lambdaSeconds * 1000));
    if (!stillWanted()) {
      throw terminalError(
        'States.Runtime',
        `${stateName} was not started: its execution was stopped, or its Map state had already failed.`,
      );
    }
    this.invocations[functionKey] = (this.invocations[functionKey] ?? 0) + 1;
    const call = { functionKey, startedAt: performance.now() };
    this.running.add(call);
    const { timeline } = this.world;
    try {
      if (this.world.faults.crashes(functionKey))
        throw new Error(`Simulated crash of the ${functionKey} handler`);
      const context = lambdaContext(functionKey, this.world.ids.uuid());
      const heapBefore = this.onHeapGrowth ? process.memoryUsage().heapUsed : 0;
      const output = await this.world.actingFor.run(executionName, () =>
        handler(structuredClone(input), context),
      );
      this.onHeapGrowth?.(invocation, process.memoryUsage().heapUsed - heapBefore);
      const json = JSON.stringify(output ?? null);
      const bytes = Buffer.byteLength(json);
      if (bytes > maxPayloadBytes) {
        throw terminalError(
          'States.DataLimitExceeded',
          `The state/task '${stateName}' returned a result with a size (${bytes} bytes) exceeding the maximum number of bytes service limit (${maxPayloadBytes}).`,
        );
      }
      const result: unknown = JSON.parse(json);
      timeline.record('TaskSucceeded', {
        execution: executionName,
        state: stateName,
        summary: summarize(result),
      });
      this.onResult(invocation, result);
      return result;
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      timeline.record('TaskFailed', {
        execution: executionName,
        state: stateName,
        error: failure.name,
        message: failure.message.slice(0, 300),
      });
      throw failure.name.startsWith('States.') ? failure : lambdaFailure(failure);
    } finally {
      this.running.delete(call);
    }
  }
}
