// What the pages share: the daemon's status (for the header, the store and zone lists), hash routes and
// navigation. Kept apart from app.js so that pages do not import the entry point.
import * as api from './api.js';

const shared = {
  status: null,
  statusListeners: [],
  navigate: null,
};

// "#/tasks" + {q: 'x', state: ''} → "#/tasks?q=x".
export function hashWith(path, query) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) if (v !== undefined && v !== null && v !== '') qs.set(k, v);
  const text = qs.toString();
  return text ? `${path}?${text}` : path;
}

// "#/tasks/backup?store=a" → {parts: ['tasks', 'backup'], query: URLSearchParams}.
export function parseHash(hash) {
  const text = (hash || '').replace(/^#\/?/, '');
  const q = text.indexOf('?');
  const path = q < 0 ? text : text.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : text.slice(q + 1));
  const parts = path.split('/').filter((p) => p !== '').map((p) => {
    try {
      return decodeURIComponent(p);
    } catch (e) {
      return p;
    }
  });
  return {parts, query};
}

// The route of one task's page.
export function taskHash(id, store, suffix = '') {
  return hashWith(`#/tasks/${encodeURIComponent(id)}${suffix}`, {store});
}

export function runHash(runId, store) {
  return hashWith(`#/runs/${encodeURIComponent(runId)}`, {store});
}

export function getStatus() {
  return shared.status;
}

export function clearStatus() {
  shared.status = null;
}

export function onStatus(fn) {
  shared.statusListeners.push(fn);
}

// GET /api/v1/status, kept for the header; force: ask again.
export async function loadStatus(force) {
  if (shared.status && !force) return shared.status;
  shared.status = await api.get('status');
  for (const fn of shared.statusListeners) fn(shared.status);
  return shared.status;
}

export function setNavigate(fn) {
  shared.navigate = fn;
}

export function navigate(hash, replaceEntry) {
  shared.navigate(hash, replaceEntry);
}

// The store names the daemon has, for filters and forms.
export async function storeNames() {
  try {
    const st = await loadStatus(false);
    return (st.stores || []).map((x) => (typeof x === 'string' ? x : x.name)).filter(Boolean);
  } catch (e) {
    if (e.status === 401) throw e;
    return [];
  }
}
