// The tasks: a search box, filters by state and store, sortable columns, cursor pagination, and checkboxes
// with bulk pause / resume / run now / remove. A row opens the task (click or Enter).
import * as api from './api.js';
import {h, add, replace, pageHeader, timeAgo, outcomeBadge, emptyState, errorBox, stateBadge, toast,
  debounce} from './dom.js';
import {dataTable, Pager, select, confirmDialog} from './widgets.js';
import {hashWith, taskHash, navigate, storeNames} from './shared.js';

const BULK = [
  ['pause', 'Pause', 'Paused'],
  ['resume', 'Resume', 'Resumed'],
  ['run', 'Run now', 'Run requested for'],
  ['remove', 'Remove', 'Removed'],
];

export async function render(ctx) {
  const q = ctx.query;
  const filters = {q: q.get('q') || '', state: q.get('state') || '', store: q.get('store') || '',
    sort: q.get('sort') || 'id'};
  const pager = new Pager(50);
  const selected = new Set();
  let items = [];

  const search = h('input', {type: 'search', id: 'task-search', 'data-testid': 'task-search', 'data-search': '',
    placeholder: 'Search id or name  ( / )', value: filters.q, 'aria-label': 'Search tasks by id or name',
    autocomplete: 'off'});
  const stateSel = select({id: 'task-state', 'data-testid': 'task-state-filter', 'aria-label': 'State'},
    [['', 'Any state'], ['scheduled', 'Scheduled'], ['paused', 'Paused']], filters.state);
  const stores = await storeNames();
  const storeSel = select({id: 'task-store', 'data-testid': 'task-store-filter', 'aria-label': 'Store'},
    [['', 'Any store'], ...stores.map((n) => [n, n])], filters.store);
  if (stores.length < 2 && !filters.store) storeSel.hidden = true;
  // the column headers sort on a wide screen; on a phone they are hidden, and this does
  const sortSel = select({id: 'task-sort', 'data-testid': 'task-sort', 'aria-label': 'Sort by', class: 'show-phone'},
    [['id', 'Sort: id'], ['-id', 'Sort: id, descending'], ['name', 'Sort: name'], ['-name', 'Sort: name, descending'],
      ['next_run_time', 'Sort: next run'], ['-next_run_time', 'Sort: next run, latest first']], filters.sort);

  const bulkButtons = BULK.map(([action, label]) => h('button', {
    type: 'button', class: `button${action === 'remove' ? ' button-danger' : ''}`, id: `bulk-${action}`,
    'data-testid': `bulk-${action}`, disabled: true}, label));
  const selCount = h('span', {class: 'bulk-count', 'data-testid': 'bulk-count', 'aria-live': 'polite'}, '');
  const bulkBar = api.can('operator')
    ? h('div', {class: 'bulk-bar', role: 'toolbar', 'aria-label': 'Actions on the selected tasks',
      'data-testid': 'bulk-bar'}, selCount, bulkButtons) : null;

  const body = h('div', {class: 'tasks-body'});
  const newButton = api.can('operator') ? h('a', {class: 'button button-primary', href: '#/new',
    'data-testid': 'new-task-button'}, 'New task') : null;
  add(ctx.main, pageHeader('Tasks', newButton),
    h('div', {class: 'toolbar', role: 'search'}, search, stateSel, storeSel, sortSel), bulkBar, body);

  // Filters live in the address, so Back and a shared link give the same list.
  function applyFilters() {
    const hash = hashWith('#/tasks', {q: filters.q, state: filters.state, store: filters.store,
      sort: filters.sort === 'id' ? '' : filters.sort});
    history.replaceState(null, '', hash);
    pager.reset();
    load();
  }
  search.addEventListener('input', debounce(() => {
    filters.q = search.value.trim();
    applyFilters();
  }, 250));
  stateSel.addEventListener('change', () => {
    filters.state = stateSel.value;
    applyFilters();
  });
  sortSel.addEventListener('change', () => {
    filters.sort = sortSel.value;
    applyFilters();
  });
  storeSel.addEventListener('change', () => {
    filters.store = storeSel.value;
    applyFilters();
  });

  function updateBulk() {
    if (!bulkBar) return;
    const n = selected.size;
    selCount.textContent = n ? `${n} selected` : 'Select tasks for bulk actions';
    for (const b of bulkButtons) b.disabled = n === 0;
    const all = body.querySelector('#select-all');
    if (all) {
      all.checked = n > 0 && items.every((t) => selected.has(t.id));
      all.indeterminate = n > 0 && !all.checked;
    }
  }

  async function bulk(action, label, done) {
    const ids = [...selected];
    if (!ids.length) return;
    if (action === 'remove') {
      const ok = await confirmDialog(`Remove ${ids.length} task${ids.length > 1 ? 's' : ''}?`,
        `${ids.join(', ')} will be removed from the store. The run history and audit trail keep their records.`,
        'Remove');
      if (!ok) return;
    }
    try {
      const res = await api.post('tasks/bulk', {action, ids, store: filters.store || undefined});
      const results = res.results || [];
      const failed = results.filter((r) => !r.ok);
      const okCount = results.length - failed.length;
      if (okCount) toast(`${done} ${okCount} task${okCount > 1 ? 's' : ''}.`, 'ok');
      for (const f of failed) toast(`${f.id}: ${f.error && f.error.message ? f.error.message : 'failed'}`, 'error', 10000);
      selected.clear();
      load();
    } catch (e) {
      if (e.status !== 401) toast(e.message, 'error', 10000);
    }
  }
  BULK.forEach(([action, label, done], i) => bulkButtons[i].addEventListener('click', () => bulk(action, label, done)));

  function columns() {
    const cols = [];
    if (bulkBar) {
      const all = h('input', {type: 'checkbox', id: 'select-all', 'data-testid': 'select-all',
        'aria-label': 'Select all tasks on this page'});
      all.addEventListener('change', () => {
        for (const t of items) (all.checked ? selected.add(t.id) : selected.delete(t.id));
        for (const cb of body.querySelectorAll('input[data-select]')) cb.checked = all.checked;
        updateBulk();
      });
      cols.push({key: 'select', class: 'col-check', headerNode: all, render: (t) => {
        const cb = h('input', {type: 'checkbox', 'data-select': t.id, 'data-testid': 'task-select',
          'aria-label': `Select ${t.id}`, checked: selected.has(t.id)});
        cb.addEventListener('change', () => {
          (cb.checked ? selected.add(t.id) : selected.delete(t.id));
          updateBulk();
        });
        return cb;
      }});
    }
    cols.push(
      {key: 'id', label: 'Id', sort: 'id', render: (t) => h('a', {href: taskHash(t.id, t.store), class: 'task-link'}, t.id)},
      {key: 'name', label: 'Name', sort: 'name', class: 'hide-phone', render: (t) => (t.name && t.name !== t.id ? t.name : h('span', {class: 'muted'}, '–'))},
      {key: 'state', label: 'State', render: (t) => stateBadge(t.state)},
      {key: 'trigger', label: 'Trigger', class: 'col-wide hide-phone', render: (t) => h('code', {class: 'trigger'}, t.trigger || '')},
      {key: 'next_run_time', label: 'Next run', sort: 'next_run_time', render: (t) => timeAgo(t.next_run_time)},
      {key: 'last_run', label: 'Last run', render: (t) => lastRun(t.last_run)},
    );
    if (stores.length > 1) cols.push({key: 'store', label: 'Store', render: (t) => t.store || t.store_alias || ''});
    return cols;
  }

  function lastRun(r) {
    if (!r) return outcomeBadge(null);
    const when = r.finished_at || r.finished || r.started_at;
    return h('span', {class: 'last-run'}, outcomeBadge(r.outcome), ' ', when ? timeAgo(when) : null);
  }

  async function load() {
    let page;
    try {
      page = await api.get('tasks', {q: filters.q, state: filters.state, store: filters.store, sort: filters.sort,
        ...pager.query()});
    } catch (e) {
      if (!ctx.isCurrent() || e.status === 401) return;
      replace(body, errorBox(e));
      return;
    }
    if (!ctx.isCurrent()) return;
    pager.got(page);
    items = page.items || [];
    for (const id of [...selected]) if (!items.some((t) => t.id === id)) selected.delete(id);
    if (!items.length) {
      const filtered = filters.q || filters.state || filters.store;
      replace(body, filtered
        ? emptyState('No task matches.', 'Clear the search or the filters to see every task.',
          h('a', {class: 'button', href: '#/tasks', 'data-testid': 'clear-filters'}, 'Clear filters'))
        : emptyState('There is no task yet.', api.can('operator')
          ? 'Create one here, add a [task] section to the daemon\'s config file, or use `asyncz add`.'
          : 'Tasks come from the daemon\'s config file or `asyncz add`.',
        api.can('operator') ? h('a', {class: 'button button-primary', href: '#/new'}, 'New task') : null));
      if (pager.page > 1) add(body, pager.controls(load, page.total, 0));
      updateBulk();
      return;
    }
    replace(body,
      dataTable(columns(), items, {
        testid: 'tasks-table', id: 'tasks-table', caption: 'Tasks', sort: filters.sort,
        onSort: (sort) => {
          filters.sort = sort;
          applyFilters();
        },
        onOpen: (t) => navigate(taskHash(t.id, t.store)),
        rowAttrs: (t) => ({'data-task-id': t.id, 'data-testid': 'task-row', 'data-state': t.state}),
      }),
      pager.controls(load, page.total, items.length, 'tasks-pager'));
    updateBulk();
  }

  await load();
  const timer = setInterval(() => {
    if (!selected.size && document.activeElement === document.body) load();
  }, 30000);
  ctx.onCleanup(() => clearInterval(timer));
}
