import type { ControlKind } from './control.ts';
import { formatClock, formatDuration } from './duration.ts';
import { type NodeTimeline, type Phase, type PhaseSpan, phases, type RolloutTimeline } from './timeline.ts';

/** An old node waiting for its batch's replacements: a wait, not work on the node itself. */
const replacementWait = { label: 'Old node waits for its replacement', color: '#f3d9a4' };

const phaseStyle: Record<Phase, { label: string; color: string }> = {
  boot: { label: 'Boot', color: '#8e6fc1' },
  waitReady: { label: 'Wait for Ready', color: '#e8a33d' },
  cordon: { label: 'Cordon', color: '#d1495b' },
  drain: { label: 'Drain', color: '#2f7fc1' },
  terminate: { label: 'Termination', color: '#5c6670' },
  rollback: { label: 'Rollback: uncordon, or remove an unused replacement', color: '#2a9d8f' },
};

/** The stretch of the axis in which an execution was rolling back. */
const rollbackBand = '#e6f4f1';

/** Stretches the rollout stood still, drawn behind the rows. */
const controlStyle: Record<ControlKind, { label: string; color: string }> = {
  window: { label: 'Waiting for the maintenance window', color: '#eef0f3' },
  bake: { label: 'Baking (alarms watched)', color: '#fbf3dc' },
  approval: { label: 'Waiting for an approval', color: '#e8eefa' },
  pause: { label: 'Paused by a person', color: '#f6e6ea' },
  fastLaunch: { label: "Waiting for the AMI's Fast Launch", color: '#e6f4ea' },
};

const layout = {
  labelWidth: 300,
  chartWidth: 840,
  rightMargin: 24,
  axisHeight: 28,
  rowHeight: 24,
  barHeight: 14,
  batchGap: 18,
  /** Steps shorter than this many pixels are drawn as ticks. */
  tickWidth: 3,
  tickTop: 2,
};

/** Tick steps in minutes; the smallest that keeps the axis to at most ten ticks wins. */
const tickSteps = [1, 2, 5, 10, 15, 20, 30, 60, 120, 180, 240, 360];

export function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}

/** Minutes between axis ticks for a rollout of `seconds`. */
export function tickMinutes(seconds: number): number {
  const minutes = seconds / 60;
  return tickSteps.find((step) => minutes / step <= 10) ?? 360;
}

/**
 * Rows top to bottom: execution by execution, batch by batch as planned, each old node beside (above)
 * the replacement it pairs with.
 */
export function orderRows(nodes: readonly NodeTimeline[]): NodeTimeline[] {
  const byName = (a: NodeTimeline, b: NodeTimeline) => a.nodeName.localeCompare(b.nodeName);
  const groups = [...new Map(nodes.map((node) => [`${node.run}/${node.batch}`, node])).values()]
    .map(({ run, batch }) => ({ run, batch }))
    .sort((a, b) => a.run - b.run || a.batch - b.batch);
  return groups.flatMap(({ run, batch }) => {
    const inBatch = nodes.filter((node) => node.run === run && node.batch === batch);
    const old = inBatch.filter((node) => node.role !== 'replacement').sort(byName);
    const fresh = inBatch.filter((node) => node.role === 'replacement').sort(byName);
    return Array.from({ length: Math.max(old.length, fresh.length) }, (_, i) => [old[i], fresh[i]]).flatMap(
      (pair) => pair.filter((node): node is NodeTimeline => node !== undefined),
    );
  });
}

function axisSvg(timeline: RolloutTimeline, x: (t: number) => number, height: number): string {
  const step = tickMinutes(timeline.end - timeline.start) * 60;
  const ticks: string[] = [];
  for (let t = timeline.start; t <= timeline.end + 1e-9; t += step) {
    const at = x(t).toFixed(1);
    ticks.push(
      `<line class="grid" x1="${at}" x2="${at}" y1="${layout.axisHeight - 6}" y2="${height}"/>` +
        `<text class="tick" x="${at}" y="${layout.axisHeight - 10}">${Math.round((t - timeline.start) / 60)} min</text>`,
    );
  }
  return `<g class="axis">${ticks.join('')}</g>`;
}

/** Where a moment of the rollout is drawn, and how it reads: the clock counts from the rollout's start. */
interface Axis {
  x(t: number): number;
  clock(t: number): string;
}

