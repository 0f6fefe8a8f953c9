import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

const serviceName = 'eks-windows-patcher';

export const logger = new Logger({ serviceName });
// Metrics' own warnings (e.g. a drain round with no metric to publish) go through the logger, at its level,
// instead of straight to the console.
export const metrics = new Metrics({ serviceName, namespace: 'EksWindowsPatcher', logger });
