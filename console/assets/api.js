// Talking to the daemon's JSON API. Every URL is relative to the page, which is served at <prefix>/console/,
// so the API is <prefix>/api/v1/ whatever prefix a reverse proxy adds. The session cookie is HttpOnly and
// sent by the browser; every request that changes something carries the CSRF token the session gave.

export const API_BASE = new URL('../api/v1/', document.baseURI);

export class ApiError extends Error {
  constructor(status, body, fallback) {
    const err = body && body.error ? body.error : null;
    super(err && err.message ? err.message : fallback);
    this.name = 'ApiError';
    this.status = status;
    this.code = err && err.code ? err.code : 'http_' + status;
    this.field = err && err.field ? err.field : null;
    this.body = body;
  }
}

const state = {
  session: null,      // what GET /api/v1/session said: {authenticated, user, role, csrf_token}
  onUnauthorized: null,
};

const ROLE_RANK = {none: 0, viewer: 1, operator: 2, admin: 3};

export function session() {
  return state.session;
}

export function setSession(s) {
  state.session = s && s.authenticated ? s : null;
}

// Whether the logged-in user has at least role (the server checks anyway: this only hides buttons).
export function can(role) {
  const mine = state.session ? state.session.role : 'none';
  return (ROLE_RANK[mine] || 0) >= (ROLE_RANK[role] || 0);
}

// Called with no argument when a request is answered 401 (the session expired or was revoked).
export function onUnauthorized(fn) {
  state.onUnauthorized = fn;
}

// The URL of an API path ("tasks/backup/pause") with query parameters (empty ones left out).
export function apiUrl(path, query) {
  const url = new URL(path, API_BASE);
  if (query) {
    for (const [k, v] of Object.entries(query)) {
      if (v !== undefined && v !== null && v !== '') url.searchParams.set(k, String(v));
    }
  }
  return url;
}

// Path segments are encoded one by one: a task id may hold '@' or '+'.
export function seg(text) {
  return encodeURIComponent(text);
}

// request('GET', 'tasks', {query: {...}}) → the parsed body (null for 204); throws ApiError.
export async function request(method, path, {query, body, signal, quiet401} = {}) {
  const headers = {Accept: 'application/json'};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && state.session && state.session.csrf_token) {
    headers['X-CSRF-Token'] = state.session.csrf_token;
  }
  let resp;
  try {
    resp = await fetch(apiUrl(path, query), {
      method, headers, body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin', cache: 'no-store', redirect: 'error', signal,
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, null, 'The daemon cannot be reached: is it running? (' + e.message + ')');
  }
  let data = null;
  const text = resp.status === 204 ? '' : await resp.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (e) {
      data = null;
    }
  }
  if (!resp.ok) {
    const fallback = `${method} ${path}: HTTP ${resp.status} ${resp.statusText}`;
    const err = new ApiError(resp.status, data, fallback);
    if (resp.status === 429) {
      const after = resp.headers.get('Retry-After');
      if (after && !/retry/i.test(err.message)) err.message += ` (try again in ${after} s)`;
    }
    if (resp.status === 401 && !quiet401 && state.onUnauthorized) state.onUnauthorized(err);
    throw err;
  }
  return data;
}

export const get = (path, query, opts) => request('GET', path, {...opts, query});
export const post = (path, body, opts) => request('POST', path, {...opts, body: body === undefined ? {} : body});
export const patch = (path, body, opts) => request('PATCH', path, {...opts, body});
export const del = (path, query, opts) => request('DELETE', path, {...opts, query});

// ---- the session --------------------------------------------------------------------------------------

export async function loadSession() {
  const s = await request('GET', 'session', {quiet401: true});
  setSession(s);
  return state.session;
}

export async function login(user, password) {
  const s = await request('POST', 'session', {body: {user, password}, quiet401: true});
  setSession(s);
  if (!state.session) throw new ApiError(401, null, 'The daemon did not open a session: try again.');
  return state.session;
}

export async function logout() {
  try {
    await request('DELETE', 'session', {quiet401: true});
  } finally {
    state.session = null;
  }
}

// Only a local hash route ("#/tasks?q=x") may be where a login leads; anything else leads to the overview.
export function safeNext(next) {
  if (typeof next !== 'string' || next.length > 512) return '#/overview';
  if (!/^#\/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$/.test(next)) return '#/overview';
  if (next.startsWith('#/login')) return '#/overview';
  return next;
}
