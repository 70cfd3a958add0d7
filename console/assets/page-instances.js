// The schedulers sharing each store, from their heartbeats: who is alive, since when, last seen.
import * as api from './api.js';
import {h, add, replace, pageHeader, timeAgo, emptyState, errorBox, button} from './dom.js';
import {dataTable} from './widgets.js';

export async function render(ctx) {
  const body = h('div');
  add(ctx.main, pageHeader('Instances', button('Refresh', {'data-testid': 'refresh'}, () => load())), body);
  async function load() {
    let res;
    try {
      res = await api.get('instances');
    } catch (e) {
      if (!ctx.isCurrent() || e.status === 401) return;
      replace(body, errorBox(e));
      return;
    }
    if (!ctx.isCurrent()) return;
    const items = Array.isArray(res) ? res : res.items || [];
    if (!items.length) {
      replace(body, emptyState('No heartbeat recorded.', 'Schedulers that share a store (PostgreSQL, Redis, ...) record heartbeats; a store used by one daemon alone may keep none.'));
      return;
    }
    replace(body, dataTable([
      {key: 'alive', label: 'Status', render: (i) => h('span', {class: `badge badge-${i.alive ? 'ok' : 'bad'}`}, i.alive ? 'alive' : 'gone')},
      {key: 'identity', label: 'Identity', render: (i) => h('strong', null, i.identity || '')},
      {key: 'store', label: 'Store'},
      {key: 'host', label: 'Host'},
      {key: 'pid', label: 'Pid'},
      {key: 'started', label: 'Started', render: (i) => timeAgo(i.started)},
      {key: 'last_heartbeat', label: 'Last heartbeat', render: (i) => timeAgo(i.last_heartbeat)},
    ], items, {testid: 'instances-table', id: 'instances-table', caption: 'Instances',
      rowAttrs: (i) => ({'data-identity': i.identity, 'data-alive': String(Boolean(i.alive))})}));
  }
  await load();
  const timer = setInterval(load, 15000);
  ctx.onCleanup(() => clearInterval(timer));
}
