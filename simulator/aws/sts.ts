import type { GetCallerIdentityCommandInput, GetCallerIdentityCommandOutput } from '@aws-sdk/client-sts';
import { account } from '../world/catalog.ts';
import { type Answer, modelledParameters, type Operations } from './operations.ts';

export function stsOperations(): Operations {
  return {
    GetCallerIdentity(input: GetCallerIdentityCommandInput): Answer<GetCallerIdentityCommandOutput> {
      modelledParameters('sts:GetCallerIdentity', input, []);
      return {
        UserId: 'AROAYSIMULATEDROLE0001:eks-windows-patcher',
        Account: account,
        Arn: `arn:aws:sts::${account}:assumed-role/eks-windows-patcher-lambda/eks-windows-patcher`,
      };
    },
  };
}
