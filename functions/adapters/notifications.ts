import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';

export interface Notification {
  subject: string;
  body: string;
  attributes: Record<string, string>;
}

/** SNS subjects are limited to 100 printable ASCII characters. */
const toSubject = (subject: string) => subject.replace(/[^\x20-\x7e]/g, '-').slice(0, 100);

export async function publish(sns: SNSClient, topicArn: string, notification: Notification): Promise<void> {
  await sns.send(
    new PublishCommand({
      TopicArn: topicArn,
      Subject: toSubject(notification.subject),
      Message: notification.body,
      MessageAttributes: Object.fromEntries(
        Object.entries(notification.attributes).map(([key, value]) => [
          key,
          { DataType: 'String', StringValue: value },
        ]),
      ),
    }),
  );
}
