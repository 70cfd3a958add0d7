// Pictures drawn as inline SVG with DOM calls (no library): a task's runs (a bar per run, its height the
// duration, its colour the outcome) and the timeline of upcoming runs (a row per task, a tick per fire time,
// a line at now). Colours come from classes in app.css, so both themes apply.
import {h, s, toMillis, formatDuration, runDuration, outcomeClass, absoluteText} from './dom.js';

// runs: newest first, as the API gives them. Returns a <figure>.
export function runChart(runs, {width = 760, height = 180} = {}) {
  const list = runs.slice().reverse();
  const pad = {left: 52, right: 8, top: 10, bottom: 26};
  const plotW = width - pad.left - pad.right, plotH = height - pad.top - pad.bottom;
  const durations = list.map((r) => runDuration(r));
  const max = Math.max(1, ...durations.filter((d) => d !== null));
  const slot = plotW / Math.max(list.length, 1);
  const barW = Math.max(2, Math.min(28, slot * 0.7));
  const svg = s('svg', {viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img',
    'aria-label': `Durations and outcomes of the last ${list.length} runs`, 'data-testid': 'run-chart',
    preserveAspectRatio: 'xMidYMid meet'});
  // grid lines and the duration axis: 0, half, max
  for (const frac of [0, 0.5, 1]) {
    const y = pad.top + plotH - frac * plotH;
    svg.append(s('line', {x1: pad.left, x2: width - pad.right, y1: y, y2: y, class: 'chart-grid'}),
      s('text', {x: pad.left - 6, y: y + 4, class: 'chart-label', 'text-anchor': 'end'},
        formatDuration(frac * max)));
  }
  list.forEach((r, i) => {
    const d = durations[i];
    const x = pad.left + i * slot + (slot - barW) / 2;
    // a run that never started (missed, skipped) gets a short stub so it is seen
    const hgt = d === null ? 4 : Math.max(2, (d / max) * plotH);
    const when = toMillis(r.started_at || r.scheduled_time);
    const bar = s('rect', {x: x.toFixed(1), y: (pad.top + plotH - hgt).toFixed(1), width: barW.toFixed(1),
      height: hgt.toFixed(1), rx: 1.5, class: `chart-bar fill-${outcomeClass(r.outcome)}`,
      'data-outcome': r.outcome, 'data-run-id': r.run_id});
    bar.append(s('title', null, `${r.outcome} · ${d === null ? 'did not run' : formatDuration(d)}` +
      (when ? ` · ${absoluteText(when)}` : '')));
    svg.append(bar);
  });
  // time labels: the first and the last run
  const first = list.length ? toMillis(list[0].started_at || list[0].scheduled_time) : null;
  const last = list.length ? toMillis(list[list.length - 1].started_at || list[list.length - 1].scheduled_time) : null;
  const fmt = new Intl.DateTimeFormat(undefined, {month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit'});
  if (first) svg.append(s('text', {x: pad.left, y: height - 6, class: 'chart-label'}, fmt.format(first)));
  if (last && list.length > 1) {
    svg.append(s('text', {x: width - pad.right, y: height - 6, class: 'chart-label', 'text-anchor': 'end'}, fmt.format(last)));
  }
  const legend = h('ul', {class: 'legend'}, [['ok', 'succeeded'], ['bad', 'failed'], ['warn', 'missed / lost'],
    ['info', 'running'], ['muted', 'skipped / cancelled']].map(([cls, label]) =>
    h('li', null, h('span', {class: `swatch bg-${cls}`, 'aria-hidden': 'true'}), label)));
  return h('figure', {class: 'chart-figure'}, svg, h('figcaption', null, legend));
}

// rows: [{id, label, href, times: [ms]}]; from, to: the window (ms); now (ms).
export function timelineChart(rows, from, to, now, {width = 960} = {}) {
  const rowH = 26, pad = {left: 180, right: 16, top: 28, bottom: 8};
  const height = pad.top + rows.length * rowH + pad.bottom;
  const plotW = width - pad.left - pad.right;
  const x = (t) => pad.left + ((t - from) / (to - from)) * plotW;
  const svg = s('svg', {viewBox: `0 0 ${width} ${height}`, class: 'chart timeline', role: 'img',
    'aria-label': `Upcoming runs of ${rows.length} tasks until ${absoluteText(to)}`, 'data-testid': 'timeline-chart'});
  // hour grid with labels
  const span = to - from;
  const step = span <= 2 * 3600e3 ? 15 * 60e3 : span <= 8 * 3600e3 ? 3600e3 : span <= 26 * 3600e3 ? 3 * 3600e3 : 12 * 3600e3;
  const fmt = new Intl.DateTimeFormat(undefined, span > 26 * 3600e3
    ? {weekday: 'short', hour: '2-digit', minute: '2-digit'} : {hour: '2-digit', minute: '2-digit'});
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) {
    svg.append(s('line', {x1: x(t), x2: x(t), y1: pad.top - 6, y2: height - pad.bottom, class: 'chart-grid'}),
      s('text', {x: x(t), y: pad.top - 12, class: 'chart-label', 'text-anchor': 'middle'}, fmt.format(t)));
  }
  rows.forEach((row, i) => {
    const y = pad.top + i * rowH;
    const g = s('g', {class: 'timeline-row', 'data-task-id': row.id});
    g.append(s('rect', {x: 0, y, width, height: rowH, class: i % 2 ? 'row-band' : 'row-band-alt'}));
    const link = s('a', {href: row.href});
    link.append(s('text', {x: 8, y: y + rowH / 2 + 4, class: 'timeline-label'},
      row.label.length > 24 ? `${row.label.slice(0, 23)}…` : row.label));
    g.append(link);
    for (const t of row.times) {
      if (t < from || t > to) continue;
      const tick = s('rect', {x: (x(t) - 1.5).toFixed(1), y: y + 5, width: 3, height: rowH - 10, rx: 1,
        class: `timeline-tick fill-${row.paused ? 'muted' : 'info'}`, 'data-time': String(t)});
      tick.append(s('title', null, `${row.label}: ${absoluteText(t)}`));
      g.append(tick);
    }
    svg.append(g);
  });
  if (now >= from && now <= to) {
    svg.append(s('line', {x1: x(now), x2: x(now), y1: pad.top - 6, y2: height - pad.bottom, class: 'now-line',
      'data-testid': 'now-line'}),
    s('text', {x: x(now) + 4, y: height - pad.bottom - 2, class: 'chart-label now-label'}, 'now'));
  }
  return svg;
}
