import {
  type AttributeValue,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { GroupBefore, Lease } from '../domain/lock.ts';
import type { Pause } from '../domain/pause.ts';

/**
 * The lock table: one item per node group, keyed by the group's ARN. Every write is conditional, so
 * DynamoDB decides between two executions that try at the same moment; reads are strongly consistent.
 */
const names = { '#holder': 'holder', '#expiresAt': 'expiresAt' };

/** Runs a conditional write: its result, or undefined when the condition did not hold (nothing changed). */
async function ifConditionHolds<T>(write: Promise<T>): Promise<T | undefined> {
  try {
    return await write;
  } catch (error) {
    if ((error as Error).name === 'ConditionalCheckFailedException') return undefined;
    throw error;
  }
}

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
    pause:
      item.pausedAt?.N === undefined
        ? null
        : { at: Number(item.pausedAt.N), by: item.pausedBy?.S ?? '', reason: item.pauseReason?.S ?? '' },
    slowestBatchSeconds:
      item.slowestBatchSeconds?.N === undefined ? null : Number(item.slowestBatchSeconds.N),
  };
}

/** Writes a new lease unless a live one exists (none, or expired). Returns false when another holds it. */
export async function putLease(
  dynamoDb: DynamoDBClient,
  table: string,
  lease: Omit<Lease, 'pause' | 'slowestBatchSeconds'>,
  now: number,
): Promise<boolean> {
  const written = await ifConditionHolds(
    dynamoDb.send(
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
    ),
  );
  return written !== undefined;
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
  const written = await ifConditionHolds(
    dynamoDb.send(
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
    ),
  );
  return written !== undefined;
}

/**
 * Keeps how long a batch of `holder`'s rollout took, if it is the slowest so far (the maintenance
 * window must hold the next batch). Safe to repeat; nothing is written for a holder that lost the lock.
 */
export async function recordBatchSeconds(
  dynamoDb: DynamoDBClient,
  table: string,
  groupId: string,
  holder: string,
  batchSeconds: number,
): Promise<void> {
  await ifConditionHolds(
    dynamoDb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: keyOf(groupId),
        UpdateExpression: 'SET slowestBatchSeconds = :seconds',
        ConditionExpression:
          '#holder = :holder AND (attribute_not_exists(slowestBatchSeconds) OR slowestBatchSeconds < :seconds)',
        ExpressionAttributeNames: { '#holder': names['#holder'] },
        ExpressionAttributeValues: { ':holder': { S: holder }, ':seconds': { N: String(batchSeconds) } },
      }),
    ),
  );
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
  const written = await ifConditionHolds(
    dynamoDb.send(
      new DeleteItemCommand({
        TableName: table,
        Key: keyOf(groupId),
        ConditionExpression: '#holder = :holder',
        ExpressionAttributeNames: { '#holder': names['#holder'] },
        ExpressionAttributeValues: { ':holder': { S: holder } },
      }),
    ),
  );
  return written !== undefined;
}

/**
 * Pauses the rollout of the execution that holds the lock: its next batch boundary waits for a
 * resume. Returns false when `holder` does not hold the lock or it is already paused.
 */
export async function pauseLease(
  dynamoDb: DynamoDBClient,
  table: string,
  groupId: string,
  holder: string,
  pause: Pause,
): Promise<boolean> {
  const written = await ifConditionHolds(
    dynamoDb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: keyOf(groupId),
        UpdateExpression: 'SET pausedAt = :at, pausedBy = :by, pauseReason = :reason',
        ConditionExpression: '#holder = :holder AND attribute_not_exists(pausedAt)',
        ExpressionAttributeNames: { '#holder': names['#holder'] },
        ExpressionAttributeValues: {
          ':holder': { S: holder },
          ':at': { N: String(pause.at) },
          ':by': { S: pause.by },
          ':reason': { S: pause.reason },
        },
      }),
    ),
  );
  return written !== undefined;
}

/**
 * The paused holder waits: stores the task token a resume answers and extends the lease over the
 * wait. Returns false when the pause was lifted meanwhile (nobody would answer the token).
 */
export async function holdPause(
  dynamoDb: DynamoDBClient,
  table: string,
  lease: { groupId: string; holder: string; expiresAt: number },
  taskToken: string,
): Promise<boolean> {
  const written = await ifConditionHolds(
    dynamoDb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: keyOf(lease.groupId),
        UpdateExpression: 'SET pauseToken = :token, #expiresAt = :expiresAt',
        ConditionExpression: '#holder = :holder AND attribute_exists(pausedAt)',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: {
          ':holder': { S: lease.holder },
          ':token': { S: taskToken },
          ':expiresAt': seconds(lease.expiresAt),
        },
      }),
    ),
  );
  return written !== undefined;
}

/**
 * Lifts the pause of `holder`'s rollout. Returns the task token its execution waits on, if it waits
 * already (else it finds the pause gone when it looks); undefined when it was not paused.
 */
export async function resumeLease(
  dynamoDb: DynamoDBClient,
  table: string,
  groupId: string,
  holder: string,
): Promise<{ taskToken: string | undefined } | undefined> {
  const written = await ifConditionHolds(
    dynamoDb.send(
      new UpdateItemCommand({
        TableName: table,
        Key: keyOf(groupId),
        UpdateExpression: 'REMOVE pausedAt, pausedBy, pauseReason, pauseToken',
        ConditionExpression: '#holder = :holder AND attribute_exists(pausedAt)',
        ExpressionAttributeNames: { '#holder': names['#holder'] },
        ExpressionAttributeValues: { ':holder': { S: holder } },
        ReturnValues: 'ALL_OLD',
      }),
    ),
  );
  return written && { taskToken: written.Attributes?.pauseToken?.S };
}
