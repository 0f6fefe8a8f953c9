type Requirement = (labels: Record<string, string>) => boolean;

/**
 * A label selector as the API server reads it: `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`,
 * `a notin (x,y)`, comma-separated (all must hold). A malformed selector is an error (400).
 */
export function parseLabelSelector(selector: string | undefined): Requirement {
  const requirements = splitTopLevel(selector ?? '').map(parseRequirement);
  return (labels) => requirements.every((requirement) => requirement(labels));
}

function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of selector) {
    if (char === '(') depth++;
    if (char === ')') depth--;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter((part) => part !== '');
}

function parseRequirement(text: string): Requirement {
  const set = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(text);
  if (set !== null) {
    const [, key = '', operator, list = ''] = set;
    const values = list.split(',').map((value) => value.trim());
    return operator === 'in'
      ? (labels) => values.includes(labels[key] ?? '\u0000')
      : (labels) => !values.includes(labels[key] ?? '\u0000');
  }
  const comparison = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(text);
  if (comparison !== null) {
    const [, key = '', operator, value = ''] = comparison;
    return operator === '!=' ? (labels) => labels[key] !== value : (labels) => labels[key] === value;
  }
  const existence = /^(!?)([\w./-]+)$/.exec(text);
  if (existence !== null) {
    const [, negated, key = ''] = existence;
    return negated === '!' ? (labels) => !(key in labels) : (labels) => key in labels;
  }
  throw new Error(`unable to parse requirement: ${text} (400 Bad Request)`);
}

/** The pod fields the API server lets a field selector name (a subset: the ones a drain uses). */
const podFields = ['spec.nodeName', 'metadata.name', 'metadata.namespace', 'status.phase'] as const;
type PodFields = Record<(typeof podFields)[number], string>;

const isPodField = (field: string): field is keyof PodFields =>
  (podFields as readonly string[]).includes(field);

/** A pod field selector (`spec.nodeName=x,status.phase!=Running`); an unsupported field is an error (400). */
export function parsePodFieldSelector(selector: string | undefined): (fields: PodFields) => boolean {
  const requirements = splitTopLevel(selector ?? '').map((text) => {
    const [, field = text, operator, value = ''] = /^([\w.]+)\s*(==|=|!=)\s*(.*)$/.exec(text) ?? [];
    if (operator === undefined || !isPodField(field)) {
      throw new Error(`field label not supported: ${field} (400 Bad Request)`);
    }
    return (fields: PodFields) => (operator === '!=' ? fields[field] !== value : fields[field] === value);
  });
  return (fields) => requirements.every((requirement) => requirement(fields));
}
