// The run history: filters by task, outcome and time, cursor pagination; a row opens the run.
import * as api from './api.js';
import {h, add, replace, pageHeader, timeAgo, outcomeBadge, emptyState, errorBox, runDurationText,
  shortId, OUTCOMES, FAILED_OUTCOMES, debounce} from './dom.js';
import {dataTable, Pager, select} from './widgets.js';
import {hashWith, taskHash, runHash, navigate} from './shared.js';

const SINCE = [['', 'Any time'], ['1h', 'Last hour'], ['6h', 'Last 6 hours'], ['1d', 'Last day'], ['7d', 'Last 7 days'],
  ['30d', 'Last 30 days']];

export async function render(ctx) {
  const q = ctx.query;
  const filters = {task: q.get('task') || '', store: q.get('store') || '', outcome: q.get('outcome') || '',
    since: q.get('since') || ''};
  const pager = new Pager(50);
  const task = h('input', {type: 'search', id: 'runs-task', 'data-testid': 'runs-task-filter', 'data-search': '',
    placeholder: 'Task id  ( / )', value: filters.task, 'aria-label': 'Task id', autocomplete: 'off'});
  const outcomeOptions = [['', 'Any outcome'], [FAILED_OUTCOMES.join(','), 'Any failure'],
    ...OUTCOMES.map((o) => [o, o.replace('_', ' ')])];
  if (filters.outcome && !outcomeOptions.some(([v]) => v === filters.outcome)) outcomeOptions.push([filters.outcome, filters.outcome]);
  const outcome = select({id: 'runs-outcome', 'data-testid': 'runs-outcome-filter', 'aria-label': 'Outcome'},
    outcomeOptions, filters.outcome);
  const sinceOptions = SINCE.slice();
  if (filters.since && !sinceOptions.some(([v]) => v === filters.since)) sinceOptions.push([filters.since, `Since ${filters.since}`]);
  const since = select({id: 'runs-since', 'data-testid': 'runs-since-filter', 'aria-label': 'Since'}, sinceOptions, filters.since);
  const body = h('div');
  add(ctx.main, pageHeader('Run history'), h('div', {class: 'toolbar', role: 'search'}, task, outcome, since), body);

  function apply() {
    history.replaceState(null, '', hashWith('#/runs', filters));
    pager.reset();
    load();
  }
  task.addEventListener('input', debounce(() => {
    filters.task = task.value.trim();
    apply();
  }, 300));
  outcome.addEventListener('change', () => {
    filters.outcome = outcome.value;
    apply();
  });
  since.addEventListener('change', () => {
    filters.since = since.value;
    apply();
  });

  async function load() {
    let page;
    try {
      page = await api.get('runs', {...filters, ...pager.query()});
    } catch (e) {
      if (!ctx.isCurrent() || e.status === 401) return;
      replace(body, errorBox(e));
      return;
    }
    if (!ctx.isCurrent()) return;
    pager.got(page);
    const items = page.items || [];
    if (!items.length) {
      replace(body, filters.task || filters.outcome || filters.since
        ? emptyState('No run matches.', 'Widen the time or clear the filters.',
          h('a', {class: 'button', href: '#/runs'}, 'Clear filters'))
        : emptyState('No run recorded yet.', 'Runs show here once tasks run (the store must keep history: [store] history = true).'));
      return;
    }
    replace(body, dataTable([
      {key: 'run_id', label: 'Run', render: (r) => h('a', {href: runHash(r.run_id, r.store_alias), title: r.run_id}, shortId(r.run_id))},
      {key: 'task_id', label: 'Task', render: (r) => h('a', {href: taskHash(r.task_id, r.store_alias)}, r.task_id || '')},
      {key: 'outcome', label: 'Outcome', render: (r) => outcomeBadge(r.outcome)},
      {key: 'scheduled_time', label: 'Scheduled', class: 'hide-phone', render: (r) => timeAgo(r.scheduled_time)},
      {key: 'started_at', label: 'Started', render: (r) => timeAgo(r.started_at)},
      {key: 'duration', label: 'Took', render: (r) => runDurationText(r)},
      {key: 'late', label: 'Late', render: (r) => (r.late ? h('span', {class: 'badge badge-warn'}, 'late') : '')},
      {key: 'source', label: 'Source', class: 'hide-phone'},
      {key: 'scheduler', label: 'Scheduler', class: 'hide-phone', render: (r) => r.scheduler || r.host || ''},
    ], items, {testid: 'runs-table', id: 'runs-table', caption: 'Runs', onOpen: (r) => navigate(runHash(r.run_id, r.store_alias)),
      rowAttrs: (r) => ({'data-run-id': r.run_id, 'data-outcome': r.outcome, 'data-testid': 'run-row'})}),
    pager.controls(load, page.total, items.length, 'runs-pager'));
  }
  await load();
}