function barSvg(node: NodeTimeline, span: PhaseSpan, axis: Axis): string {
  const left = axis.x(span.start);
  const width = axis.x(span.end) - left;
  const waits = node.role === 'replaced' && span.phase === 'waitReady';
  const style = waits ? replacementWait : phaseStyle[span.phase];
  const tip = `${style.label}: ${axis.clock(span.start)} to ${axis.clock(span.end)} (${formatDuration(span.end - span.start)})`;
  // A step of a few seconds (a cordon) is a tick standing out of the row, not a sliver under the next bar.
  const [barX, barWidth, barY, barHeight] =
    width < layout.tickWidth
      ? [left - layout.tickWidth / 2, layout.tickWidth, layout.tickTop, layout.rowHeight - 2 * layout.tickTop]
      : [left, width, (layout.rowHeight - layout.barHeight) / 2, layout.barHeight];
  return (
    `<rect class="bar" data-phase="${waits ? 'waitReplacement' : span.phase}" x="${barX.toFixed(1)}" y="${barY}" ` +
    `width="${barWidth.toFixed(1)}" height="${barHeight}" rx="2" fill="${style.color}"><title>${escapeHtml(tip)}</title></rect>`
  );
}

function rowSvg(node: NodeTimeline, y: number, axis: Axis): string {
  const isTick = (span: PhaseSpan) => axis.x(span.end) - axis.x(span.start) < layout.tickWidth;
  const bars = [...node.phases.filter((span) => !isTick(span)), ...node.phases.filter(isTick)];
  const role = {
    replacement: 'new',
    replaced: 'old',
    removed: 'left by an earlier run, removed',
    untouched: 'old, not reached',
  }[node.role];
  const refusals = (node.refusals ?? []).map(
    (t) =>
      `<path class="refusal" d="M${(axis.x(t) - 4).toFixed(1)} 1 h8 l-4 7 z" fill="${refusalColor}">` +
      `<title>${escapeHtml(`Eviction refused (429) at ${axis.clock(t)}: a PDB allowed no disruption`)}</title></path>`,
  );
  return (
    `<g class="node ${node.role}" data-node="${escapeHtml(node.nodeName)}" data-instance="${escapeHtml(node.instanceId)}" ` +
    `data-role="${node.role}" data-run="${node.run}" data-batch="${node.batch}" transform="translate(0 ${y})">` +
    `<title>${escapeHtml(`${node.nodeName} (${node.instanceId}), batch ${node.batch + 1}, ${role}`)}</title>` +
    `<text class="label" x="8" y="${layout.rowHeight / 2 + 4}">${escapeHtml(node.nodeName)}` +
    `<tspan class="role" dx="6">${role}</tspan></text>` +
    bars.map((span) => barSvg(node, span, axis)).join('') +
    refusals.join('') +
    '</g>'
  );
}

/** "Batch 2", or "Run 2, batch 1" when several executions planned. */
const groupLabel = (timeline: RolloutTimeline, run: number, batch: number) =>
  timeline.runs.length > 1 ? `Run ${run + 1}, batch ${batch + 1}` : `Batch ${batch + 1}`;

/** Behind the rows: each execution's start (when there are several) and the stretch it rolled back in. */
function runsSvg(timeline: RolloutTimeline, axis: Axis, height: number): string {
  return timeline.runs
    .map((run) => {
      const band =
        run.rollback === undefined
          ? ''
          : `<rect class="rollback" data-run="${run.index}" x="${axis.x(run.rollback).toFixed(1)}" y="${layout.axisHeight}" ` +
            `width="${Math.max(1, axis.x(run.end) - axis.x(run.rollback)).toFixed(1)}" height="${height - layout.axisHeight}" ` +
            `fill="${rollbackBand}"><title>${escapeHtml(`Run ${run.index + 1} rolls back: ${axis.clock(run.rollback)} to ${axis.clock(run.end)}`)}</title></rect>`;
      const at = axis.x(run.start).toFixed(1);
      const start =
        timeline.runs.length > 1
          ? `<g class="run-start" data-run="${run.index}"><line x1="${at}" x2="${at}" y1="${layout.axisHeight}" y2="${height}" ` +
            `stroke="#5c6670" stroke-dasharray="4 3"/><text class="run" x="${(axis.x(run.start) + 4).toFixed(1)}" y="${layout.axisHeight + 10}">` +
            `Run ${run.index + 1}: ${escapeHtml(run.status)}</text></g>`
          : '';
      return band + start;
    })
    .join('');
}

