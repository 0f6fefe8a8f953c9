import type { PublishCommandInput, PublishCommandOutput } from '@aws-sdk/client-sns';
import { AwsApiError } from '../world/errors.ts';
import type { World } from '../world.ts';
import { type Answer, modelledParameters, type Operations } from './operations.ts';

/** SNS Publish to the deployment's topic: validated as SNS does, recorded for the report. */
export function snsOperations(world: World, topicArn: string): Operations {
  return {
    Publish(input: PublishCommandInput): Answer<PublishCommandOutput> {
      modelledParameters('sns:Publish', input, ['TopicArn', 'Subject', 'Message', 'MessageAttributes']);
      if (input.TopicArn !== topicArn) {
        throw new AwsApiError('NotFoundException', 'Topic does not exist', 404);
      }
      const { Subject: subject, Message: message = '' } = input;
      if (
        subject !== undefined &&
        (subject.length === 0 || subject.length > 100 || /[^\x20-\x7e]/.test(subject))
      ) {
        throw new AwsApiError('InvalidParameterException', 'Invalid parameter: Subject');
      }
      if (message.length === 0 || Buffer.byteLength(message) > 262_144) {
        throw new AwsApiError('InvalidParameterException', 'Invalid parameter: Message too long');
      }
      world.notifications.push({ t: world.timeline.elapsedSeconds(), topicArn, subject, message });
      world.timeline.record('NotificationPublished', { subject });
      return { MessageId: world.ids.uuid() };
    },
  };
}
