import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    // Handlers run outside Lambda in tests: keep Powertools quiet and local.
    env: {
      AWS_REGION: 'us-east-1',
      NOTIFICATION_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:eks-windows-patcher-test',
      LOCK_TABLE_NAME: 'eks-windows-patcher-test-locks',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
    },
    // The packaging test bundles every function (17 now) with esbuild before its first assertion:
    // about 3 minutes on a 2-core machine, more while other work runs beside it.
    testTimeout: 120_000,
    hookTimeout: 600_000,
  },
});
