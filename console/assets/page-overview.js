// The overview: the scheduler's state, task counts, what ran in the last hour and day (failures and late
// runs stand out), the next runs and the latest failures. Refreshed every 15 s.
import * as api from './api.js';
import {h, add, replace, pageHeader, statCard, timeAgo, outcomeBadge, emptyState, errorBox, stateBadge,
  FAILED_OUTCOMES, button, formatDuration, runDurationText} from './dom.js';
import {dataTable} from './widgets.js';
import {loadStatus, hashWith, taskHash, runHash, navigate} from './shared.js';

const REFRESH_MS = 15000;

// The failures of a period: per-outcome counts summed when the status has them ({failed, timed_out, crashed,
// lost}), else its "failed", which then counts them all already (as `asyncz status` does).
function failedCount(r) {
  const perOutcome = FAILED_OUTCOMES.slice(1).some((k) => k in r);
  return perOutcome ? FAILED_OUTCOMES.reduce((n, k) => n + (Number(r[k]) || 0), 0) : Number(r.failed) || 0;
}

function periodCards(label, runs, since) {
  const r = runs || {};
  const failed = failedCount(r);
  const runsLink = (outcome) => hashWith('#/runs', {since, outcome});
  return h('section', {class: 'panel', 'aria-label': label, 'data-testid': `runs-${since}`},
    h('h2', null, label),
    runs === null ? h('p', {class: 'muted'}, 'The stores keep no run history.') : null,
    h('div', {class: 'stats'},
      r.succeeded !== undefined
        ? statCard('succeeded', r.succeeded, 'ok', `stat-${since}-succeeded`, runsLink('succeeded'))
        : statCard('runs', r.runs ?? 0, null, `stat-${since}-runs`, runsLink('')),
      statCard('failed', failed, failed ? 'bad' : null, `stat-${since}-failed`, runsLink(FAILED_OUTCOMES.join(','))),
      r.missed !== undefined
        ? statCard('missed', r.missed, r.missed ? 'warn' : null, `stat-${since}-missed`, runsLink('missed')) : null,
      statCard('late', r.late ?? 0, r.late ? 'warn' : null, `stat-${since}-late`)));
}

function nextRunsTable(tasks) {
  if (!tasks.length) {
    return emptyState('No task is scheduled.',
      api.can('operator') ? 'Create one, or resume a paused task.' : 'Tasks come from the daemon\'s config file or the asyncz tool.',
      api.can('operator') ? h('a', {class: 'button button-primary', href: '#/new'}, 'New task') : null);
  }
  return dataTable([
    {key: 'id', label: 'Task', render: (t) => h('a', {href: taskHash(t.id, t.store)}, t.name && t.name !== t.id ? `${t.id} (${t.name})` : t.id)},
    {key: 'next_run_time', label: 'Next run', render: (t) => timeAgo(t.next_run_time)},
    {key: 'trigger', label: 'Trigger', class: 'col-wide', render: (t) => h('code', null, t.trigger || '')},
    {key: 'last_run', label: 'Last run', render: (t) => outcomeBadge(t.last_run && t.last_run.outcome)},
  ], tasks, {testid: 'next-runs', onOpen: (t) => navigate(taskHash(t.id, t.store)),
    rowAttrs: (t) => ({'data-task-id': t.id})});
}

function failuresTable(runs) {
  if (!runs.length) return emptyState('No failure in the last day.', 'Runs that fail, time out, crash or are lost show here.');
  return dataTable([
    {key: 'task_id', label: 'Task', render: (r) => h('a', {href: taskHash(r.task_id, r.store_alias)}, r.task_id || '')},
    {key: 'outcome', label: 'Outcome', render: (r) => outcomeBadge(r.outcome)},
    {key: 'finished_at', label: 'When', render: (r) => timeAgo(r.finished_at || r.started_at || r.scheduled_time)},
    {key: 'duration', label: 'Took', render: (r) => runDurationText(r)},
    {key: 'error', label: 'Error', class: 'col-wide', render: (r) => r.error_message || (r.exit_status != null ? `exit ${r.exit_status}` : '')},
  ], runs, {testid: 'recent-failures', onOpen: (r) => navigate(runHash(r.run_id, r.store_alias)),
    rowAttrs: (r) => ({'data-run-id': r.run_id})});
}

export async function render(ctx) {
  const body = h('div', {class: 'overview', 'data-testid': 'overview'});
  const refresh = button('Refresh', {'data-testid': 'refresh', 'aria-label': 'Refresh the overview'}, () => draw());
  add(ctx.main, pageHeader('Overview', refresh), body);

  async function draw() {
    let st, next, failures;
    try {
      [st, next, failures] = await Promise.all([
        loadStatus(true),
        api.get('tasks', {sort: 'next_run_time', state: 'scheduled', limit: 10}),
        api.get('runs', {outcome: FAILED_OUTCOMES.join(','), since: '1d', limit: 10}),
      ]);
    } catch (e) {
      if (!ctx.isCurrent() || e.status === 401) return;
      replace(body, errorBox(e));
      return;
    }
    if (!ctx.isCurrent()) return;
    const tasks = st.tasks || {};
    const runs = st.runs || {};
    replace(body,
      h('section', {class: 'panel', 'aria-label': 'Scheduler'},
        h('h2', null, 'Scheduler'),
        h('div', {class: 'stats'},
          h('div', {class: 'stat', 'data-testid': 'stat-state'},
            h('span', {class: 'stat-value'}, stateBadge(st.state)), h('span', {class: 'stat-label'}, 'state')),
          statCard('tasks', tasks.total, null, 'stat-tasks-total', '#/tasks'),
          statCard('scheduled', tasks.scheduled, null, 'stat-tasks-scheduled', hashWith('#/tasks', {state: 'scheduled'})),
          statCard('paused', tasks.paused, tasks.paused ? 'warn' : null, 'stat-tasks-paused', hashWith('#/tasks', {state: 'paused'})),
          statCard('up for', st.uptime_seconds != null ? formatDuration(st.uptime_seconds * 1000) : '–', null, 'stat-uptime', '#/runtime'))),
      h('div', {class: 'grid-2'},
        periodCards('Last hour', runs.last_hour, '1h'),
        periodCards('Last day', runs.last_day, '1d')),
      h('section', {class: 'panel'}, h('div', {class: 'panel-header'}, h('h2', null, 'Next runs'),
        h('a', {href: '#/timeline'}, 'Timeline →')), nextRunsTable(next.items || [])),
      h('section', {class: 'panel'}, h('div', {class: 'panel-header'}, h('h2', null, 'Failures of the last day'),
        h('a', {href: hashWith('#/runs', {outcome: FAILED_OUTCOMES.join(','), since: '1d'})}, 'All →')),
        failuresTable(failures.items || [])));
  }

  await draw();
  const timer = setInterval(() => draw(), REFRESH_MS);
  ctx.onCleanup(() => clearInterval(timer));
}
