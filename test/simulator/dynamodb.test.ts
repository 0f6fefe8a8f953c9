import { describe, expect, it } from 'vitest';
import { DynamoDb } from '../../simulator/world/dynamodb.ts';

const table = 'locks';
const context = (values: Record<string, string | number>, names?: Record<string, string>) => ({
  names,
  values: Object.fromEntries(
    Object.entries(values).map(([key, value]) => [
      key,
      typeof value === 'number' ? { N: String(value) } : { S: value },
    ]),
  ),
});
const lease = (holder: string, expiresAt: number) => ({
  groupId: { S: 'g' },
  holder: { S: holder },
  expiresAt: { N: String(expiresAt) },
});
const takeIfFree = 'attribute_not_exists(groupId) OR #e < :now';

describe('the simulated DynamoDB', () => {
  it('lets one of two conditional puts win, and a live item refuse the second', () => {
    const db = new DynamoDb();
    db.createTable(table, 'groupId');
    db.put(table, lease('a', 100), takeIfFree, context({ ':now': 50 }, { '#e': 'expiresAt' }));
    expect(() =>
      db.put(table, lease('b', 100), takeIfFree, context({ ':now': 50 }, { '#e': 'expiresAt' })),
    ).toThrow(expect.objectContaining({ name: 'ConditionalCheckFailedException' }));
    expect(db.get(table, { groupId: { S: 'g' } })?.holder).toEqual({ S: 'a' });
    // Expired: numbers compare as numbers (100 < 150), so the next holder takes it.
    db.put(table, lease('b', 200), takeIfFree, context({ ':now': 150 }, { '#e': 'expiresAt' }));
    expect(db.get(table, { groupId: { S: 'g' } })?.holder).toEqual({ S: 'b' });
  });

  it('updates and deletes only while the condition holds (IN, =)', () => {
    const db = new DynamoDb();
    db.createTable(table, 'groupId');
    db.put(table, lease('a', 100), undefined, context({}));
    const update = (holder: string, from: string) =>
      db.update(
        table,
        { groupId: { S: 'g' } },
        'SET #h = :h, expiresAt = :e',
        '#h IN (:h, :from)',
        context({ ':h': holder, ':from': from, ':e': 300 }, { '#h': 'holder' }),
      );
    expect(() => update('c', 'b')).toThrow(
      expect.objectContaining({ name: 'ConditionalCheckFailedException' }),
    );
    update('b', 'a');
    expect(db.get(table, { groupId: { S: 'g' } })).toEqual(lease('b', 300));
    expect(() => db.delete(table, { groupId: { S: 'g' } }, 'holder = :h', context({ ':h': 'a' }))).toThrow(
      expect.objectContaining({ name: 'ConditionalCheckFailedException' }),
    );
    db.delete(table, { groupId: { S: 'g' } }, 'holder = :h', context({ ':h': 'b' }));
    expect(db.get(table, { groupId: { S: 'g' } })).toBeUndefined();
  });

  it('removes attributes and hands back the item as it was (REMOVE, ALL_OLD)', () => {
    const db = new DynamoDb();
    db.createTable(table, 'groupId');
    db.put(table, { ...lease('a', 100), pausedAt: { N: '5' } }, undefined, context({}));
    const resume = () =>
      db.update(
        table,
        { groupId: { S: 'g' } },
        'REMOVE pausedAt SET expiresAt = :e',
        'attribute_exists(pausedAt)',
        context({ ':e': 300 }),
      );
    expect(resume()).toEqual({ ...lease('a', 100), pausedAt: { N: '5' } });
    expect(db.get(table, { groupId: { S: 'g' } })).toEqual(lease('a', 300));
    expect(resume).toThrow(expect.objectContaining({ name: 'ConditionalCheckFailedException' }));
    expect(() =>
      db.update(
        table,
        { groupId: { S: 'g' } },
        'SET a = :e REMOVE b SET c = :e',
        undefined,
        context({ ':e': 1 }),
      ),
    ).toThrow('can only be used once');
    expect(() =>
      db.update(table, { groupId: { S: 'g' } }, 'ADD n :e', undefined, context({ ':e': 1 })),
    ).toThrow('The simulator does not model');
  });

  it('refuses, as DynamoDB does, values given but not used, an unknown table, and expressions it does not model', () => {
    const db = new DynamoDb();
    db.createTable(table, 'groupId');
    expect(() => db.put(table, lease('a', 1), 'attribute_not_exists(groupId)', context({ ':x': 1 }))).toThrow(
      'Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}',
    );
    expect(() => db.get('other', { groupId: { S: 'g' } })).toThrow(
      expect.objectContaining({ name: 'ResourceNotFoundException' }),
    );
    expect(() => db.put(table, lease('a', 1), 'begins_with(holder, :p)', context({ ':p': 'a' }))).toThrow(
      'The simulator does not model',
    );
  });
});
