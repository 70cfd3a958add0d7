// The audit trail: every change to a task, who made it, and each changed field before and after.
import * as api from './api.js';
import {h, add, replace, pageHeader, timeAgo, emptyState, errorBox, debounce} from './dom.js';
import {dataTable, Pager, diffView} from './widgets.js';
import {hashWith, taskHash} from './shared.js';

const ACTION_KIND = {add: 'ok', update: 'info', pause: 'warn', resume: 'ok', remove: 'bad', run: 'info'};

export async function render(ctx) {
  const q = ctx.query;
  const filters = {task: q.get('task') || '', actor: q.get('actor') || '', store: q.get('store') || ''};
  const pager = new Pager(50);
  const task = h('input', {type: 'search', id: 'audit-task', 'data-testid': 'audit-task-filter', 'data-search': '',
    placeholder: 'Task id  ( / )', value: filters.task, 'aria-label': 'Task id', autocomplete: 'off'});
  const actor = h('input', {type: 'search', id: 'audit-actor', 'data-testid': 'audit-actor-filter',
    placeholder: 'Actor', value: filters.actor, 'aria-label': 'Actor', autocomplete: 'off'});
  const body = h('div');
  add(ctx.main, pageHeader('Audit trail'), h('div', {class: 'toolbar', role: 'search'}, task, actor), body);
  const apply = debounce(() => {
    filters.task = task.value.trim();
    filters.actor = actor.value.trim();
    history.replaceState(null, '', hashWith('#/audit', filters));
    pager.reset();
    load();
  }, 300);
  task.addEventListener('input', apply);
  actor.addEventListener('input', apply);

  async function load() {
    let page;
    try {
      page = await api.get('audit', {...filters, ...pager.query()});
    } catch (e) {
      if (!ctx.isCurrent() || e.status === 401) return;
      replace(body, errorBox(e));
      return;
    }
    if (!ctx.isCurrent()) return;
    pager.got(page);
    const items = page.items || [];
    if (!items.length) {
      replace(body, emptyState(filters.task || filters.actor ? 'No change matches.' : 'No change recorded yet.',
        'Every change to a task (by the config, the asyncz tool or this console) is recorded here with who made it.'));
      return;
    }
    replace(body, dataTable([
      {key: 'at', label: 'When', render: (e) => timeAgo(e.at)},
      {key: 'actor', label: 'Actor', render: (e) => e.actor || h('span', {class: 'muted'}, 'unknown')},
      {key: 'action', label: 'Action', render: (e) => h('span', {class: `badge badge-${ACTION_KIND[e.action] || 'muted'}`}, e.action)},
      {key: 'task_id', label: 'Task', render: (e) => (e.task_id ? h('a', {href: taskHash(e.task_id, e.store)}, e.task_id) : '')},
      {key: 'changes', label: 'Changes', class: 'col-wide', render: (e) => (e.action === 'update'
        ? diffView(e.changes, 'audit-diff')
        : h('span', {class: 'muted'}, Object.keys(e.changes || {}).join(', ')))},
      {key: 'host', label: 'Host', render: (e) => (e.host ? `${e.host}${e.pid ? ` (${e.pid})` : ''}` : '')},
    ], items, {testid: 'audit-table', id: 'audit-table', caption: 'Audit trail',
      rowAttrs: (e) => ({'data-audit-id': e.id, 'data-action': e.action})}),
    pager.controls(load, page.total, items.length, 'audit-pager'));
  }
  await load();
}
