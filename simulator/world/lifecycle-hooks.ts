/**
 * Auto Scaling lifecycle hooks. A launching hook holds a new instance in Pending:Wait (it runs, its
 * user data bootstraps the node) until the hook's action is completed; a terminating hook holds a
 * leaving instance in Terminating:Wait (still running) before it shuts down. An action not completed
 * within the heartbeat timeout (3600 s by default) takes the default result, ABANDON: a launching
 * instance is then terminated, a terminating one terminates anyway.
 * https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks-overview.html
 * https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutLifecycleHook.html
 */

export interface LifecycleHookSpec {
  transition: 'launching' | 'terminating';
  /** Seconds after which whoever owns the hook completes its action (CONTINUE). */
  completeAfterSeconds: number;
}

/** PutLifecycleHook's defaults. */
export const defaultHeartbeatTimeoutSeconds = 3600;

export type WaitState = 'Pending:Wait' | 'Terminating:Wait';

/** What a hook's hold needs from the world. */
export interface HookHost {
  after(seconds: number, action: () => void): void;
  record(event: string, detail: Record<string, unknown>): void;
}

/** The instances a group's hooks hold, by id, with the state Auto Scaling reports for them. */
export class LifecycleHolds {
  private readonly holds = new Map<string, WaitState>();

  constructor(
    private readonly hooks: LifecycleHookSpec[],
    private readonly host: HookHost,
  ) {}

  /** The lifecycle state a hook holds the instance in, if any. */
  stateOf(instanceId: string): WaitState | undefined {
    return this.holds.get(instanceId);
  }

  /**
   * A transition: with a hook for it, holds the instance and calls `proceed(true)` when the action
   * completes (CONTINUE), `proceed(false)` when the heartbeat timeout passes first (ABANDON);
   * without one, proceeds at once.
   */
  hold(
    instanceId: string,
    transition: LifecycleHookSpec['transition'],
    proceed: (completed: boolean) => void,
  ): void {
    const hook = this.hooks.find((candidate) => candidate.transition === transition);
    if (hook === undefined) {
      proceed(true);
      return;
    }
    const state: WaitState = transition === 'launching' ? 'Pending:Wait' : 'Terminating:Wait';
    this.holds.set(instanceId, state);
    const completed = hook.completeAfterSeconds <= defaultHeartbeatTimeoutSeconds;
    const seconds = completed ? hook.completeAfterSeconds : defaultHeartbeatTimeoutSeconds;
    this.host.record('LifecycleActionStarted', { instanceId, state });
    this.host.after(seconds, () => {
      this.holds.delete(instanceId);
      this.host.record('LifecycleActionCompleted', {
        instanceId,
        state,
        result: completed ? 'CONTINUE' : 'ABANDON',
      });
      proceed(completed);
    });
  }
}
