/** Deployment configuration, read once at cold start; a missing value fails loudly. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(
      `Environment variable ${name} is not set: set it in serverless.yml (provider.environment).`,
    );
  }
  return value;
}
