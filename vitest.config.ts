import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Handlers run outside Lambda in tests: keep Powertools quiet and local.
    env: {
      AWS_REGION: 'us-east-1',
      NOTIFICATION_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:eks-windows-patcher-test',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
    },
    // The packaging test bundles every function with esbuild before its first assertion.
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
