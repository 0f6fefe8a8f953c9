import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { logger } from '../commons/powertools.ts';
import { eventSource, type RolloutEvent } from '../domain/events.ts';

/**
 * Puts rollout events on the account's default bus (no EventBusName). Best effort: the events tell
 * people and tools how a rollout goes, they never steer it, so a failure is logged and the rollout
 * goes on. A repeat (a retried step) carries the same `detail.eventId`.
 */
export async function putRolloutEvents(
  eventBridge: EventBridgeClient,
  events: RolloutEvent[],
): Promise<void> {
  if (events.length === 0) return;
  try {
    const result = await eventBridge.send(
      new PutEventsCommand({
        Entries: events.map((event) => ({
          Source: eventSource,
          DetailType: event.detailType,
          Resources: [event.resource],
          Detail: JSON.stringify(event.detail),
        })),
      }),
    );
    // PutEvents answers 200 even when entries fail; each failed entry says why.
    // https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
    const failed = (result.Entries ?? []).flatMap((entry, index) =>
      entry.ErrorCode ? [`${events[index]?.detailType}: ${entry.ErrorCode} ${entry.ErrorMessage ?? ''}`] : [],
    );
    if ((result.FailedEntryCount ?? 0) > 0) logger.warn('Rollout events not published', { failed });
  } catch (error) {
    logger.warn('Rollout events not published', {
      detailTypes: events.map((event) => event.detailType),
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
  }
}
