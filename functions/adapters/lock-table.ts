import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { GroupBefore, Lease } from '../domain/lock.ts';

/**
 * The lock table: one item per node group, keyed by the group's ARN. Every write is conditional, so
 * DynamoDB decides between two executions that try at the same moment; reads are strongly consistent.
 */
const names = { '#holder': 'holder', '#expiresAt': 'expiresAt' };

const isConditionFailure = (error: unknown) => (error as Error).name === 'ConditionalCheckFailedException';

const keyOf = (groupId: string) => ({ groupId: { S: groupId } });
const seconds = (epochMs: number) => ({ N: String(Math.floor(epochMs / 1000)) });

function leaseOf(item: Record<string, AttributeValue>): Lease {
  return {
    groupId: item.groupId?.S ?? '',
    holder: item.holder?.S ?? '',
    holderName: item.holderName?.S ?? '',
    acquiredAt: Number(item.acquiredAt?.N ?? 0),
    // Stored in epoch seconds, the unit DynamoDB's TTL reads.
    expiresAt: Number(item.expiresAt?.N ?? 0) * 1000,
    before: JSON.parse(item.before?.S ?? 'null') as GroupBefore,
  };
}

/** Writes a new lease unless a live one exists (none, or expired). Returns false when another holds it. */
export async function putLease(
  dynamoDb: DynamoDBClient,
  table: string,
  lease: Lease,
  now: number,
): Promise<boolean> {
  try {
    await dynamoDb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          ...keyOf(lease.groupId),
          holder: { S: lease.holder },
          holderName: { S: lease.holderName },
          acquiredAt: { N: String(lease.acquiredAt) },
          expiresAt: seconds(lease.expiresAt),
          before: { S: JSON.stringify(lease.before) },
        },
        ConditionExpression: 'attribute_not_exists(groupId) OR #expiresAt < :now',
        ExpressionAttributeNames: { '#expiresAt': names['#expiresAt'] },
        ExpressionAttributeValues: { ':now': seconds(now) },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * Extends the lease held by `holder`, or by `from` (the execution this one continues: the lease is
 * handed over with the group's state from before the rollout). Returns false when neither holds it.
 */
export async function extendLease(
  dynamoDb: DynamoDBClient,
  table: string,
  lease: { groupId: string; holder: string; holderName: string; expiresAt: number },
  from: string,
): Promise<boolean> {
  try {
    await dynamoDb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: keyOf(lease.groupId),
        UpdateExpression: 'SET #holder = :holder, holderName = :holderName, #expiresAt = :expiresAt',
        ConditionExpression: '#holder IN (:holder, :from)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: {
          ':holder': { S: lease.holder },
          ':holderName': { S: lease.holderName },
          ':expiresAt': seconds(lease.expiresAt),
          ':from': { S: from },
        },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

export async function readLease(
  dynamoDb: DynamoDBClient,
  table: string,
  groupId: string,
): Promise<Lease | undefined> {
  const { Item } = await dynamoDb.send(
    new GetItemCommand({ TableName: table, Key: keyOf(groupId), ConsistentRead: true }),
  );
  return Item === undefined ? undefined : leaseOf(Item);
}

/** Deletes the lease if `holder` still holds it; a lease already released or taken over is left alone. */
export async function releaseLease(
  dynamoDb: DynamoDBClient,
  table: string,
  groupId: string,
  holder: string,
): Promise<boolean> {
  try {
    await dynamoDb.send(
      new DeleteItemCommand({
        TableName: table,
        Key: keyOf(groupId),
        ConditionExpression: '#holder = :holder',
        ExpressionAttributeNames: { '#holder': names['#holder'] },
        ExpressionAttributeValues: { ':holder': { S: holder } },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}
