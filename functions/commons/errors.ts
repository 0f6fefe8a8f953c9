/**
 * Errors the state machine catches by name. Each class sets a literal `name` (it survives
 * minification and is what Step Functions reports as the execution's error); `message` is the
 * sentence an operator reads: the resource and the fix.
 */
export abstract class RolloutError extends Error {
  abstract override readonly name: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const named = <N extends string>(errorName: N) =>
  class extends RolloutError {
    override readonly name: N = errorName;
  };

/** Execution input or event malformed. */
export class InvalidInput extends named('InvalidInput') {}
export class NodeGroupNotFound extends named('NodeGroupNotFound') {}
export class NodeGroupNotWindows extends named('NodeGroupNotWindows') {}
export class NodeGroupNotSupported extends named('NodeGroupNotSupported') {}
/** Launch or Terminate suspended on the group by someone else. */
export class AutoScalingProcessesSuspended extends named('AutoScalingProcessesSuspended') {}
/** An instance refresh of the group is under way. */
export class InstanceRefreshInProgress extends named('InstanceRefreshInProgress') {}
export class AmiNotFound extends named('AmiNotFound') {}
/** Not `available`, or deregistered. */
export class AmiNotAvailable extends named('AmiNotAvailable') {}
export class AmiNotWindows extends named('AmiNotWindows') {}
export class AmiArchitectureMismatch extends named('AmiArchitectureMismatch') {}
export class WindowsBuildMismatch extends named('WindowsBuildMismatch') {}
export class KubeletVersionSkew extends named('KubeletVersionSkew') {}
/** The Image Builder image behind the AMI is not AVAILABLE or ran no tests. */
export class AmiTestsNotPassed extends named('AmiTestsNotPassed') {}
/** The AMI's EC2 Fast Launch is still `enabling` at the input's fastLaunchWaitSeconds. */
export class FastLaunchNotReady extends named('FastLaunchNotReady') {}
/** Another execution holds the node group. */
export class RolloutInProgress extends named('RolloutInProgress') {}
/** The lock's holder has ended but its clean-up has not released the group yet; AcquireLock retries, then refuses with it. */
export class LockReleasePending extends named('LockReleasePending') {}
/** Pods that cannot be evicted without `force`, or pods matched by several PDBs. */
export class DrainBlocked extends named('DrainBlocked') {}
/** Evictions refused until the deadline. */
export class DrainTimeout extends named('DrainTimeout') {}
/** New nodes not Ready in time. */
export class ReplacementNotReady extends named('ReplacementNotReady') {}
/** The Auto Scaling group could not launch replacements. */
export class LaunchFailed extends named('LaunchFailed') {}
/** A CloudWatch alarm of the input was in ALARM before a batch or during a bake. */
export class AlarmTriggered extends named('AlarmTriggered') {}
/** An alarm of the input does not exist: watching nothing must not pass for healthy. */
export class AlarmNotFound extends named('AlarmNotFound') {}
/** No opening of the maintenance window is long enough for one batch. */
export class MaintenanceWindowTooShort extends named('MaintenanceWindowTooShort') {}
/** A person rejected the rollout (`eks-windows-patcher reject`); sent to the approval's task token. */
export const rolloutRejected = 'RolloutRejected';
/** An EKS managed node group reports health issues, or is being updated by someone else. */
export class NodeGroupUnhealthy extends named('NodeGroupUnhealthy') {}
/** A managed node group without a launch template can only move to EKS-optimized AMIs. */
export class ManagedGroupNeedsLaunchTemplate extends named('ManagedGroupNeedsLaunchTemplate') {}
/** EKS's update of a managed node group: new nodes not Ready within EKS's 15 minutes. */
export class NodeCreationFailure extends named('NodeCreationFailure') {}
/** EKS's update of a managed node group: a node's pods not evicted within EKS's 15 minutes. */
export class PodEvictionFailure extends named('PodEvictionFailure') {}
/** EKS's update of a managed node group failed for another reason (EKS's error code in the cause). */
export class ManagedUpdateFailed extends named('ManagedUpdateFailed') {}
/** EKS's update of a managed node group still ran at the rollout's deadline for it. */
export class ManagedUpdateStalled extends named('ManagedUpdateStalled') {}
/** The Kubernetes API asked us to slow down (429 without a PDB cause, or 5xx); the state retries. */
export class KubernetesThrottled extends named('KubernetesThrottled') {}

/** The error names of this file, for tests that check the ASL catches each one. */
export const rolloutErrorNames = [
  'InvalidInput',
  'NodeGroupNotFound',
  'NodeGroupNotWindows',
  'NodeGroupNotSupported',
  'AutoScalingProcessesSuspended',
  'InstanceRefreshInProgress',
  'AmiNotFound',
  'AmiNotAvailable',
  'AmiNotWindows',
  'AmiArchitectureMismatch',
  'WindowsBuildMismatch',
  'KubeletVersionSkew',
  'AmiTestsNotPassed',
  'FastLaunchNotReady',
  'RolloutInProgress',
  'LockReleasePending',
  'DrainBlocked',
  'DrainTimeout',
  'ReplacementNotReady',
  'LaunchFailed',
  'AlarmTriggered',
  'AlarmNotFound',
  'MaintenanceWindowTooShort',
  /** A person answered the approval with reject. */
  'RolloutRejected',
  /** Nobody answered the approval within approvalTimeoutSeconds. */
  'ApprovalTimedOut',
  'NodeGroupUnhealthy',
  'ManagedGroupNeedsLaunchTemplate',
  'NodeCreationFailure',
  'PodEvictionFailure',
  'ManagedUpdateFailed',
  'ManagedUpdateStalled',
  /** An AWS or Kubernetes API kept throttling (or was unavailable) after the step's retries. */
  'ApiThrottled',
  /** A step failed in a way the workflow does not name (a bug, a permission, a timeout): the cause says which. */
  'UnexpectedError',
  /** The rollout failed and its rollback could not finish: the cause says what to check by hand. */
  'RollbackIncomplete',
] as const;
export type RolloutErrorName = (typeof rolloutErrorNames)[number];

/** What the states retry as throttling or a passing outage (the ASL's first Retry); after the retries, `ApiThrottled`. */
export const throttlingErrorNames = [
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'KubernetesThrottled',
  'ServiceUnavailable',
  'InternalError',
  'InternalFailure',
  'Lambda.TooManyRequestsException',
  'CallRateLimitExceededException',
  'ThrottledException',
] as const;
/** A rollout of a promotion's wave did not succeed: later waves are not started. */
export class WaveFailed extends named('WaveFailed') {}
/** A wave's rollouts had not all ended by the wave's deadline (`timeoutSeconds`). */
export class WaveTimedOut extends named('WaveTimedOut') {}
