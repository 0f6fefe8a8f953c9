import type {
  PutEventsCommandInput,
  PutEventsCommandOutput,
  PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import { AwsApiError } from '../world/errors.ts';
import type { World } from '../world.ts';
import { type Answer, modelledParameters } from './operations.ts';

/** At most 10 entries a request; each 256 KB. https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html */
const maxEntries = 10;
const maxEntryBytes = 262_144;

/** The default event bus's PutEvents: validated as EventBridge does, recorded for the report. */
export function eventBridgeOperations(world: World) {
  return {
    PutEvents(input: PutEventsCommandInput): Answer<PutEventsCommandOutput> {
      modelledParameters('events:PutEvents', input, ['Entries']);
      const entries = input.Entries ?? [];
      if (entries.length === 0 || entries.length > maxEntries) {
        throw new AwsApiError(
          'ValidationException',
          `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length between 1 and ${maxEntries}`,
        );
      }
      // A bad entry fails alone (ErrorCode on its result entry); the request still answers 200.
      // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevents.html
      const results = entries.map((entry): PutEventsResultEntry => {
        modelledParameters('events:PutEvents entry', entry, ['Source', 'DetailType', 'Detail', 'Resources']);
        const { Source: source, DetailType: detailType, Detail: detail } = entry;
        if (!source || !detailType || detail === undefined)
          return {
            ErrorCode: 'InvalidArgument',
            ErrorMessage: 'Parameter(s) Source, DetailType or Detail is missing.',
          };
        let parsed: unknown;
        try {
          parsed = JSON.parse(detail);
        } catch {
          parsed = undefined;
        }
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
        if (Buffer.byteLength(JSON.stringify(entry)) > maxEntryBytes)
          return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Event size exceeded 262144 bytes.' };
        const id = world.ids.uuid();
        const at = world.timeline.elapsedSeconds();
        world.busEvents.push({
          t: at,
          id,
          source,
          detailType,
          resources: entry.Resources ?? [],
          detail: parsed as Record<string, unknown>,
        });
        world.timeline.record('EventPublished', {
          detailType,
          eventId: (parsed as { eventId?: unknown }).eventId,
        });
        return { EventId: id };
      });
      return { FailedEntryCount: results.filter((r) => r.ErrorCode).length, Entries: results };
    },
  };
}
