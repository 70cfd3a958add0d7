// One run: its fields and the lines it printed (stream and time). While it is running it is asked again
// every second, so its output follows live.
import * as api from './api.js';
import {h, add, replace, pageHeader, timeAbs, outcomeBadge, errorBox, fieldList, code, jsonText,
  formatDuration, runDuration} from './dom.js';
import {taskHash} from './shared.js';

const POLL_MS = 1000;

function fields(r) {
  return [
    ['Run id', code(r.run_id), 'run_id'],
    ['Task', h('a', {href: taskHash(r.task_id, r.store_alias)}, r.task_id || ''), 'task_id'],
    ['Outcome', outcomeBadge(r.outcome), 'outcome'],
    ['Source', r.source, 'source'],
    ['Scheduled', timeAbs(r.scheduled_time), 'scheduled_time'],
    ['Started', r.started_at ? h('span', null, timeAbs(r.started_at), ' ', r.late ? h('span', {class: 'badge badge-warn'}, 'late') : null) : null, 'started_at'],
    ['Finished', timeAbs(r.finished_at), 'finished_at'],
    ['Took', r.started_at ? formatDuration(runDuration(r)) + (r.outcome === 'running' ? ' so far' : '') : null, 'duration'],
    r.coalesced > 1 ? ['Coalesced', `${r.coalesced} due times`, 'coalesced'] : null,
    ['Exit status', r.exit_status ?? null, 'exit_status'],
    r.signal ? ['Signal', String(r.signal), 'signal'] : null,
    ['Error', r.error_message ? h('span', {class: 'text-bad'}, r.error_message) : null, 'error_message'],
    r.result !== undefined && r.result !== null ? ['Result', code(jsonText(r.result)), 'result'] : null,
    ['Scheduler', r.scheduler, 'scheduler'],
    ['Host', r.host ? `${r.host}${r.pid ? ` (pid ${r.pid})` : ''}` : null, 'host'],
    ['Store', r.store_alias, 'store_alias'],
  ];
}

function outputView(r, follow) {
  const lines = r.output || [];
  const box = h('div', {class: 'output', id: 'run-output', 'data-testid': 'run-output', role: 'log',
    'aria-label': 'Output', tabindex: '0'});
  if (!lines.length) {
    box.append(h('p', {class: 'muted output-empty'}, r.outcome === 'running'
      ? 'Waiting for output…' : 'The run printed nothing (or its store keeps no output: [scheduler] run_output_max).'));
  }
  for (const line of lines) {
    box.append(h('div', {class: `output-line stream-${line.stream}`, 'data-stream': line.stream},
      h('span', {class: 'output-time'}, timeAbs(line.time, {hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23'})),
      h('span', {class: 'output-stream'}, line.stream),
      h('span', {class: 'output-text'}, line.text ?? '')));
  }
  if (r.output_truncated) box.prepend(h('p', {class: 'muted'}, 'Older output was cut: the run keeps its newest lines.'));
  if (follow) requestAnimationFrame(() => (box.scrollTop = box.scrollHeight));
  return box;
}

export async function render(ctx) {
  const runId = ctx.params.runId;
  const store = ctx.query.get('store') || undefined;
  const head = h('div');
  const body = h('div');
  const live = h('span', {class: 'live', 'data-testid': 'run-live', hidden: true}, h('span', {class: 'dot dot-info pulse'}), 'following live');
  add(ctx.main, h('p', {class: 'breadcrumb'}, h('a', {href: '#/runs'}, 'Run history'), ' / ', runId), head, body);
  let timer = null;
  ctx.onCleanup(() => clearTimeout(timer));
  let wasAtBottom = true;

  async function load(first) {
    let r;
    try {
      r = await api.get(`runs/${api.seg(runId)}`, {store});
    } catch (e) {
      if (!ctx.isCurrent() || e.status === 401) return;
      if (first) replace(head, pageHeader(`Run ${runId}`));
      replace(body, errorBox(e));
      return;
    }
    if (!ctx.isCurrent()) return;
    const prev = body.querySelector('#run-output');
    if (prev) wasAtBottom = prev.scrollHeight - prev.scrollTop - prev.clientHeight < 30;
    live.hidden = r.outcome !== 'running';
    replace(head, pageHeader(h('span', {class: 'title-with-badge'}, `Run of ${r.task_id || '?'}`, outcomeBadge(r.outcome)), live));
    replace(body, h('div', {class: 'grid-2 grid-wide-right'},
      h('section', {class: 'panel'}, h('h2', null, 'Run'), fieldList(fields(r), 'run-fields')),
      h('section', {class: 'panel run-output-panel'}, h('h2', null, 'Output'), outputView(r, wasAtBottom))));
    if (r.outcome === 'running') timer = setTimeout(() => load(false), POLL_MS);
  }
  await load(true);
}
