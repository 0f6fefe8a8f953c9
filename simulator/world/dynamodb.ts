import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { AwsApiError, SimulatorGap } from './errors.ts';

export type Item = Record<string, AttributeValue>;

/** The names and values an expression refers to (`#name`, `:value`), as the request gives them. */
export interface ExpressionContext {
  names: Record<string, string> | undefined;
  values: Record<string, AttributeValue> | undefined;
}

interface Table {
  partitionKey: string;
  items: Map<string, Item>;
}

const validation = (message: string) => new AwsApiError('ValidationException', message);

// Keywords are case-insensitive; operands are #names, :values or plain attribute names.
const tokenPattern =
  /\s*(attribute_not_exists|attribute_exists|<>|<=|>=|[=<>(),]|[#:]?[A-Za-z_][A-Za-z0-9_]*)/iy;

function tokenize(expression: string): string[] {
  const tokens: string[] = [];
  tokenPattern.lastIndex = 0;
  while (tokenPattern.lastIndex < expression.trimEnd().length) {
    const match = tokenPattern.exec(expression);
    if (match === null)
      throw validation(`Invalid expression: syntax error at ${expression.slice(tokenPattern.lastIndex)}`);
    tokens.push(match[1] ?? '');
  }
  return tokens;
}

type Operand = { path: string } | { value: AttributeValue };
interface Update {
  assignments: [string, Operand][];
  removals: string[];
}
type Condition =
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  | { kind: 'not'; operand: Condition }
  | { kind: 'exists'; path: string; exists: boolean }
  | { kind: 'compare'; operator: string; left: Operand; right: Operand }
  | { kind: 'in'; operand: Operand; list: Operand[] };

/**
 * A parser for the subset of DynamoDB expressions the lock uses: comparisons, IN, AND/OR/NOT,
 * attribute_exists/attribute_not_exists, `SET a = :v, ...` and `REMOVE a, ...`. Anything else is a
 * SimulatorGap.
 * Like DynamoDB, a name or value given but not used is a ValidationException.
 */
class Parser {
  private position = 0;
  readonly usedNames = new Set<string>();
  readonly usedValues = new Set<string>();

  constructor(
    private readonly tokens: string[],
    private readonly context: ExpressionContext,
  ) {}

  condition(): Condition {
    let left = this.conjunction();
    while (this.accept('OR')) left = { kind: 'or', left, right: this.conjunction() };
    return left;
  }

  /** `SET a = :v, ...` and `REMOVE b, ...`, each clause at most once, in either order. */
  update(): Update {
    const update: Update = { assignments: [], removals: [] };
    const seen = new Set<string>();
    while (this.position < this.tokens.length) {
      const clause = this.peek().toUpperCase();
      if (clause !== 'SET' && clause !== 'REMOVE')
        throw new SimulatorGap(`dynamodb update expressions with "${this.peek()}"`);
      if (seen.has(clause))
        throw validation(
          `Invalid UpdateExpression: The "${clause}" section can only be used once in an update expression;`,
        );
      seen.add(clause);
      this.position++;
      do {
        const path = this.path();
        if (clause === 'REMOVE') update.removals.push(path);
        else {
          this.expect('=');
          update.assignments.push([path, this.operand()]);
        }
      } while (this.accept(','));
    }
    return update;
  }

  end(): void {
    const rest = this.tokens[this.position];
    if (rest !== undefined) throw new SimulatorGap(`dynamodb expressions with "${rest}"`);
  }

  private conjunction(): Condition {
    let left = this.unary();
    while (this.accept('AND')) left = { kind: 'and', left, right: this.unary() };
    return left;
  }

  private unary(): Condition {
    if (this.accept('NOT')) return { kind: 'not', operand: this.unary() };
    if (this.accept('(')) {
      const inner = this.condition();
      this.expect(')');
      return inner;
    }
    const word = this.peek().toLowerCase();
    if (word === 'attribute_exists' || word === 'attribute_not_exists') {
      this.position++;
      this.expect('(');
      const path = this.path();
      this.expect(')');
      return { kind: 'exists', path, exists: word === 'attribute_exists' };
    }
    const left = this.operand();
    if (this.accept('IN')) {
      this.expect('(');
      const list = [this.operand()];
      while (this.accept(',')) list.push(this.operand());
      this.expect(')');
      return { kind: 'in', operand: left, list };
    }
    const operator = this.peek();
    if (!['=', '<>', '<', '<=', '>', '>='].includes(operator))
      throw new SimulatorGap(`dynamodb expressions with "${operator}"`);
    this.position++;
    return { kind: 'compare', operator, left, right: this.operand() };
  }

  private operand(): Operand {
    const token = this.peek();
    if (!token.startsWith(':')) return { path: this.path() };
    this.position++;
    const value = this.context.values?.[token];
    if (value === undefined)
      throw validation(
        `Invalid expression: An expression attribute value used in expression is not defined; attribute value: ${token}`,
      );
    this.usedValues.add(token);
    return { value };
  }

  private path(): string {
    const token = this.peek();
    this.position++;
    if (!token.startsWith('#')) {
      if (!/^[A-Za-z_]/.test(token)) throw validation(`Invalid expression: syntax error near ${token}`);
      return token;
    }
    const name = this.context.names?.[token];
    if (name === undefined)
      throw validation(
        `Invalid expression: An expression attribute name used in the document path is not defined; attribute name: ${token}`,
      );
    this.usedNames.add(token);
    return name;
  }

  private peek(): string {
    return this.tokens[this.position] ?? '';
  }

  private accept(token: string): boolean {
    if (this.peek().toUpperCase() !== token) return false;
    this.position++;
    return true;
  }

  private expect(token: string): void {
    if (!this.accept(token))
      throw validation(`Invalid expression: expected ${token} near ${this.peek() || 'the end'}`);
  }
}

function scalar(value: AttributeValue | undefined): { type: 'S' | 'N'; value: string } | undefined {
  if (value?.S !== undefined) return { type: 'S', value: value.S };
  if (value?.N !== undefined) return { type: 'N', value: value.N };
  return undefined;
}

/** DynamoDB's comparison: operands of different types (or missing) compare false. */
function compare(
  operator: string,
  left: AttributeValue | undefined,
  right: AttributeValue | undefined,
): boolean {
  const a = scalar(left);
  const b = scalar(right);
  if (a === undefined || b === undefined || a.type !== b.type) return false;
  const order =
    a.type === 'N'
      ? Math.sign(Number(a.value) - Number(b.value))
      : a.value < b.value
        ? -1
        : a.value > b.value
          ? 1
          : 0;
  switch (operator) {
    case '=':
      return order === 0;
    case '<>':
      return order !== 0;
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    default:
      return order >= 0;
  }
}

function evaluate(condition: Condition, item: Item | undefined): boolean {
  const operandValue = (operand: Operand) => ('path' in operand ? item?.[operand.path] : operand.value);
  switch (condition.kind) {
    case 'and':
      return evaluate(condition.left, item) && evaluate(condition.right, item);
    case 'or':
      return evaluate(condition.left, item) || evaluate(condition.right, item);
    case 'not':
      return !evaluate(condition.operand, item);
    case 'exists':
      return (item?.[condition.path] !== undefined) === condition.exists;
    case 'compare':
      return compare(condition.operator, operandValue(condition.left), operandValue(condition.right));
    case 'in':
      return condition.list.some((entry) =>
        compare('=', operandValue(condition.operand), operandValue(entry)),
      );
  }
}

/** Both expressions of a request parsed together, so unused names and values are found as DynamoDB does. */
function parse(
  expressions: { condition: string | undefined; update: string | undefined },
  context: ExpressionContext,
): { condition: Condition | undefined; update: Update } {
  const used = { names: new Set<string>(), values: new Set<string>() };
  const run = <T>(text: string, read: (parser: Parser) => T): T => {
    const parser = new Parser(tokenize(text), context);
    const result = read(parser);
    parser.end();
    for (const name of parser.usedNames) used.names.add(name);
    for (const value of parser.usedValues) used.values.add(value);
    return result;
  };
  const condition =
    expressions.condition === undefined ? undefined : run(expressions.condition, (p) => p.condition());
  const update =
    expressions.update === undefined
      ? { assignments: [], removals: [] }
      : run(expressions.update, (p) => p.update());
  const unusedValues = Object.keys(context.values ?? {}).filter((key) => !used.values.has(key));
  if (unusedValues.length > 0)
    throw validation(
      `Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`,
    );
  const unusedNames = Object.keys(context.names ?? {}).filter((key) => !used.names.has(key));
  if (unusedNames.length > 0)
    throw validation(
      `Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`,
    );
  return { condition, update };
}

const conditionFailed = () =>
  new AwsApiError('ConditionalCheckFailedException', 'The conditional request failed');

/**
 * DynamoDB tables of the account: single-item writes are atomic and their condition is checked
 * against the item as it is at that moment (a failed check changes nothing). Only strongly
 * consistent reads are modelled.
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html
 */
export class DynamoDb {
  private readonly tables = new Map<string, Table>();

  createTable(name: string, partitionKey: string): void {
    this.tables.set(name, { partitionKey, items: new Map() });
  }

  get(tableName: string | undefined, key: Item | undefined): Item | undefined {
    const { table, id } = this.locate(tableName, key);
    const item = table.items.get(id);
    return item === undefined ? undefined : structuredClone(item);
  }

  put(
    tableName: string | undefined,
    item: Item | undefined,
    condition: string | undefined,
    context: ExpressionContext,
  ): void {
    const { table, id } = this.locate(tableName, item);
    const { condition: parsed } = parse({ condition, update: undefined }, context);
    if (parsed !== undefined && !evaluate(parsed, table.items.get(id))) throw conditionFailed();
    table.items.set(id, structuredClone(item ?? {}));
  }

  /** Returns the item as it was before the update (ReturnValues ALL_OLD), undefined when there was none. */
  update(
    tableName: string | undefined,
    key: Item | undefined,
    update: string | undefined,
    condition: string | undefined,
    context: ExpressionContext,
  ): Item | undefined {
    const { table, id } = this.locate(tableName, key);
    const parsed = parse({ condition, update }, context);
    const current = table.items.get(id);
    if (parsed.condition !== undefined && !evaluate(parsed.condition, current)) throw conditionFailed();
    const next: Item = { ...structuredClone(current ?? {}), ...structuredClone(key ?? {}) };
    for (const path of parsed.update.removals) {
      if (path === table.partitionKey)
        throw validation(`Cannot update attribute ${path}. This attribute is part of the key`);
      delete next[path];
    }
    for (const [path, operand] of parsed.update.assignments) {
      if (path === table.partitionKey)
        throw validation(`Cannot update attribute ${path}. This attribute is part of the key`);
      const value = 'path' in operand ? current?.[operand.path] : operand.value;
      if (value === undefined)
        throw validation('The provided expression refers to an attribute that does not exist in the item');
      next[path] = structuredClone(value);
    }
    table.items.set(id, next);
    return current === undefined ? undefined : structuredClone(current);
  }

  delete(
    tableName: string | undefined,
    key: Item | undefined,
    condition: string | undefined,
    context: ExpressionContext,
  ): void {
    const { table, id } = this.locate(tableName, key);
    const { condition: parsed } = parse({ condition, update: undefined }, context);
    if (parsed !== undefined && !evaluate(parsed, table.items.get(id))) throw conditionFailed();
    table.items.delete(id);
  }

  private locate(tableName: string | undefined, item: Item | undefined): { table: Table; id: string } {
    const table = this.tables.get(tableName ?? '');
    if (table === undefined)
      throw new AwsApiError('ResourceNotFoundException', 'Requested resource not found', 400);
    const key = item?.[table.partitionKey]?.S;
    if (key === undefined)
      throw validation(
        `One or more parameter values were invalid: Missing the key ${table.partitionKey} in the item`,
      );
    return { table, id: key };
  }
}
