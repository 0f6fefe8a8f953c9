import { type SimulationReport, simulate } from '../../simulator/runner.ts';
import { loadScenario } from '../../simulator/scenario.ts';

/** The scenario file test/simulator/scenarios/<name>.json. */
export const scenarioOf = (name: string) =>
  loadScenario(new URL(`./scenarios/${name}.json`, import.meta.url));

/** Each scenario runs once per test file; several tests read its report (scenarios.test.ts checks status and invariants). */
export function reportCache(): (name: string) => Promise<SimulationReport> {
  const reports = new Map<string, Promise<SimulationReport>>();
  return (name) => {
    let report = reports.get(name);
    if (report === undefined) {
      report = scenarioOf(name).then((s) => simulate(s));
      reports.set(name, report);
    }
    return report;
  };
}

export const eventsOf = (report: SimulationReport, ...names: string[]) =>
  report.timeline.filter((event) => names.includes(event.event));

/** What a rollout changes, in the timeline: none of them before its waits are over. */
export const changeEvents = [
  'LaunchTemplateVersionCreated',
  'AutoScalingGroupUpdated',
  'InstanceLaunched',
  'NodeCordoned',
  'PodEvicted',
  'InstanceTerminated',
];
