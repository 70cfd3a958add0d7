// The scheduler's events as they happen: an EventSource on /api/v1/events (it sends the session cookie),
// newest on top, at most MAX_EVENTS kept; Pause holds new events back (counted) until Resume.
import * as api from './api.js';
import {apiUrl} from './api.js';
import {h, add, replace, pageHeader, timeAbs, outcomeBadge, button, emptyState} from './dom.js';
import {taskHash, runHash} from './shared.js';

const MAX_EVENTS = 200;
// Every code of asyncz/event.h: an EventSource only hands over the event names it listens for.
const NAMES = ['SCHEDULER_START', 'SCHEDULER_SHUTDOWN', 'SCHEDULER_PAUSED', 'SCHEDULER_RESUMED', 'EXECUTOR_ADDED',
  'EXECUTOR_REMOVED', 'STORE_ADDED', 'STORE_REMOVED', 'ALL_TASKS_REMOVED', 'TASK_ADDED', 'TASK_REMOVED',
  'TASK_MODIFIED', 'TASK_EXECUTED', 'TASK_ERROR', 'TASK_MISSED', 'TASK_SUBMITTED', 'TASK_MAX_INSTANCES',
  'SCHEDULER_WAKEUP_CLOCK', 'TASK_QUARANTINED', 'SCHEDULER_LOST', 'TASK_LOST'];
const KIND = {TASK_EXECUTED: 'ok', TASK_ERROR: 'bad', TASK_MISSED: 'warn', TASK_LOST: 'warn', SCHEDULER_LOST: 'warn',
  TASK_QUARANTINED: 'bad', TASK_MAX_INSTANCES: 'warn', SCHEDULER_WAKEUP_CLOCK: 'warn'};

function eventItem(name, data) {
  const store = data.alias || data.store || undefined;
  const details = [];
  if (data.outcome && typeof data.outcome === 'string') details.push(outcomeBadge(data.outcome));
  if (data.error_message) details.push(h('span', {class: 'text-bad'}, data.error_message));
  if (data.instance_id) details.push(h('span', null, `scheduler ${data.instance_id}`));
  if (data.run_id) details.push(h('a', {href: runHash(data.run_id, store)}, 'run'));
  return h('li', {class: `event event-${KIND[name] || 'muted'}`, 'data-event': name, 'data-testid': 'event-item'},
    h('span', {class: 'event-time'}, timeAbs(data.time || new Date().toISOString(), {hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23'})),
    h('span', {class: `badge badge-${KIND[name] || 'muted'} event-name`}, name),
    data.task_id ? h('a', {class: 'event-task', href: taskHash(data.task_id, store)}, data.task_id) : h('span', {class: 'event-task muted'}, store || ''),
    h('span', {class: 'event-details'}, details));
}

export async function render(ctx) {
  const list = h('ol', {class: 'event-list', id: 'event-list', 'data-testid': 'event-list', 'aria-live': 'off'});
  const status = h('span', {class: 'live', 'data-testid': 'events-status'}, h('span', {class: 'dot dot-muted'}), 'connecting…');
  const held = [];
  let paused = false;
  const pauseButton = button('Pause', {id: 'events-pause', 'data-testid': 'events-pause', 'aria-pressed': 'false'}, () => {
    paused = !paused;
    pauseButton.textContent = paused ? 'Resume' : 'Pause';
    pauseButton.setAttribute('aria-pressed', paused ? 'true' : 'false');
    if (!paused) {
      for (const el of held.splice(0).reverse()) addEvent(el);
    }
    heldNote();
  });
  const clearButton = button('Clear', {'data-testid': 'events-clear'}, () => {
    replace(list);
    held.length = 0;
    heldNote();
    showEmpty();
  });
  const heldText = h('p', {class: 'held', 'data-testid': 'events-held', hidden: true});
  const empty = emptyState('No event yet.', 'Events appear here as the scheduler adds, runs and changes tasks. Run a task to see one.');
  add(ctx.main, pageHeader('Events', status, pauseButton, clearButton), heldText, empty, list);

  function showEmpty() {
    empty.hidden = list.children.length > 0;
  }
  function heldNote() {
    heldText.hidden = !paused;
    heldText.textContent = `Paused: ${held.length} new event${held.length === 1 ? '' : 's'} held back${held.length >= MAX_EVENTS ? ' (the oldest dropped)' : ''}.`;
  }
  function addEvent(el) {
    list.prepend(el);
    while (list.children.length > MAX_EVENTS) list.lastChild.remove();
    showEmpty();
  }
  function setStatus(kind, text) {
    replace(status, h('span', {class: `dot dot-${kind}`}), text);
  }

  const source = new EventSource(apiUrl('events'));
  ctx.onCleanup(() => source.close());
  const onEvent = (e) => {
    let data = {};
    try {
      data = JSON.parse(e.data);
    } catch (err) {
      data = {text: e.data};
    }
    const name = e.type === 'message' ? data.event || data.code || 'EVENT' : e.type;
    const el = eventItem(name, data);
    if (paused) {
      held.unshift(el);
      if (held.length > MAX_EVENTS) held.pop();
      heldNote();
    } else {
      addEvent(el);
    }
  };
  for (const n of [...NAMES, 'message']) source.addEventListener(n, onEvent);
  source.addEventListener('open', () => setStatus('ok', 'live'));
  source.addEventListener('error', () => {
    if (source.readyState === EventSource.CLOSED) {
      setStatus('bad', 'disconnected: reload the page');
      // a stream refused for an expired session: any API call now leads to the login page
      api.get('session').then((s) => {
        if (!s || !s.authenticated) api.get('status').catch(() => {});
      }).catch(() => {});
    } else {
      setStatus('warn', 'reconnecting…');
    }
  });
}