function controlsSvg(timeline: RolloutTimeline, axis: Axis, height: number): string {
  return timeline.controls
    .map((band) => {
      const style = controlStyle[band.kind];
      const tip = `${style.label}: ${axis.clock(band.start)} to ${axis.clock(band.end)} (${formatDuration(band.end - band.start)})`;
      return (
        `<rect class="control" data-kind="${band.kind}" x="${axis.x(band.start).toFixed(1)}" y="${layout.axisHeight}" ` +
        `width="${Math.max(1, axis.x(band.end) - axis.x(band.start)).toFixed(1)}" height="${height - layout.axisHeight}" ` +
        `fill="${style.color}"><title>${escapeHtml(tip)}</title></rect>`
      );
    })
    .join('');
}

function failuresSvg(timeline: RolloutTimeline, axis: Axis, height: number): string {
  return timeline.failures
    .map((failure) => {
      const at = axis.x(failure.t).toFixed(1);
      return (
        `<g class="failure" data-run="${failure.run}" data-t="${failure.t}"><line x1="${at}" x2="${at}" ` +
        `y1="${layout.axisHeight}" y2="${height}" stroke="${failureColor}" stroke-width="2"/>` +
        `<title>${escapeHtml(`${failure.name} at ${axis.clock(failure.t)}: ${failure.cause}`)}</title></g>`
      );
    })
    .join('');
}

function chartSvg(timeline: RolloutTimeline): string {
  const span = Math.max(1, timeline.end - timeline.start);
  const axis: Axis = {
    x: (t) => layout.labelWidth + ((t - timeline.start) / span) * layout.chartWidth,
    clock: (t) => formatClock(t - timeline.start),
  };
  const rows: string[] = [];
  let y = layout.axisHeight;
  let group: string | undefined;
  for (const node of orderRows(timeline.nodes)) {
    if (`${node.run}/${node.batch}` !== group) {
      group = `${node.run}/${node.batch}`;
      y += layout.batchGap;
      rows.push(
        `<text class="batch" x="8" y="${y - 5}">${escapeHtml(groupLabel(timeline, node.run, node.batch))}</text>`,
      );
    }
    rows.push(rowSvg(node, y, axis));
    y += layout.rowHeight;
  }
  const height = y + 8;
  const width = layout.labelWidth + layout.chartWidth + layout.rightMargin;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `role="img" aria-label="${escapeHtml(`Timeline of ${timeline.nodes.length} nodes`)}">` +
    controlsSvg(timeline, axis, height) +
    runsSvg(timeline, axis, height) +
    axisSvg(timeline, axis.x, height) +
    rows.join('') +
    failuresSvg(timeline, axis, height) +
    '</svg>'
  );
}

const refusalColor = '#b3261e';
const failureColor = '#b3261e';

const legendHtml = (timeline: RolloutTimeline) =>
  `<ul class="legend">${[...phases.map((phase) => phaseStyle[phase]), replacementWait]
    .map((style) => `<li><span class="swatch" style="background:${style.color}"></span>${style.label}</li>`)
    .join('')}<li><span class="mark">▼</span>Eviction refused (429)</li>` +
  `<li><span class="line"></span>Failure</li>` +
  (timeline.runs.some((run) => run.rollback !== undefined)
    ? `<li><span class="swatch" style="background:${rollbackBand}"></span>Rolling back</li>`
    : '') +
  (timeline.runs.length > 1 ? '<li><span class="dash"></span>An execution starts</li>' : '') +
  [...new Set(timeline.controls.map((band) => band.kind))]
    .map(
      (kind) =>
        `<li><span class="swatch" style="background:${controlStyle[kind].color}"></span>${controlStyle[kind].label}</li>`,
    )
    .join('') +
  '</ul>';

function untouchedHtml(timeline: RolloutTimeline): string {
  const untouched = timeline.nodes.filter((node) => node.role === 'untouched');
  if (untouched.length === 0) return '';
  const names = untouched
    .map((node) => `${node.nodeName} (${groupLabel(timeline, node.run, node.batch).toLowerCase()})`)
    .join(', ');
  return `<p class="untouched">Not reached, still on the old AMI: ${escapeHtml(names)}</p>`;
}

