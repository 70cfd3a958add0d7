// The live trigger preview: POST /api/v1/preview with the trigger's keys, debounced as the user types, and
// the next fire times in the chosen zone, with the times in or after a DST change flagged.
import * as api from './api.js';
import {h, replace, debounce, timeAgo} from './dom.js';

const NOTES = {
  dst_gap: ['DST gap', 'This wall-clock time does not exist on this day (clocks jump forward): the run is at the first time after the gap.'],
  dst_overlap: ['DST overlap', 'This wall-clock time happens twice on this day (clocks go back).'],
};

// A time of the preview shown as the wall-clock time it has in its zone: the ISO text's own digits.
function wallClock(iso) {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(iso || '');
  if (!m) return iso || '';
  const day = new Date(`${m[1]}T00:00:00Z`);
  const weekday = new Intl.DateTimeFormat(undefined, {weekday: 'short', timeZone: 'UTC'}).format(day);
  return `${weekday} ${m[1]} ${m[2]}${m[3] ? ` ${m[3] === 'Z' ? '+00:00' : m[3]}` : ''}`;
}

export function previewPanel({count = 10} = {}) {
  const description = h('p', {class: 'preview-description', 'data-testid': 'preview-description'});
  const list = h('ol', {class: 'time-list preview-list', id: 'preview-list', 'data-testid': 'preview-list'});
  const status = h('div', {class: 'preview-status', 'data-testid': 'preview-status', 'aria-live': 'polite'},
    h('p', {class: 'muted'}, 'Fill in the trigger to see when it fires.'));
  const node = h('section', {class: 'panel preview', 'aria-label': 'Trigger preview', 'data-testid': 'preview'},
    h('h2', null, 'Next fire times'), status, description, list);
  let controller = null;
  let seq = 0;

  async function run(keys) {
    if (controller) controller.abort();
    const mine = ++seq;
    if (!keys) {
      replace(status, h('p', {class: 'muted'}, 'Fill in the trigger to see when it fires.'));
      replace(description);
      replace(list);
      return;
    }
    controller = new AbortController();
    replace(status, h('p', {class: 'muted'}, 'Computing…'));
    try {
      const res = await api.post('preview', {...keys, count}, {signal: controller.signal});
      if (mine !== seq) return;
      replace(status);
      replace(description, res.description || '', res.timezone ? h('span', {class: 'muted'}, ` · times in ${res.timezone}`) : null);
      const times = res.times || [];
      replace(list, times.length ? times.map((t) => {
        const note = t.note && NOTES[t.note];
        return h('li', {'data-note': t.note || false, class: note ? 'has-note' : null},
          h('time', {datetime: t.time, title: t.time}, wallClock(t.time)), ' ',
          h('span', {class: 'muted'}, '('), timeAgo(t.time), h('span', {class: 'muted'}, ')'),
          note ? h('span', {class: 'badge badge-warn note', title: note[1], 'data-testid': 'preview-note'}, note[0]) : null,
          note ? h('span', {class: 'note-text'}, note[1]) : null);
      }) : h('li', {class: 'muted'}, 'This trigger never fires after now.'));
    } catch (e) {
      if (e.name === 'AbortError' || mine !== seq) return;
      replace(description);
      replace(list);
      replace(status, h('div', {class: 'alert alert-error', role: 'alert', 'data-testid': 'preview-error'},
        e.field ? h('strong', null, `${e.field}: `) : null, e.message));
    }
  }

  const debounced = debounce(run, 350);
  return {
    node,
    update: (keys) => debounced(keys),
    now: (keys) => run(keys),
    cancel: () => {
      debounced.cancel();
      if (controller) controller.abort();
    },
  };
}
