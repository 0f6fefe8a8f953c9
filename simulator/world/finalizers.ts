import type { Faults } from './faults.ts';

/**
 * Finalizers, as https://kubernetes.io/docs/concepts/overview/working-with-objects/finalizers/ says:
 * a DELETE of an object that has them only sets `metadata.deletionTimestamp` (Terminating); the object
 * is removed once its finalizers are empty. The `podStuckTerminating` fault gives pods one that no
 * controller ever clears: they stay Terminating for ever, even after their node is gone.
 */
export const neverClearingFinalizer = 'example.com/never-clears';

/** The finalizers a pod of `workload` carries when it is asked to go (the fault's `count` pods). */
export function finalizersOnDeletion(faults: Faults, workload: string): string[] {
  return faults.staysTerminating(workload) ? [neverClearingFinalizer] : [];
}

/** Whether the API server may remove the object now that deletion was asked for. */
export const removable = (object: { finalizers: readonly string[] }): boolean =>
  object.finalizers.length === 0;
