import { isDeepStrictEqual } from 'node:util';
import type { ExecutionTrace } from '../trace.ts';

/** What moto_replay.py reports of one execution it replayed. */
export interface MotoReplay {
  name: string;
  /** Set when the execution never ended: nothing else is. */
  stuck?: string;
  states?: string[];
  invocations?: { functionKey: string; input: unknown }[];
  waits?: { state: string; seconds: number }[];
  /** Recorded invocations moto never asked for. */
  unanswered?: number;
  status?: string;
  error?: string | null;
  cause?: string | null;
}

/**
 * Where moto 5.2 is known to differ from Step Functions. Each entry names the difference, why it
 * is moto's and not the definition's, and makes the two sides comparable; nothing else is forgiven.
 */
export const motoKnownWrong: {
  what: string;
  /** Where it applies: any JSON value compared (Task inputs, the ending), or a Wait's seconds. */
  where: 'value' | 'waitSeconds';
  equal: (simulator: unknown, moto: unknown) => boolean;
}[] = [
  {
    where: 'value',
    // Step Functions gives "2026-11-30T09:00:00.000Z" (the context object's documented format,
    // https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html); moto
    // writes Python's isoformat ("2026-11-30T09:00:00+00:00").
    what: '$$.Execution.StartTime in ISO form with +00:00',
    equal: (simulator, moto) =>
      typeof simulator === 'string' &&
      typeof moto === 'string' &&
      /^\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(simulator) &&
      /^\d{4}-\d\d-\d\dT[\d:.]+\+00:00$/.test(moto) &&
      Date.parse(simulator) === Date.parse(moto),
  },
  {
    // Step Functions passes a function error's payload as Lambda returned it; moto parses it and
    // writes it again with json.dumps (non-ASCII as \u escapes): the same JSON, other bytes.
    what: "a Lambda error's cause re-serialised",
    where: 'value',
    equal: (simulator, moto) => {
      try {
        return (
          typeof simulator === 'string' &&
          typeof moto === 'string' &&
          isDeepStrictEqual(JSON.parse(simulator), JSON.parse(moto))
        );
      } catch {
        return false;
      }
    },
  },
  {
    // moto waits until a Timestamp in whole seconds (int(delta.total_seconds())); the state was
    // entered mid-second, and Step Functions waits until the timestamp itself.
    what: 'a Timestamp Wait cut to whole seconds',
    where: 'waitSeconds',
    equal: (simulator, moto) =>
      typeof simulator === 'number' &&
      typeof moto === 'number' &&
      Number.isInteger(moto) &&
      simulator - moto >= 0 &&
      simulator - moto < 1,
  },
];

const forgiven = (simulator: unknown, moto: unknown, where: 'value' | 'waitSeconds' = 'value') =>
  motoKnownWrong.some((entry) => entry.where === where && entry.equal(simulator, moto));

const show = (value: unknown) => {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
};

/** The path of the first place where two JSON values differ (outside the allow-list), if any. */
export function firstDifference(simulator: unknown, moto: unknown, path = '$'): string | undefined {
  if (isDeepStrictEqual(simulator, moto) || forgiven(simulator, moto)) return undefined;
  const bothObjects =
    simulator !== null && moto !== null && typeof simulator === 'object' && typeof moto === 'object';
  if (!bothObjects || Array.isArray(simulator) !== Array.isArray(moto))
    return `${path}: ${show(simulator)} vs moto ${show(moto)}`;
  const a = simulator as Record<string, unknown>;
  const b = moto as Record<string, unknown>;
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const found = firstDifference(a[key], b[key], Array.isArray(a) ? `${path}[${key}]` : `${path}.${key}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Where the replay on moto parted from the simulator's run: the path of states, Task inputs, Waits, the ending. */
export function differences(trace: ExecutionTrace, replay: MotoReplay): string[] {
  if (replay.stuck !== undefined) return [`moto's execution is ${replay.stuck}`];
  const found: string[] = [];
  const states = replay.states ?? [];
  const parted = trace.states.findIndex((state, index) => state !== states[index]);
  if (parted !== -1 || states.length !== trace.states.length) {
    const at = parted === -1 ? trace.states.length : parted;
    found.push(
      `the path of states parts at step ${at + 1}: ${trace.states.slice(at, at + 3).join(' > ') || '(end)'} vs moto ${states.slice(at, at + 3).join(' > ') || '(end)'} (after ${trace.states.slice(Math.max(0, at - 2), at).join(' > ')})`,
    );
  }
  const invocations = replay.invocations ?? [];
  trace.invocations.forEach((invocation, index) => {
    const sent = invocations[index];
    if (sent === undefined) return;
    const difference =
      sent.functionKey === invocation.functionKey
        ? firstDifference(invocation.input, sent.input)
        : `${invocation.functionKey} vs moto ${sent.functionKey}`;
    if (difference !== undefined)
      found.push(`Lambda invocation ${index + 1} (${invocation.state}), input ${difference}`);
  });
  if (invocations.length !== trace.invocations.length)
    found.push(`${trace.invocations.length} Lambda invocations vs moto ${invocations.length}`);
  const waits = replay.waits ?? [];
  trace.waits.forEach((wait, index) => {
    const other = waits[index];
    const sameSeconds =
      other?.seconds === wait.seconds || forgiven(wait.seconds, other?.seconds, 'waitSeconds');
    if (other !== undefined && (other.state !== wait.state || !sameSeconds))
      found.push(
        `Wait ${index + 1}: ${wait.state} ${wait.seconds} s vs moto ${other.state} ${other.seconds} s`,
      );
  });
  if (waits.length !== trace.waits.length) found.push(`${trace.waits.length} Waits vs moto ${waits.length}`);
  const ending = { status: trace.status, error: trace.error, cause: trace.cause };
  const motoEnding = { status: replay.status, error: replay.error ?? null, cause: replay.cause ?? null };
  const endingDifference = firstDifference(ending, motoEnding, 'ending');
  if (endingDifference !== undefined) found.push(endingDifference);
  return found;
}