function causesHtml(timeline: RolloutTimeline): string {
  const clock = (t: number) => formatClock(t - timeline.start);
  return timeline.failures
    .map(
      (failure) =>
        `<p class="cause">${timeline.runs.length > 1 ? `Run ${failure.run + 1}: ` : ''}` +
        `<strong>${escapeHtml(failure.name)}</strong> at ${clock(failure.t)}: ${escapeHtml(failure.cause)}</p>`,
    )
    .join('');
}

function headerHtml(timeline: RolloutTimeline): string {
  const old = timeline.nodes.filter((node) => node.role === 'replaced' || node.role === 'untouched');
  const replaced = old.filter((node) => node.phases.some((span) => span.phase === 'terminate')).length;
  const launched = timeline.nodes.filter((node) => node.role === 'replacement').length;
  const removed = timeline.nodes.filter((node) => node.role === 'removed').length;
  const facts: [string, string][] = [
    ['Cluster', timeline.target.clusterName],
    ['Node group', timeline.target.nodeGroupName],
    ['AMI', timeline.target.amiId],
    ['Outcome', timeline.outcome],
    // The executions' span, as `simulate` counts it; the axis may run on while an instance terminates.
    [
      'Duration',
      formatDuration(Math.max(timeline.start, ...timeline.runs.map((run) => run.end)) - timeline.start),
    ],
    [
      'Nodes',
      `${replaced === old.length ? replaced : `${replaced} of ${old.length}`} replaced` +
        (launched > 0 ? `, ${launched} launched` : '') +
        (removed > 0 ? `, ${removed} left by an earlier run removed` : ''),
    ],
    ...(timeline.runs.length > 1
      ? [
          ['Executions', timeline.runs.map((run) => `${run.index + 1}. ${run.status}`).join(', ')] as [
            string,
            string,
          ],
        ]
      : []),
  ];
  const outcomeClass = timeline.outcome.startsWith('SUCCEEDED') ? 'ok' : 'not-ok';
  return (
    `<header><h1>${escapeHtml(timeline.title)}</h1><dl>` +
    facts
      .map(
        ([term, value]) =>
          `<div><dt>${term}</dt><dd${term === 'Outcome' ? ` class="outcome ${outcomeClass}"` : ''}>${escapeHtml(value || '-')}</dd></div>`,
      )
      .join('') +
    '</dl>' +
    causesHtml(timeline) +
    untouchedHtml(timeline) +
    '</header>'
  );
}

const css = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1d232a;background:#fff}
h1{font-size:20px;margin:0 0 12px}
dl{display:flex;flex-wrap:wrap;gap:8px 28px;margin:0 0 16px}
dl div{display:flex;flex-direction:column}
dt{font-size:11px;text-transform:uppercase;letter-spacing:.04em;color:#5c6670}
dd{margin:0;font-weight:600}
.outcome.ok{color:#1e7a3c}.outcome.not-ok{color:#b3261e}
.legend{display:flex;flex-wrap:wrap;gap:6px 18px;list-style:none;padding:0;margin:0 0 8px}
.legend li{display:flex;align-items:center;gap:6px}
.swatch{display:inline-block;width:14px;height:10px;border-radius:2px}
.legend .mark{color:#b3261e;font-size:10px}.legend .line{display:inline-block;width:2px;height:12px;background:#b3261e}
.legend .dash{display:inline-block;width:0;height:12px;border-left:2px dashed #5c6670}
.cause{margin:0 0 12px;color:#b3261e}.untouched{margin:0 0 12px;color:#5c6670}
svg{display:block;max-width:100%;height:auto}
svg text{font-size:12px;fill:#1d232a}
svg .tick{font-size:11px;fill:#5c6670;text-anchor:middle}
svg .grid{stroke:#e3e6ea;stroke-width:1}
svg .batch{font-size:11px;font-weight:600;fill:#5c6670}
svg .role{font-size:10px;fill:#8a939c}
svg .run{font-size:10px;fill:#5c6670}
svg .node:hover .label{font-weight:600}
.empty{color:#5c6670}
`;

/** The rollout report: a self-contained page (no external asset) with the timeline as inline SVG. */
export function renderReportHtml(timeline: RolloutTimeline): string {
  const body =
    timeline.nodes.length > 0
      ? chartSvg(timeline)
      : '<p class="empty">No node was replaced or launched in this rollout.</p>';
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(timeline.title)}</title>`,
    `<style>${css}</style></head>`,
    `<body>${headerHtml(timeline)}${legendHtml(timeline)}${body}</body></html>`,
    '',
  ].join('\n');
}
