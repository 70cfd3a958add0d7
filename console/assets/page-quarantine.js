// Records a store kept aside because they would not decode, open or validate, with the reason; an admin may
// retry one (put it back, if it now reads) or delete it.
import * as api from './api.js';
import {h, add, replace, pageHeader, timeAgo, emptyState, errorBox, toast, button} from './dom.js';
import {dataTable, confirmDialog} from './widgets.js';

export async function render(ctx) {
  const body = h('div');
  add(ctx.main, pageHeader('Quarantine'), body);
  const admin = api.can('admin');

  async function act(item, action) {
    const store = item.store || item.store_alias || 'default';
    const taskId = item.task_id || item.id;
    const path = `quarantine/${api.seg(store)}/${api.seg(taskId)}`;
    const query = item.at ? {at: item.at} : undefined;
    try {
      if (action === 'delete') {
        const ok = await confirmDialog(`Delete the quarantined record of ${taskId}?`,
          'The record is gone for good; the task will not come back unless it is added again.', 'Delete');
        if (!ok) return;
        await api.del(path, query);
        toast(`Deleted the record of ${taskId}.`, 'ok');
      } else {
        await api.post(`${path}/retry`, {}, {query});
        toast(`Restored ${taskId}.`, 'ok');
      }
      load();
    } catch (e) {
      if (e.status !== 401) toast(e.message, 'error', 10000);
    }
  }

  async function load() {
    let res;
    try {
      res = await api.get('quarantine');
    } catch (e) {
      if (!ctx.isCurrent() || e.status === 401) return;
      replace(body, errorBox(e));
      return;
    }
    if (!ctx.isCurrent()) return;
    const items = Array.isArray(res) ? res : res.items || [];
    if (!items.length) {
      replace(body, emptyState('Nothing is quarantined.', 'A stored task that cannot be read (corrupt, sealed with another key, invalid) is kept here with the reason instead of being lost.'));
      return;
    }
    const cols = [
      {key: 'store', label: 'Store', render: (i) => i.store || i.store_alias || ''},
      {key: 'task', label: 'Task', render: (i) => h('code', null, i.task_id || i.id || '')},
      {key: 'at', label: 'Quarantined', render: (i) => timeAgo(i.at)},
      {key: 'reason', label: 'Reason', class: 'col-wide', render: (i) => i.reason || ''},
      {key: 'sealed', label: 'Sealed', render: (i) => (i.sealed ? 'yes' : 'no')},
      {key: 'size', label: 'Size', render: (i) => (i.size != null ? `${i.size} B` : '')},
    ];
    if (admin) {
      cols.push({key: 'actions', label: 'Actions', render: (i) => h('span', {class: 'row-actions'},
        button('Retry', {'data-testid': 'quarantine-retry', 'aria-label': `Retry ${i.task_id || i.id}`}, () => act(i, 'retry')),
        button('Delete', {'data-testid': 'quarantine-delete', kind: 'danger', 'aria-label': `Delete ${i.task_id || i.id}`}, () => act(i, 'delete')))});
    }
    replace(body, admin ? null : h('p', {class: 'muted'}, 'An admin can retry or delete these records.'),
      dataTable(cols, items, {testid: 'quarantine-table', id: 'quarantine-table', caption: 'Quarantine',
        rowAttrs: (i) => ({'data-task-id': i.task_id || i.id})}));
  }
  await load();
}
