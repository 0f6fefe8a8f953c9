import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkAsl,
  checkedScenarios,
  type RecordedScenario,
  recordTraces,
} from '../../simulator/asl-check/check.ts';
import { differences } from '../../simulator/asl-check/compare.ts';
import { definitionPath, deployedDefinition } from '../../simulator/definition.ts';
import type { ExecutionTrace } from '../../simulator/trace.ts';

type Json = Record<string, unknown>;

/** A copy of rollout.asl.json with `change` applied to the named state (inside the Map too). */
function alteredCopy(change: Record<string, (state: Json) => void>): string {
  const document = JSON.parse(readFileSync(definitionPath, 'utf8')) as Json;
  const visit = (states: Record<string, Json>) => {
    for (const [name, state] of Object.entries(states)) {
      change[name]?.(state);
      const processor = state.ItemProcessor as { States: Record<string, Json> } | undefined;
      if (processor) visit(processor.States);
    }
  };
  visit(document.States as Record<string, Json>);
  const file = join(mkdtempSync(join(tmpdir(), 'check-asl-')), 'rollout.asl.json');
  writeFileSync(file, JSON.stringify(document));
  return file;
}

describe("the second engine: moto's interpreter replays the definition with the simulator's Lambda results", () => {
  let recorded: RecordedScenario[];
  beforeAll(async () => {
    recorded = await recordTraces();
  }, 600_000);
  const of = (scenario: string) => recorded.filter((entry) => entry.scenario === scenario);

  it('agrees on every Task input, Wait, path of states and ending (npm run check:asl)', async () => {
    expect(recorded.map(({ scenario }) => scenario)).toHaveLength(checkedScenarios.length);
    expect(recorded.every(({ traces }) => traces.length > 0)).toBe(true);
    expect(await checkAsl(recorded)).toEqual([]);
  }, 600_000);

  it('fails on a deliberately altered copy of the ASL: a Wait, a Retry and a Parameters changed', async () => {
    const file = alteredCopy({
      WaitForReplacements: (state) => {
        delete state.SecondsPath;
        state.Seconds = 45;
      },
      Drain: (state) => {
        const [throttles] = state.Retry as Json[];
        if (throttles) throttles.MaxAttempts = 1;
      },
      Plan: (state) => {
        (state.Parameters as Json).renamed = true;
      },
    });
    const found = await checkAsl([...of('basic.json'), ...of('throttling.json')], deployedDefinition(file));
    expect(found.filter((line) => line.startsWith('basic.json'))).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/Wait 1: WaitForReplacements \d+ s vs moto WaitForReplacements 45 s/),
        expect.stringMatching(/Lambda invocation 4 \(Plan\), input \$\.renamed: undefined vs moto true/),
      ]),
    );
    expect(found.filter((line) => line.startsWith('throttling.json'))).toEqual(
      expect.arrayContaining([expect.stringMatching(/the path of states parts at step \d+/)]),
    );
  }, 600_000);

  it('fails, saying what to install, when moto cannot be imported', async () => {
    // python3 -S leaves out site-packages, where moto lives.
    await expect(checkAsl(of('dry-run.json'), deployedDefinition(), ['python3', '-S'])).rejects.toThrow(
      /pip install 'moto\[stepfunctions\]==5\.2\.\*'/,
    );
  });
});

describe('the allow-list forgives only what moto is known to get wrong', () => {
  const trace: ExecutionTrace = {
    name: 'e',
    input: {},
    startDate: '2026-11-10T18:00:00.000Z',
    states: ['Start'],
    invocations: [],
    waits: [{ state: 'WaitForWindow', enteredAt: '2026-11-10T18:00:00.500Z', seconds: 99.5 }],
    status: 'FAILED',
    error: 'DrainTimeout',
    cause: '{"errorType":"DrainTimeout","errorMessage":"pods — still there"}',
  };
  const replay = {
    name: 'e',
    states: ['Start'],
    invocations: [],
    waits: [{ state: 'WaitForWindow', seconds: 99 }],
    status: 'FAILED',
    error: 'DrainTimeout',
    cause: '{"errorType":"DrainTimeout","errorMessage":"pods \\u2014 still there"}',
  };

  it('a cause written again with \\u escapes, a Timestamp wait cut to whole seconds', () => {
    expect(differences(trace, replay)).toEqual([]);
  });

  it('not another cause, nor a wait a second shorter', () => {
    expect(
      differences(trace, {
        ...replay,
        cause: '{"errorType":"DrainTimeout","errorMessage":"pods gone"}',
        waits: [{ state: 'WaitForWindow', seconds: 98 }],
      }),
    ).toEqual([
      'Wait 1: WaitForWindow 99.5 s vs moto WaitForWindow 98 s',
      expect.stringMatching(/^ending\.cause: /),
    ]);
  });
});
