// The timeline: the upcoming runs of the next hours as a picture, a row per task, a tick per fire time,
// a line at now. The fire times are each task's next run times (GET /api/v1/tasks/{id}).
import * as api from './api.js';
import {h, add, replace, pageHeader, toMillis, emptyState, errorBox} from './dom.js';
import {select} from './widgets.js';
import {timelineChart} from './charts.js';
import {hashWith, taskHash} from './shared.js';

const WINDOWS = [['1', 'Next hour'], ['6', 'Next 6 hours'], ['24', 'Next 24 hours'], ['72', 'Next 3 days']];
const MAX_TASKS = 40;

// Run fn over items, at most n at a time.
async function pool(items, n, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({length: Math.min(n, items.length)}, worker));
  return out;
}

export async function render(ctx) {
  const hours = WINDOWS.some(([v]) => v === ctx.query.get('hours')) ? ctx.query.get('hours') : '6';
  const win = select({id: 'timeline-window', 'data-testid': 'timeline-window', 'aria-label': 'Window'}, WINDOWS, hours);
  const body = h('div', {class: 'panel timeline-panel'});
  add(ctx.main, pageHeader('Timeline', win), body);
  win.addEventListener('change', () => {
    history.replaceState(null, '', hashWith('#/timeline', {hours: win.value}));
    load();
  });

  async function load() {
    const now = Date.now();
    const from = now - 0.04 * Number(win.value) * 3600e3;
    const to = now + Number(win.value) * 3600e3;
    let page;
    try {
      page = await api.get('tasks', {sort: 'next_run_time', state: 'scheduled', limit: MAX_TASKS});
    } catch (e) {
      if (!ctx.isCurrent() || e.status === 401) return;
      replace(body, errorBox(e));
      return;
    }
    const due = (page.items || []).filter((t) => {
      const next = toMillis(t.next_run_time);
      return next !== null && next <= to;
    });
    if (!due.length) {
      if (ctx.isCurrent()) replace(body, emptyState('No run is due in this window.', 'Choose a longer window, or see the tasks page for paused tasks.'));
      return;
    }
    const rows = await pool(due, 4, async (t) => {
      let times = [toMillis(t.next_run_time)];
      try {
        const full = await api.get(`tasks/${api.seg(t.id)}`, t.store ? {store: t.store} : undefined);
        const list = (full.next_run_times || []).map((x) => toMillis(typeof x === 'object' && x ? x.time : x)).filter((x) => x !== null);
        if (list.length) times = list;
      } catch (e) {
        if (e.status === 401) throw e;
      }
      return {id: t.id, label: t.name && t.name !== t.id ? t.name : t.id, href: taskHash(t.id, t.store), times};
    });
    if (!ctx.isCurrent()) return;
    const count = rows.reduce((n, r) => n + r.times.filter((t) => t >= from && t <= to).length, 0);
    replace(body, h('p', {class: 'muted'}, `${count} run${count === 1 ? '' : 's'} of ${rows.length} task${rows.length === 1 ? '' : 's'} (each task's next 5 fire times at most; up to ${MAX_TASKS} tasks).`),
      h('div', {class: 'timeline-scroll'}, timelineChart(rows, from, to, now)));
  }
  await load();
  const timer = setInterval(load, 60000);
  ctx.onCleanup(() => clearInterval(timer));
}
