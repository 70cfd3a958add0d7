// Building the page: elements made with createElement and textContent only (the CSP forbids inline script
// and style, and no data is ever parsed as HTML), badges, times, durations, tables, messages.

const SVG_NS = 'http://www.w3.org/2000/svg';

// Set one attribute or property of el from h()'s attrs.
function setAttr(el, key, value) {
  if (value === undefined || value === null || value === false) return;
  if (key.startsWith('on') && typeof value === 'function') {
    el.addEventListener(key.slice(2).toLowerCase(), value);
  } else if (key === 'class') {
    el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
  } else if (key === 'dataset') {
    for (const [k, v] of Object.entries(value)) if (v !== undefined && v !== null) el.dataset[k] = v;
  } else if (key === 'value' || key === 'checked' || key === 'selected' || key === 'indeterminate') {
    el[key] = value;
  } else if (key === 'style') {
    throw new Error('inline styles are not allowed (CSP): use a class');
  } else {
    el.setAttribute(key, value === true ? '' : String(value));
  }
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

// h('a', {href: '#/x', class: 'link'}, 'text', child...): an HTML element.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) for (const [k, v] of Object.entries(attrs)) setAttr(el, k, v);
  append(el, children);
  return el;
}

// The same for SVG elements.
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  if (attrs) for (const [k, v] of Object.entries(attrs)) setAttr(el, k, v);
  append(el, children);
  return el;
}

// el.append(...children) leaving out null, undefined and false (the DOM's own would write "null").
export function add(el, ...children) {
  append(el, children);
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

// ---- outcomes and states ----------------------------------------------------------------------------

const OUTCOME_CLASS = {
  succeeded: 'ok', failed: 'bad', crashed: 'bad', timed_out: 'bad', lost: 'warn', missed: 'warn',
  running: 'info', skipped: 'muted', cancelled: 'muted',
};
export const OUTCOMES = Object.keys(OUTCOME_CLASS);
export const FAILED_OUTCOMES = ['failed', 'timed_out', 'crashed', 'lost'];

export function outcomeClass(outcome) {
  return OUTCOME_CLASS[outcome] || 'muted';
}

export function outcomeBadge(outcome) {
  if (!outcome) return h('span', {class: 'badge badge-none'}, 'never run');
  return h('span', {class: `badge badge-${outcomeClass(outcome)}`, 'data-outcome': outcome},
    outcome.replace('_', ' '));
}

export function stateBadge(state) {
  const cls = state === 'scheduled' || state === 'running' ? 'ok' : state === 'paused' ? 'warn' : 'muted';
  return h('span', {class: `badge badge-${cls}`, 'data-state': state}, state || 'unknown');
}

// ---- times ------------------------------------------------------------------------------------------

// A time of the API (ISO-8601 text, or a number of µs or s) as milliseconds since the epoch, or null.
export function toMillis(value) {
  if (value === null || value === undefined || value === '' || value === '-') return null;
  if (typeof value === 'number') return value > 1e14 ? value / 1000 : value > 1e11 ? value : value * 1000;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

// "250ms", "1.5s", "2m10s", "3h5m", "2d4h".
export function formatDuration(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '–';
  const neg = ms < 0;
  ms = Math.abs(ms);
  let text;
  if (ms < 1000) text = `${Math.round(ms)}ms`;
  else if (ms < 10000) text = `${(ms / 1000).toFixed(1).replace(/\.0$/, '')}s`;
  else if (ms < 60000) text = `${Math.round(ms / 1000)}s`;
  else if (ms < 3600000) {
    const m = Math.floor(ms / 60000), sec = Math.round((ms % 60000) / 1000);
    text = sec ? `${m}m${sec}s` : `${m}m`;
  } else if (ms < 86400000) {
    const hr = Math.floor(ms / 3600000), m = Math.round((ms % 3600000) / 60000);
    text = m ? `${hr}h${m}m` : `${hr}h`;
  } else {
    const d = Math.floor(ms / 86400000), hr = Math.round((ms % 86400000) / 3600000);
    text = hr ? `${d}d${hr}h` : `${d}d`;
  }
  return neg ? `-${text}` : text;
}

// "in 5m", "3h ago", "just now".
export function relativeText(ms, now = Date.now()) {
  const diff = ms - now;
  if (Math.abs(diff) < 1000) return 'just now';
  const text = formatDuration(Math.abs(diff)).replace(/(\d+[a-z]+)\d+[a-z]+$/, '$1').replace(/\.\d/, '');
  return diff > 0 ? `in ${text}` : `${text} ago`;
}

const ABSOLUTE = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
  timeZoneName: 'short',
});

export function absoluteText(ms, iso) {
  const local = ABSOLUTE.format(new Date(ms));
  return iso && typeof iso === 'string' ? `${iso} (${local})` : local;
}

