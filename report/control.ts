import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { objectAt, parseObject } from './json.ts';

/** Why a rollout stood still: its maintenance window, a bake, an approval, a person's pause, or the AMI's Fast Launch. */
export type ControlKind = 'window' | 'bake' | 'approval' | 'pause' | 'fastLaunch';

/** One stretch of standing still, in epoch milliseconds; `end` undefined while it lasts. */
export interface ControlSpan {
  kind: ControlKind;
  start: number;
  end: number | undefined;
  /** Epoch milliseconds it was to last until, when known (a window's opening, a bake's end). */
  until: number | undefined;
  /** Zero-based batch, when it stood still at a batch. */
  batch: number | undefined;
}

/** The states of statemachine/rollout.asl.json that stand still, and why. */
const kindOfState: Record<string, ControlKind> = {
  WaitForWindow: 'window',
  WaitForBatchWindow: 'window',
  Bake: 'bake',
  WaitForBake: 'bake',
  RequestApproval: 'approval',
  RequestCanaryApproval: 'approval',
  PausedBeforeChanges: 'pause',
  Paused: 'pause',
  WaitForFastLaunch: 'fastLaunch',
};

/** States a wait loops through between two looks without ending it. */
const loopStates = new Set([
  'BeforeChanges',
  'MayChange?',
  'RenewLock',
  'BeforeBatch',
  'BatchMayStart?',
  'Baked?',
  'VerifyAmi',
  'FastLaunchReady?',
  'HoldLockForFastLaunch',
]);

function untilOf(kind: ControlKind, input: Record<string, unknown>): number | undefined {
  const gate = objectAt(input, 'gate');
  const bake = objectAt(input, 'bake');
  if (kind === 'window' && typeof gate.until === 'string') return Date.parse(gate.until);
  if (kind === 'bake' && typeof bake.until === 'number') return bake.until;
  const fastLaunch = objectAt(objectAt(input, 'verified'), 'fastLaunch');
  if (kind === 'fastLaunch' && typeof fastLaunch.until === 'string') return Date.parse(fastLaunch.until);
  return undefined;
}

/** Reads the stretches a rollout stood still from its history (any order). Pure. */
export function controlSpans(events: readonly HistoryEvent[]): ControlSpan[] {
  const spans: ControlSpan[] = [];
  let open: ControlSpan | undefined;
  for (const event of [...events].sort((a, b) => (a.id ?? 0) - (b.id ?? 0))) {
    const t = event.timestamp?.getTime() ?? 0;
    if (/^Execution(Succeeded|Failed|Aborted|TimedOut)$/.test(event.type ?? '') && open) {
      open.end = t;
      open = undefined;
    }
    const entered = event.stateEnteredEventDetails;
    if (!entered?.name || loopStates.has(entered.name)) continue;
    const kind = kindOfState[entered.name];
    const input = parseObject(entered.input);
    if (open && kind === open.kind) {
      open.until = untilOf(kind, input) ?? open.until;
      continue;
    }
    if (open) open.end = t;
    open = undefined;
    if (kind === undefined) continue;
    const batch = objectAt(input, 'batch').index;
    open = {
      kind,
      start: t,
      end: undefined,
      until: untilOf(kind, input),
      batch: typeof batch === 'number' ? batch : undefined,
    };
    spans.push(open);
  }
  return spans;
}
