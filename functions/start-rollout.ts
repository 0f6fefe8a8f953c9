import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import {
  type DuplicateRollout,
  RolloutsNotStarted,
  type StartedPromotion,
  type StartedRollout,
  startExecutions,
  startPromotion,
} from './adapters/executions.ts';
import { getBuiltImage } from './adapters/imagebuilder.ts';
import { publish } from './adapters/notifications.ts';
import { findCandidates, kubernetesVersions, parameterValues } from './adapters/targets.ts';
import {
  autoScalingClient,
  eksClient,
  imageBuilderClient,
  sfnClient,
  snsClient,
  ssmClient,
} from './commons/clients.ts';
import { requireEnv } from './commons/config.ts';
import type { Dependencies } from './commons/dependencies.ts';
import { lambdaHandler } from './commons/handler.ts';
import { logger, metrics } from './commons/powertools.ts';
import {
  type Announcement,
  amiForRegionAndAccount,
  classifyCandidates,
  imageFailedAnnouncement,
  noAmiAnnouncement,
  nothingToRollReason,
  parseClusterNames,
  parseTrigger,
  planImageRollouts,
  planSsmRollouts,
  type RolloutPlan,
  type SkippedTarget,
  ssmParameterNames,
  type Trigger,
  targetTags,
} from './domain/targets.ts';
import {
  assignWaves,
  type PromotionInput,
  parseWaves,
  promotionName,
  type WaveConfig,
} from './domain/waves.ts';

export interface StartRolloutDependencies
  extends Pick<
    Dependencies,
    'imageBuilder' | 'autoScaling' | 'eks' | 'ssm' | 'sfn' | 'sns' | 'now' | 'notificationTopicArn'
  > {
  stateMachineArn: string;
  /** The clusters of this deployment (`CLUSTER_NAMES`). */
  clusterNames: readonly string[];
  /** The deployment parameter `waves` (`WAVES`): none = every rollout starts at once. */
  waves?: readonly WaveConfig[];
  /** The promotion state machine, which rolls the waves one after the other. */
  promotionStateMachineArn?: string;
}

export interface StartRolloutSummary {
  trigger: Trigger['kind'];
  /** Why no rollout was started at all, when none was. */
  reason?: string;
  started: StartedRollout[];
  duplicates: DuplicateRollout[];
  skipped: SkippedTarget[];
  /** With waves: the promotion that starts the rollouts, wave by wave. */
  promotion?: StartedPromotion;
}

const nothingStarted = (trigger: Trigger, reason: string): StartRolloutSummary => ({
  trigger: trigger.kind,
  reason,
  started: [],
  duplicates: [],
  skipped: [],
});

async function announce(deps: StartRolloutDependencies, trigger: Trigger, announcement: Announcement) {
  await publish(deps.sns, deps.notificationTopicArn, {
    ...announcement,
    attributes: { source: 'start-rollout', trigger: trigger.kind },
  });
}

/** With waves, one promotion execution starts the rollouts, wave by wave, instead of all at once. */
async function startWaves(
  deps: StartRolloutDependencies & { promotionStateMachineArn: string },
  trigger: Trigger,
  plan: RolloutPlan,
  skippedBefore: readonly SkippedTarget[],
  followed: string,
  waveConfigs: readonly WaveConfig[],
): Promise<StartRolloutSummary> {
  const { waves, skipped: inNoWave } = assignWaves(plan.launches, waveConfigs);
  const skipped = [...skippedBefore, ...plan.skipped, ...inNoWave];
  const summary: StartRolloutSummary = { trigger: trigger.kind, started: [], duplicates: [], skipped };
  if (waves.length === 0) {
    summary.reason = nothingToRollReason(deps.clusterNames, followed, skipped.length);
    return summary;
  }
  const input: PromotionInput = { rolls: followed, waves };
  summary.promotion = await startPromotion(
    deps.sfn,
    deps.promotionStateMachineArn,
    promotionName(waves),
    input,
  );
  logger.info('start-rollout summary', { ...summary });
  return summary;
}

async function startPlanned(
  deps: StartRolloutDependencies,
  trigger: Trigger,
  plan: RolloutPlan,
  skippedBefore: readonly SkippedTarget[],
  followed: string,
): Promise<StartRolloutSummary> {
  const waves = deps.waves ?? [];
  if (waves.length > 0 && deps.promotionStateMachineArn !== undefined) {
    const promotionStateMachineArn = deps.promotionStateMachineArn;
    return startWaves({ ...deps, promotionStateMachineArn }, trigger, plan, skippedBefore, followed, waves);
  }
  const skipped = [...skippedBefore, ...plan.skipped];
  const { started, duplicates, failed } = await startExecutions(
    deps.sfn,
    deps.stateMachineArn,
    plan.launches,
    deps.now,
  );
  const summary: StartRolloutSummary = { trigger: trigger.kind, started, duplicates, skipped };
  if (plan.launches.length === 0)
    summary.reason = nothingToRollReason(deps.clusterNames, followed, skipped.length);
  for (const duplicate of duplicates)
    logger.info('Duplicate delivery: rollout already started', { ...duplicate });
  logger.info('start-rollout summary', { ...summary });
  if (failed.length > 0) {
    const causes = failed.map(
      ({ executionName, error }) => `${executionName}: ${error.name}: ${error.message}`,
    );
    throw new RolloutsNotStarted(`Could not start ${failed.length} rollout(s): ${causes.join('; ')}`, {
      cause: failed.map(({ error }) => error),
    });
  }
  return summary;
}

