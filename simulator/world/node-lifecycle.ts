import type { Scheduler } from './clock.ts';

/**
 * kube-controller-manager's node lifecycle controller
 * (https://kubernetes.io/docs/concepts/architecture/nodes/#node-status and
 * https://kubernetes.io/docs/concepts/scheduling-eviction/taint-and-toleration/#taint-based-evictions):
 * a kubelet silent for `node-monitor-grace-period` (40 s) leaves its node Ready=Unknown, the node
 * tainted `node.kubernetes.io/unreachable:NoExecute` and its pods Ready=False; pods that tolerate the
 * taint for `tolerationSeconds` (300 s, the DefaultTolerationSeconds admission plugin's default) are
 * then evicted by the taint manager: marked for deletion, which only a running kubelet can finish.
 */
export const nodeMonitorGraceSeconds = 40;
export const defaultTolerationSeconds = 300;

export interface SilentNodeEffects {
  /** Whether the node is still the one that went silent (not deleted, not replaced). */
  stillThere(): boolean;
  /** Ready=Unknown, unreachable taints, its pods Ready=False. */
  markUnknown(): void;
  /** The taint manager deletes the pods that do not tolerate the taint for ever. */
  evictForTaint(): void;
}

/** Schedules what the control plane does once a node's kubelet has stopped posting its status. */
export function kubeletWentSilent(scheduler: Scheduler, effects: SilentNodeEffects): void {
  scheduler.after(nodeMonitorGraceSeconds, () => {
    if (!effects.stillThere()) return;
    effects.markUnknown();
    scheduler.after(defaultTolerationSeconds, () => {
      if (effects.stillThere()) effects.evictForTaint();
    });
  });
}
