import { readdir } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { loadScenario, parseScenario } from '../../simulator/scenario.ts';
import { named, scenarioDocument, scenarioProblems } from './world-fixture.ts';

const sharedScenarios = new URL('../../../shared/scenarios/', import.meta.url);

const problemsOf = scenarioProblems;

describe('scenario files', () => {
  it('accepts the shared scenarios and the built-in default', async () => {
    const files = (await readdir(sharedScenarios)).filter((file) => file.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) await loadScenario(new URL(file, sharedScenarios));
    await loadScenario(new URL('../../simulator/scenarios/default.json', import.meta.url));
  });

  it('fills in the defaults', () => {
    const scenario = parseScenario(scenarioDocument());
    expect(scenario.timing).toMatchObject({
      lambdaSeconds: 0.3,
      asgLaunchDelaySeconds: 10,
      instanceShutdownSeconds: 60,
    });
    expect(scenario.nodeGroups[0]?.nodesAlreadyOnTarget).toBe(0);
    expect(scenario.workloads[0]).toMatchObject({ terminationGracePeriodSeconds: 30, emptyDir: false });
  });

  it.each([
    [
      'a wrong type',
      (d: ReturnType<typeof scenarioDocument>) => {
        named(d.nodeGroups, 'win-a').instances = 'four';
      },
      'nodeGroups[0].instances: expected a number',
    ],
    [
      'a missing field',
      (d: ReturnType<typeof scenarioDocument>) => {
        delete named(d.nodeGroups, 'linux').amiId;
      },
      'nodeGroups[1].amiId: missing (expected a string)',
    ],
    [
      'an unknown fault kind',
      (d: ReturnType<typeof scenarioDocument>) => {
        d.faults.push({ kind: 'meteorStrike' });
      },
      'faults[0].kind: expected one of "throttle", "nodeNeverReady", "launchFailure", "pdbNeverAllows", "podStuckTerminating", "handlerCrash", "scaleWorkload", "restartWorkload", "scaleOut", "nodeUnreachable", "amiDeregistered", "executionStopped", "executionTimedOut", "listExecutionsLag"',
    ],
    [
      'an unknown handler in a crash fault',
      (d: ReturnType<typeof scenarioDocument>) => {
        d.faults.push({ kind: 'handlerCrash', step: 'startRollout' });
      },
      'faults[0].step: expected one of "validateInput", "acquireLock", "verifyAmi", "plan", "prepareLaunchTemplate", "surge", "checkReplacements", "cordon", "drain", "terminate", "finish", "rollback", "notifyRefusal"',
    ],
    [
      'a fault aimed at no batch',
      (d: ReturnType<typeof scenarioDocument>) => {
        d.faults.push({ kind: 'nodeNeverReady', batch: 'second' });
      },
      'faults[0].batch: expected "first", "middle", "last" or a batch index (0 is the first)',
    ],
    [
      'a crash aimed at a batch of a step that runs once',
      (d: ReturnType<typeof scenarioDocument>) => {
        d.faults.push({ kind: 'handlerCrash', step: 'plan', batch: 'first' });
      },
      'faults[0].batch: only for the steps run in each batch (surge, checkReplacements, cordon, drain, terminate)',
    ],
    [
      'a deregistration both timed and aimed at a batch',
      (d: ReturnType<typeof scenarioDocument>) => {
        d.faults.push({ kind: 'amiDeregistered', afterSeconds: 60, batch: 'last' });
      },
      'faults[0]: expected exactly one of afterSeconds or batch',
    ],
    [
      'a stop with neither a time nor a batch',
      (d: ReturnType<typeof scenarioDocument>) => {
        d.faults.push({ kind: 'executionStopped' });
      },
      'faults[0]: expected exactly one of afterSeconds or batch',
    ],
    [
      'a stop after a step without its batch',
      (d: ReturnType<typeof scenarioDocument>) => {
        d.faults.push({ kind: 'executionStopped', afterSeconds: 60, step: 'drain' });
      },
      'faults[0].step: only with batch',
    ],
    [
      'a further execution started at no known moment',
      (d: ReturnType<typeof scenarioDocument>) => {
        d.moreExecutions = [{ input: {}, start: 'later' }];
      },
      'moreExecutions[0].start: expected one of "withPrevious", "afterPrevious"',
    ],
    [
      'a misspelt field',
      (d: ReturnType<typeof scenarioDocument>) => {
        named(d.workloads, 'web').replica = 3;
      },
      'workloads[0].replica: unknown field',
    ],
    [
      'both an input and an event',
      (d: ReturnType<typeof scenarioDocument>) => {
        d.execution.event = { source: 'aws.imagebuilder' };
      },
      'execution: expected exactly one of input (an execution input) or event (an EventBridge event)',
    ],
    [
      'a PDB with both bounds',
      (d: ReturnType<typeof scenarioDocument>) => {
        named(d.workloads, 'web').pdb = { minAvailable: 1, maxUnavailable: 1 };
      },
      'workloads[0].pdb: expected exactly one of minAvailable or maxUnavailable',
    ],
    [
      'a group sized outside its bounds',
      (d: ReturnType<typeof scenarioDocument>) => {
        named(d.nodeGroups, 'win-a').instances = 9;
      },
      'nodeGroups[0].instances: must be between minSize (2) and maxSize (6)',
    ],
    [
      'a Windows group without its build',
      (d: ReturnType<typeof scenarioDocument>) => {
        delete named(d.nodeGroups, 'win-a').windowsBuild;
      },
      'nodeGroups[0].windowsBuild: required for a Windows group',
    ],
    [
      'a throttle fault on an unknown Kubernetes call',
      (d: ReturnType<typeof scenarioDocument>) => {
        d.faults.push({ kind: 'throttle', api: 'k8s:scale', times: 1 });
      },
      'faults[0].api: expected one of the Kubernetes calls k8s:listNodes, k8s:getNode, k8s:listPods, k8s:getPod, k8s:createPod, k8s:cordon, k8s:evict, k8s:delete, k8s:listPdbs, k8s:getDaemonSet, k8s:getController',
    ],
    [
      'a PDB fault for a workload that does not exist',
      (d: ReturnType<typeof scenarioDocument>) => {
        d.faults.push({ kind: 'pdbNeverAllows', workload: 'nope' });
      },
      'faults[0].workload: no workload is named nope',
    ],
  ])('names the field of %s', (_, change, problem) => {
    expect(problemsOf(change)).toContain(problem);
  });

  it('says when a file is not JSON or cannot be read', async () => {
    await expect(loadScenario('/nonexistent/scenario.json')).rejects.toThrow(/cannot be read/);
    await expect(loadScenario(new URL(import.meta.url))).rejects.toThrow(/is not JSON/);
  });
});
