import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

const serviceName = 'eks-windows-patcher';

export const logger = new Logger({ serviceName });
export const metrics = new Metrics({ serviceName, namespace: 'EksWindowsPatcher' });