// A <time> showing how long ago or ahead value is, with the absolute time in its title; kept up to date.
export function timeAgo(value) {
  const ms = toMillis(value);
  if (ms === null) return h('span', {class: 'muted'}, '–');
  return h('time', {
    datetime: new Date(ms).toISOString(), title: absoluteText(ms, value), 'data-rel': String(ms),
    class: 'rel-time',
  }, relativeText(ms));
}

// A <time> with the absolute time itself (for output lines, fire times).
export function timeAbs(value, opts) {
  const ms = toMillis(value);
  if (ms === null) return h('span', {class: 'muted'}, '–');
  const fmt = new Intl.DateTimeFormat(undefined, opts || {
    month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
  return h('time', {datetime: new Date(ms).toISOString(), title: absoluteText(ms, value)}, fmt.format(ms));
}

export function refreshRelativeTimes(root = document) {
  const now = Date.now();
  for (const el of root.querySelectorAll('time[data-rel]')) {
    el.textContent = relativeText(Number(el.dataset.rel), now);
  }
}

// How long a run took, in ms (null when it did not start); a running one's time so far.
export function runDuration(run, now = Date.now()) {
  const start = toMillis(run.started_at);
  if (start === null) return null;
  const end = toMillis(run.finished_at);
  return (end === null ? now : end) - start;
}

// How long a run took as text; a running one's time so far with "+" ("12s+").
export function runDurationText(run) {
  const d = runDuration(run);
  return d === null ? '–' : formatDuration(d) + (run.outcome === 'running' ? '+' : '');
}

// ---- pieces of pages --------------------------------------------------------------------------------

export function pageHeader(title, ...actions) {
  return h('div', {class: 'page-header'},
    h('h1', {id: 'page-title', tabindex: '-1',
      'data-title': typeof title === 'string' ? title : title.firstChild && title.firstChild.textContent}, title),
    actions.length ? h('div', {class: 'page-actions'}, actions) : null);
}

export function button(label, attrs = {}, onClick) {
  const cls = ['button', attrs.kind ? `button-${attrs.kind}` : null, attrs.class].filter(Boolean).join(' ');
  const a = {...attrs, type: attrs.type || 'button', class: cls};
  delete a.kind;
  if (onClick) a.onclick = onClick;
  return h('button', a, label);
}

export function emptyState(title, text, ...actions) {
  return h('div', {class: 'empty', 'data-testid': 'empty-state'},
    h('p', {class: 'empty-title'}, title),
    text ? h('p', {class: 'empty-text'}, text) : null,
    actions.length ? h('div', {class: 'empty-actions'}, actions) : null);
}

// An error of the API as the user should see it: its message, as the server wrote it.
export function errorBox(err, testid = 'error') {
  const message = err && err.message ? err.message : String(err);
  return h('div', {class: 'alert alert-error', role: 'alert', 'data-testid': testid},
    err && err.field ? h('strong', null, `${err.field}: `) : null, message);
}

export function toast(message, kind = 'info', ms = 5000) {
  const box = document.getElementById('toasts');
  if (!box) return;
  const el = h('div', {class: `toast toast-${kind}`, 'data-testid': `toast-${kind}`}, message);
  const close = h('button', {type: 'button', class: 'icon-button toast-close', 'aria-label': 'Dismiss'}, '×');
  close.addEventListener('click', () => el.remove());
  el.appendChild(close);
  box.appendChild(el);
  while (box.children.length > 3) box.firstChild.remove();
  setTimeout(() => el.remove(), ms);
}

// A definition list of [label, value] pairs (value: a node or text; null/undefined shown as a dash).
export function fieldList(pairs, testid) {
  return h('dl', {class: 'fields', 'data-testid': testid},
    pairs.filter(Boolean).map(([label, value, key]) => [
      h('dt', null, label),
      h('dd', {'data-field': key || label}, value === null || value === undefined || value === ''
        ? h('span', {class: 'muted'}, '–') : value),
    ]));
}

export function jsonText(value) {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function code(text) {
  return text === null || text === undefined ? null : h('code', null, String(text));
}

export function debounce(fn, ms) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

// A card of overview figures.
export function statCard(label, value, kind, testid, href) {
  const body = [h('span', {class: 'stat-value'}, value === undefined || value === null ? '–' : String(value)),
    h('span', {class: 'stat-label'}, label)];
  return href
    ? h('a', {class: ['stat', kind ? `stat-${kind}` : null], href, 'data-testid': testid}, body)
    : h('div', {class: ['stat', kind ? `stat-${kind}` : null], 'data-testid': testid}, body);
}

export function shortId(id) {
  return id && id.length > 13 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
}
