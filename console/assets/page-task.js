// One task: its fields, its next run times, its recent runs as a table and a chart, and the buttons the
// user's role allows (pause or resume, run now, edit, remove).
import * as api from './api.js';
import {h, add, replace, pageHeader, timeAgo, timeAbs, outcomeBadge, errorBox, stateBadge, fieldList, code,
  jsonText, emptyState, runDurationText, button, shortId} from './dom.js';
import {dataTable} from './widgets.js';
import {runChart} from './charts.js';
import {hashWith, taskHash, runHash, navigate} from './shared.js';
import {taskAction} from './actions.js';

export function taskFields(t) {
  return [
    ['Id', code(t.id), 'id'],
    ['Name', t.name, 'name'],
    ['State', stateBadge(t.state), 'state'],
    t.store || t.store_alias ? ['Store', t.store || t.store_alias, 'store'] : null,
    ['Trigger', code(t.trigger), 'trigger'],
    ['Trigger kind', t.trigger_kind, 'trigger_kind'],
    ['Time zone', t.timezone, 'timezone'],
    ['Next run', t.next_run_time ? h('span', null, timeAgo(t.next_run_time), ' · ', timeAbs(t.next_run_time)) : null, 'next_run_time'],
    t.run_requested ? ['Run requested', timeAgo(t.run_requested), 'run_requested'] : null,
    t.command ? ['Command', code(t.command), 'command'] : ['Function', code(t.function), 'function'],
    t.command ? ['Timeout', t.timeout, 'timeout'] : null,
    !t.command && t.args !== undefined ? ['Arguments', code(jsonText(t.args)), 'args'] : null,
    !t.command && t.kwargs !== undefined ? ['Keyword arguments', code(jsonText(t.kwargs)), 'kwargs'] : null,
    ['Executor', t.executor, 'executor'],
    t.misfire_grace_time !== undefined ? ['Misfire grace time', t.misfire_grace_time, 'misfire_grace_time'] : null,
    t.coalesce !== undefined ? ['Coalesce', t.coalesce ? 'yes' : 'no', 'coalesce'] : null,
    t.max_instances !== undefined ? ['Max instances', String(t.max_instances), 'max_instances'] : null,
  ];
}

function runsTable(runs) {
  return dataTable([
    {key: 'run_id', label: 'Run', render: (r) => h('a', {href: runHash(r.run_id, r.store_alias), title: r.run_id}, shortId(r.run_id))},
    {key: 'outcome', label: 'Outcome', render: (r) => outcomeBadge(r.outcome)},
    {key: 'scheduled_time', label: 'Scheduled', render: (r) => timeAgo(r.scheduled_time)},
    {key: 'duration', label: 'Took', render: (r) => runDurationText(r)},
    {key: 'source', label: 'Source'},
    {key: 'error_message', label: 'Error', class: 'col-wide', render: (r) => r.error_message || ''},
  ], runs, {testid: 'task-runs', onOpen: (r) => navigate(runHash(r.run_id, r.store_alias)),
    rowAttrs: (r) => ({'data-run-id': r.run_id, 'data-outcome': r.outcome})});
}

export async function render(ctx) {
  const id = ctx.params.id;
  const store = ctx.query.get('store') || undefined;
  let t;
  try {
    t = await api.get(`tasks/${api.seg(id)}`, {store});
  } catch (e) {
    if (e.status === 401) return;
    add(ctx.main, pageHeader(id), errorBox(e), h('p', null, h('a', {href: '#/tasks'}, '← All tasks')));
    return;
  }
  if (!ctx.isCurrent()) return;
  const taskStore = store || t.store || t.store_alias;
  const reload = () => ctx.isCurrent() && navigate(location.hash, true);

  const actions = [];
  if (api.can('operator')) {
    const commandLocked = t.command && !api.can('admin');
    if (t.state === 'paused') {
      actions.push(button('Resume', {id: 'task-resume', 'data-testid': 'task-resume', kind: 'primary'},
        async () => (await taskAction('resume', id, taskStore)) && reload()));
    } else {
      actions.push(button('Pause', {id: 'task-pause', 'data-testid': 'task-pause'},
        async () => (await taskAction('pause', id, taskStore)) && reload()));
    }
    actions.push(button('Run now', {id: 'task-run', 'data-testid': 'task-run'},
      async () => (await taskAction('run', id, taskStore)) && setTimeout(reload, 1000)));
    if (!commandLocked) {
      actions.push(h('a', {class: 'button', href: taskHash(id, taskStore, '/edit'), id: 'task-edit',
        'data-testid': 'task-edit'}, 'Edit'));
    }
    actions.push(button('Remove', {id: 'task-remove', 'data-testid': 'task-remove', kind: 'danger'},
      async () => (await taskAction('remove', id, taskStore)) && navigate('#/tasks')));
  }

  const title = h('span', {class: 'title-with-badge'}, t.name && t.name !== t.id ? `${t.name}` : t.id, stateBadge(t.state));
  const nextList = (t.next_run_times || []).map((x) => (typeof x === 'object' && x !== null ? x.time || x.next_run_time : x));
  const runsBox = h('div', {'data-testid': 'task-runs-box'}, h('p', {class: 'muted'}, 'Loading runs…'));
  add(ctx.main, 
    h('p', {class: 'breadcrumb'}, h('a', {href: '#/tasks'}, 'Tasks'), ' / ', id),
    pageHeader(title, ...actions),
    t.command && api.can('operator') && !api.can('admin')
      ? h('p', {class: 'alert alert-info'}, 'This task runs a shell command: only an admin can edit it.') : null,
    h('div', {class: 'grid-2 grid-wide-left'},
      h('section', {class: 'panel', 'aria-label': 'Fields'}, h('h2', null, 'Fields'), fieldList(taskFields(t), 'task-fields')),
      h('section', {class: 'panel', 'aria-label': 'Next runs'}, h('h2', null, 'Next runs'),
        nextList.length
          ? h('ol', {class: 'time-list', 'data-testid': 'task-next-runs'}, nextList.map((x) => h('li', null, timeAbs(x, {
            weekday: 'short', year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
          }), ' ', h('span', {class: 'muted'}, '('), timeAgo(x), h('span', {class: 'muted'}, ')'))))
          : h('p', {class: 'muted', 'data-testid': 'task-next-runs'}, t.state === 'paused' ? 'Paused: resume it to schedule runs.' : 'No run is due.'))),
    h('section', {class: 'panel'},
      h('div', {class: 'panel-header'}, h('h2', null, 'Recent runs'),
        h('a', {href: hashWith('#/runs', {task: id, store: taskStore})}, 'Run history →'),
        h('a', {href: hashWith('#/audit', {task: id})}, 'Audit trail →')),
      runsBox));

  try {
    const page = await api.get('runs', {task: id, store: taskStore, limit: 60});
    if (!ctx.isCurrent()) return;
    const runs = page.items || [];
    replace(runsBox, runs.length
      ? [runChart(runs), runsTable(runs.slice(0, 20))]
      : emptyState('This task has not run yet.', api.can('operator') ? 'Use “Run now” to run it once.' : null));
  } catch (e) {
    if (e.status !== 401) replace(runsBox, errorBox(e));
  }
}
