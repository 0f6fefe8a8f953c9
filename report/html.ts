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

/** Rows top to bottom: batch by batch as planned, each old node beside (above) the replacement it pairs with. */
export function orderRows(nodes: readonly NodeTimeline[]): NodeTimeline[] {
  const byName = (a: NodeTimeline, b: NodeTimeline) => a.nodeName.localeCompare(b.nodeName);
  const batches = [...new Set(nodes.map((node) => node.batch))].sort((a, b) => a - b);
  return batches.flatMap((batch) => {
    const inBatch = nodes.filter((node) => node.batch === batch);
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

function barSvg(node: NodeTimeline, span: PhaseSpan, x: (t: number) => number): string {
  const left = x(span.start);
  const width = x(span.end) - left;
  const waits = node.role === 'replaced' && span.phase === 'waitReady';
  const style = waits ? replacementWait : phaseStyle[span.phase];
  const tip = `${style.label}: ${formatClock(span.start)} to ${formatClock(span.end)} (${formatDuration(span.end - span.start)})`;
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

function rowSvg(node: NodeTimeline, y: number, x: (t: number) => number): string {
  const isTick = (span: PhaseSpan) => x(span.end) - x(span.start) < layout.tickWidth;
  const bars = [...node.phases.filter((span) => !isTick(span)), ...node.phases.filter(isTick)];
  const role = { replacement: 'new', replaced: 'old', untouched: 'old, not reached' }[node.role];
  const refusals = (node.refusals ?? []).map(
    (t) =>
      `<path class="refusal" d="M${(x(t) - 4).toFixed(1)} 1 h8 l-4 7 z" fill="${refusalColor}">` +
      `<title>${escapeHtml(`Eviction refused (429) at ${formatClock(t)}: a PDB allowed no disruption`)}</title></path>`,
  );
  return (
    `<g class="node ${node.role}" data-node="${escapeHtml(node.nodeName)}" data-instance="${escapeHtml(node.instanceId)}" ` +
    `data-role="${node.role}" data-batch="${node.batch}" transform="translate(0 ${y})">` +
    `<title>${escapeHtml(`${node.nodeName} (${node.instanceId}), batch ${node.batch + 1}, ${role}`)}</title>` +
    `<text class="label" x="8" y="${layout.rowHeight / 2 + 4}">${escapeHtml(node.nodeName)}` +
    `<tspan class="role" dx="6">${role}</tspan></text>` +
    bars.map((span) => barSvg(node, span, x)).join('') +
    refusals.join('') +
    '</g>'
  );
}

function chartSvg(timeline: RolloutTimeline): string {
  const span = Math.max(1, timeline.end - timeline.start);
  const x = (t: number) => layout.labelWidth + ((t - timeline.start) / span) * layout.chartWidth;
  const rows: string[] = [];
  let y = layout.axisHeight;
  let batch: number | undefined;
  for (const node of orderRows(timeline.nodes)) {
    if (node.batch !== batch) {
      batch = node.batch;
      y += layout.batchGap;
      rows.push(`<text class="batch" x="8" y="${y - 5}">Batch ${batch + 1}</text>`);
    }
    rows.push(rowSvg(node, y, x));
    y += layout.rowHeight;
  }
  const height = y + 8;
  const width = layout.labelWidth + layout.chartWidth + layout.rightMargin;
  const failure = timeline.failure;
  const failureMark = failure
    ? `<g class="failure" data-t="${failure.t}"><line x1="${x(failure.t).toFixed(1)}" x2="${x(failure.t).toFixed(1)}" ` +
      `y1="${layout.axisHeight}" y2="${height}" stroke="${failureColor}" stroke-width="2"/>` +
      `<title>${escapeHtml(`${failure.name} at ${formatClock(failure.t)}`)}</title></g>`
    : '';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `role="img" aria-label="${escapeHtml(`Timeline of ${timeline.nodes.length} nodes`)}">` +
    axisSvg(timeline, x, height) +
    rows.join('') +
    failureMark +
    '</svg>'
  );
}

const refusalColor = '#b3261e';
const failureColor = '#b3261e';

const legendHtml = () =>
  `<ul class="legend">${[...phases.map((phase) => phaseStyle[phase]), replacementWait]
    .map((style) => `<li><span class="swatch" style="background:${style.color}"></span>${style.label}</li>`)
    .join('')}<li><span class="mark">▼</span>Eviction refused (429)</li>` +
  `<li><span class="line"></span>Failure</li></ul>`;

function untouchedHtml(timeline: RolloutTimeline): string {
  const untouched = timeline.nodes.filter((node) => node.role === 'untouched');
  if (untouched.length === 0) return '';
  const names = untouched.map((node) => `${node.nodeName} (batch ${node.batch + 1})`).join(', ');
  return `<p class="untouched">Not reached, still on the old AMI: ${escapeHtml(names)}</p>`;
}

function headerHtml(timeline: RolloutTimeline): string {
  const old = timeline.nodes.filter((node) => node.role !== 'replacement');
  const replaced = old.filter((node) => node.phases.some((span) => span.phase === 'terminate')).length;
  const launched = timeline.nodes.filter((node) => node.role === 'replacement').length;
  const facts: [string, string][] = [
    ['Cluster', timeline.target.clusterName],
    ['Node group', timeline.target.nodeGroupName],
    ['AMI', timeline.target.amiId],
    ['Outcome', timeline.outcome],
    ['Duration', formatDuration(timeline.end - timeline.start)],
    [
      'Nodes',
      `${replaced === old.length ? replaced : `${replaced} of ${old.length}`} replaced` +
        (launched > 0 ? `, ${launched} launched` : ''),
    ],
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
    (timeline.failure
      ? `<p class="cause"><strong>${escapeHtml(timeline.failure.name)}</strong> at ${formatClock(timeline.failure.t)}: ` +
        `${escapeHtml(timeline.failure.cause)}</p>`
      : '') +
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
.legend{display:flex;gap:18px;list-style:none;padding:0;margin:0 0 8px}
.legend li{display:flex;align-items:center;gap:6px}
.swatch{display:inline-block;width:14px;height:10px;border-radius:2px}
.legend .mark{color:#b3261e;font-size:10px}.legend .line{display:inline-block;width:2px;height:12px;background:#b3261e}
.cause{margin:0 0 12px;color:#b3261e}.untouched{margin:0 0 12px;color:#5c6670}
svg{display:block;max-width:100%;height:auto}
svg text{font-size:12px;fill:#1d232a}
svg .tick{font-size:11px;fill:#5c6670;text-anchor:middle}
svg .grid{stroke:#e3e6ea;stroke-width:1}
svg .batch{font-size:11px;font-weight:600;fill:#5c6670}
svg .role{font-size:10px;fill:#8a939c}
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
    `<body>${headerHtml(timeline)}${legendHtml()}${body}</body></html>`,
    '',
  ].join('\n');
}
