import type { GroupState } from '../adapters/autoscaling.ts';
import { InstanceRefreshInProgress, NodeGroupNotSupported } from '../commons/errors.ts';
import { refuseSuspendedProcesses } from './processes.ts';

/**
 * Pre-flight refusals of the group's form, before any change: a launch configuration (it cannot be
 * versioned), Launch or Terminate suspended by someone else, an instance refresh under way. Returns
 * the group's launch template.
 */
export function refuseGroupForm(
  group: Pick<GroupState, 'asgName' | 'launchTemplate' | 'launchConfigurationName' | 'suspendedProcesses'>,
  instanceRefreshId: string | undefined,
): NonNullable<GroupState['launchTemplate']> {
  if (!group.launchTemplate) {
    throw new NodeGroupNotSupported(
      `Auto Scaling group ${group.asgName} launches from ${
        group.launchConfigurationName
          ? `launch configuration ${group.launchConfigurationName}`
          : 'no launch template'
      }: launch configurations cannot be versioned, so this service cannot change its AMI. Migrate the group to a ` +
        'launch template (the EC2 console’s "Copy to launch template", then UpdateAutoScalingGroup with LaunchTemplate), then run again.',
    );
  }
  refuseSuspendedProcesses(group.asgName, group.suspendedProcesses);
  if (instanceRefreshId) {
    throw new InstanceRefreshInProgress(
      `Auto Scaling group ${group.asgName} has instance refresh ${instanceRefreshId} in progress: it replaces instances ` +
        'without draining them and would race this rollout. Wait for it to finish or cancel it (aws autoscaling ' +
        `cancel-instance-refresh --auto-scaling-group-name ${group.asgName}), then run again.`,
    );
  }
  return group.launchTemplate;
}
