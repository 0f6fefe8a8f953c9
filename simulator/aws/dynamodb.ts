import type {
  DeleteItemCommandInput,
  DeleteItemCommandOutput,
  GetItemCommandInput,
  GetItemCommandOutput,
  PutItemCommandInput,
  PutItemCommandOutput,
  UpdateItemCommandInput,
  UpdateItemCommandOutput,
} from '@aws-sdk/client-dynamodb';
import { SimulatorGap } from '../world/errors.ts';
import type { World } from '../world.ts';
import { type Answer, modelledParameters, type Operations } from './operations.ts';

const expressionParameters = ['ConditionExpression', 'ExpressionAttributeNames', 'ExpressionAttributeValues'];
const contextOf = (input: {
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: GetItemCommandInput['Key'];
}) => ({ names: input.ExpressionAttributeNames, values: input.ExpressionAttributeValues });

/** DynamoDB item calls on the world's tables (the rollout lock). */
export function dynamoDbOperations(world: World): Operations {
  return {
    GetItem(input: GetItemCommandInput): Answer<GetItemCommandOutput> {
      modelledParameters('dynamodb:GetItem', input, ['TableName', 'Key', 'ConsistentRead']);
      // An eventually consistent read may miss a write of the last second: not modelled, so refused.
      if (input.ConsistentRead !== true) throw new SimulatorGap('dynamodb:GetItem without ConsistentRead');
      const item = world.dynamoDb.get(input.TableName, input.Key);
      return item === undefined ? {} : { Item: item };
    },

    PutItem(input: PutItemCommandInput): Answer<PutItemCommandOutput> {
      modelledParameters('dynamodb:PutItem', input, ['TableName', 'Item', ...expressionParameters]);
      world.dynamoDb.put(input.TableName, input.Item, input.ConditionExpression, contextOf(input));
      return {};
    },

    UpdateItem(input: UpdateItemCommandInput): Answer<UpdateItemCommandOutput> {
      modelledParameters('dynamodb:UpdateItem', input, [
        'TableName',
        'Key',
        'UpdateExpression',
        'ReturnValues',
        ...expressionParameters,
      ]);
      // Only the item as it was is modelled: https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html#DDB-UpdateItem-request-ReturnValues
      const returnValues = input.ReturnValues ?? 'NONE';
      if (returnValues !== 'NONE' && returnValues !== 'ALL_OLD')
        throw new SimulatorGap(`dynamodb:UpdateItem with ReturnValues ${returnValues}`);
      const before = world.dynamoDb.update(
        input.TableName,
        input.Key,
        input.UpdateExpression,
        input.ConditionExpression,
        contextOf(input),
      );
      return returnValues === 'ALL_OLD' && before !== undefined ? { Attributes: before } : {};
    },

    DeleteItem(input: DeleteItemCommandInput): Answer<DeleteItemCommandOutput> {
      modelledParameters('dynamodb:DeleteItem', input, ['TableName', 'Key', ...expressionParameters]);
      world.dynamoDb.delete(input.TableName, input.Key, input.ConditionExpression, contextOf(input));
      return {};
    },
  };
}
