// The daemon itself: version, identity, host, zone, uptime, its stores and executors.
import {h, add, replace, pageHeader, fieldList, timeAbs, formatDuration, stateBadge, errorBox, code, button} from './dom.js';
import {dataTable} from './widgets.js';
import {loadStatus} from './shared.js';

export async function render(ctx) {
  const body = h('div');
  add(ctx.main, pageHeader('Runtime', button('Refresh', {'data-testid': 'refresh'}, () => load())), body);
  async function load() {
    let st;
    try {
      st = await loadStatus(true);
    } catch (e) {
      if (!ctx.isCurrent() || e.status === 401) return;
      replace(body, errorBox(e));
      return;
    }
    if (!ctx.isCurrent()) return;
    replace(body,
      h('section', {class: 'panel'}, h('h2', null, 'Daemon'), fieldList([
        ['Version', st.version, 'version'],
        ['Identity', st.identity, 'identity'],
        ['Host', st.host, 'host'],
        ['Pid', st.pid != null ? String(st.pid) : null, 'pid'],
        ['State', stateBadge(st.state), 'state'],
        ['Started', timeAbs(st.started), 'started'],
        ['Uptime', st.uptime_seconds != null ? formatDuration(st.uptime_seconds * 1000) : null, 'uptime'],
        ['Time zone', st.zone, 'zone'],
      ], 'runtime-fields')),
      h('div', {class: 'grid-2'},
        h('section', {class: 'panel'}, h('h2', null, 'Stores'), dataTable([
          {key: 'name', label: 'Name', render: (x) => h('strong', null, x.name)},
          {key: 'url', label: 'URL', class: 'col-wide', render: (x) => code(x.url)},
          {key: 'history', label: 'History', render: (x) => (x.history ? 'kept' : 'off')},
        ], st.stores || [], {testid: 'stores-table'})),
        h('section', {class: 'panel'}, h('h2', null, 'Executors'), dataTable([
          {key: 'name', label: 'Name', render: (x) => h('strong', null, x.name)},
          {key: 'type', label: 'Type'},
          {key: 'workers', label: 'Workers'},
        ], st.executors || [], {testid: 'executors-table'}))));
  }
  await load();
}
