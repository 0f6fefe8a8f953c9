/** A JSON object from history text (state input or output); {} for anything else. */
export function parseObject(text: string | undefined): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text ?? '');
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** The object under `key`, or {} when it is none. */
export const objectAt = (value: Record<string, unknown>, key: string): Record<string, unknown> => {
  const child = value[key];
  return child !== null && typeof child === 'object' && !Array.isArray(child)
    ? (child as Record<string, unknown>)
    : {};
};