async function startFromImage(
  deps: StartRolloutDependencies,
  trigger: Extract<Trigger, { kind: 'image-available' }>,
): Promise<StartRolloutSummary> {
  const image = await getBuiltImage(deps.imageBuilder, trigger.imageArn);
  if (image === undefined) return nothingStarted(trigger, `Image ${trigger.imageArn} no longer exists.`);
  const amiId = amiForRegionAndAccount(image.amis, trigger.region, trigger.account);
  if (amiId === undefined) {
    const announcement = noAmiAnnouncement(image, trigger.region, trigger.account);
    logger.error('Image has no AMI in this region and account', { imageArn: image.arn, amis: image.amis });
    await announce(deps, trigger, announcement);
    return nothingStarted(trigger, announcement.body);
  }
  const found = await findCandidates(deps, deps.clusterNames);
  const { targets, skipped } = classifyCandidates(found.candidates);
  const plan = planImageRollouts(targets, { name: image.name, amiId });
  return startPlanned(deps, trigger, plan, [...found.skipped, ...skipped], `image ${image.name} (${amiId})`);
}

async function startFromSsm(deps: StartRolloutDependencies, trigger: Trigger): Promise<StartRolloutSummary> {
  const found = await findCandidates(deps, deps.clusterNames);
  const { targets, skipped } = classifyCandidates(found.candidates);
  const clusters = [...new Set(targets.filter((t) => t.ssmVariant !== undefined).map((t) => t.clusterName))];
  const { versions, skipped: unknownClusters } = await kubernetesVersions(deps.eks, clusters);
  const latestAmis = await parameterValues(deps.ssm, ssmParameterNames(targets, versions));
  const plan = planSsmRollouts(targets, versions, latestAmis);
  const skippedBefore = [...found.skipped, ...unknownClusters, ...skipped];
  return startPlanned(
    deps,
    trigger,
    plan,
    skippedBefore,
    `the EKS-optimized AMI (tag ${targetTags.ssmVariant})`,
  );
}

/** Turns an EventBridge event into one execution per target node group; never throws for a bad event. */
export async function startRollouts(
  deps: StartRolloutDependencies,
  event: unknown,
): Promise<StartRolloutSummary> {
  const trigger = parseTrigger(event);
  switch (trigger.kind) {
    case 'malformed':
      logger.error('Malformed event: nothing started', { reason: trigger.reason, event });
      return nothingStarted(trigger, trigger.reason);
    case 'image-other-state': {
      const reason = `Image ${trigger.imageArn} is ${trigger.status}: only AVAILABLE images start rollouts.`;
      logger.info(reason);
      return nothingStarted(trigger, reason);
    }
    case 'image-failed': {
      const announcement = imageFailedAnnouncement(trigger.imageArn, trigger.status, trigger.reason);
      logger.warn('Image build did not succeed: nothing started', { ...trigger });
      await announce(deps, trigger, announcement);
      return nothingStarted(trigger, announcement.body);
    }
    case 'image-available':
      return startFromImage(deps, trigger);
    case 'ssm-latest':
      return startFromSsm(deps, trigger);
  }
}

// A malformed event is reported, not thrown: EventBridge would only deliver it again.
export const makeHandler = (deps: StartRolloutDependencies) =>
  lambdaHandler(
    z.unknown(),
    async (event): Promise<StartRolloutSummary> => {
      const summary = await startRollouts(deps, event);
      metrics.addMetric('RolloutsStarted', MetricUnit.Count, summary.started.length);
      metrics.addMetric('DuplicateDeliveries', MetricUnit.Count, summary.duplicates.length);
      metrics.addMetric('TargetsSkipped', MetricUnit.Count, summary.skipped.length);
      return summary;
    },
    { emitsMetrics: true },
  );

const clusterNames = parseClusterNames(requireEnv('CLUSTER_NAMES'));
export const handler = makeHandler({
  imageBuilder: imageBuilderClient(),
  autoScaling: autoScalingClient(),
  eks: eksClient(),
  ssm: ssmClient(),
  sfn: sfnClient(),
  sns: snsClient(),
  now: Date.now,
  notificationTopicArn: requireEnv('NOTIFICATION_TOPIC_ARN'),
  stateMachineArn: requireEnv('STATE_MACHINE_ARN'),
  clusterNames,
  waves: parseWaves(process.env.WAVES ?? '', clusterNames),
  promotionStateMachineArn: requireEnv('PROMOTION_STATE_MACHINE_ARN'),
});
