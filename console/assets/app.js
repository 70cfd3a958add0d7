// The console's entry point: the session, the header and navigation, and the hash router that draws one
// page at a time into <main>. Pages are modules (page-*.js) exporting render(ctx).
import * as api from './api.js';
import {h, clear, replace, refreshRelativeTimes, toast} from './dom.js';
import {hashWith, parseHash, loadStatus, clearStatus, onStatus, setNavigate} from './shared.js';
import * as login from './page-login.js';
import * as overview from './page-overview.js';
import * as tasks from './page-tasks.js';
import * as task from './page-task.js';
import * as edit from './page-edit.js';
import * as newTask from './page-new.js';
import * as runs from './page-runs.js';
import * as run from './page-run.js';
import * as events from './page-events.js';
import * as audit from './page-audit.js';
import * as instances from './page-instances.js';
import * as quarantine from './page-quarantine.js';
import * as timeline from './page-timeline.js';
import * as runtime from './page-runtime.js';

// The navigation: [route, label, icon path].
const NAV = [
  ['overview', 'Overview', 'M3 13h8V3H3zm10 8h8V11h-8zM3 21h8v-6H3zm10-18v6h8V3z'],
  ['tasks', 'Tasks', 'M9 6h11M9 12h11M9 18h11M4 6h.01M4 12h.01M4 18h.01'],
  ['new', 'New task', 'M12 5v14M5 12h14'],
  ['runs', 'Run history', 'M12 8v4l3 2M3.05 11a9 9 0 1 1 .5 4M3 4v5h5'],
  ['timeline', 'Timeline', 'M3 12h18M7 8v8M12 6v12M17 9v6'],
  ['events', 'Events', 'M13 2 3 14h9l-1 8 10-12h-9z'],
  ['audit', 'Audit trail', 'M9 12l2 2 4-4M5 3h14v18l-7-3-7 3z'],
  ['instances', 'Instances', 'M4 5h16v5H4zM4 14h16v5H4zM8 7.5h.01M8 16.5h.01'],
  ['quarantine', 'Quarantine', 'M12 3l8 4v5c0 5-3.5 8-8 9-4.5-1-8-4-8-9V7z'],
  ['runtime', 'Runtime', 'M4 4h16v12H4zM8 20h8M12 16v4'],
];

// Route table: the first path segment → page module (and how the rest of the path is read).
function pageFor(parts) {
  const [first, second, third] = parts;
  switch (first) {
    case 'login': return [login, {}];
    case undefined: case '': case 'overview': return [overview, {}];
    case 'tasks':
      if (second && third === 'edit') return [edit, {id: second}];
      if (second) return [task, {id: second}];
      return [tasks, {}];
    case 'new': return [newTask, {}];
    case 'runs': return second ? [run, {runId: second}] : [runs, {}];
    case 'events': return [events, {}];
    case 'audit': return [audit, {}];
    case 'instances': return [instances, {}];
    case 'quarantine': return [quarantine, {}];
    case 'timeline': return [timeline, {}];
    case 'runtime': return [runtime, {}];
    default: return [null, {}];
  }
}

const app = {
  cleanups: [],
  renderToken: 0,
  flash: null,         // a message for the next page drawn (the login's "session expired")
};

function drawIdentity(st) {
  const box = document.getElementById('identity');
  if (!st) return clear(box);
  replace(box,
    h('span', {class: ['dot', st.state === 'paused' ? 'dot-warn' : 'dot-ok'], 'aria-hidden': 'true'}),
    h('span', {class: 'identity-name', title: `${st.host || ''} pid ${st.pid || ''}`,
      'data-testid': 'identity-name'}, st.identity || st.host || 'asyncz'),
    st.state === 'paused' ? h('span', {class: 'badge badge-warn'}, 'paused') : null,
    st.version ? h('span', {class: 'identity-version'}, `v${st.version}`) : null);
}

function drawNav(activeRoute) {
  const nav = document.getElementById('nav');
  const items = NAV.filter(([route]) => route !== 'new' || api.can('operator'));
  replace(nav, h('ul', {class: 'nav-list'}, items.map(([route, label, icon]) =>
    h('li', null, h('a', {
      href: `#/${route}`, id: `nav-${route}`, 'data-testid': `nav-${route}`, class: 'nav-link',
      'aria-current': route === activeRoute ? 'page' : false,
    }, h('span', {class: 'nav-icon', 'aria-hidden': 'true'}, navIcon(icon)), h('span', null, label))))));
  nav.hidden = false;
}

function navIcon(d) {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '18');
  svg.setAttribute('height', '18');
  svg.setAttribute('focusable', 'false');
  const path = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  path.setAttribute('d', d);
  path.setAttribute('class', 'stroke-icon');
  svg.appendChild(path);
  return svg;
}

function drawUser() {
  const s = api.session();
  const box = document.getElementById('user-box');
  if (!s) {
    box.hidden = true;
    document.getElementById('nav').hidden = true;
    clear(document.getElementById('identity'));
    return;
  }
  document.getElementById('user-name').textContent = s.user || '';
  document.getElementById('user-role').textContent = s.role || '';
  box.hidden = false;
}

function setMenuOpen(open) {
  document.getElementById('app').classList.toggle('nav-open', open);
  document.getElementById('menu-button').setAttribute('aria-expanded', open ? 'true' : 'false');
}

function runCleanups() {
  for (const fn of app.cleanups.splice(0)) {
    try {
      fn();
    } catch (e) {
      console.error(e);
    }
  }
}

// Draw the page of the current hash.
async function route() {
  const token = ++app.renderToken;
  // A page chosen from the navigation gets the focus on its title, so a screen reader announces it.
  const fromNav = Boolean(document.activeElement && document.activeElement.closest('#nav'));
  runCleanups();
  setMenuOpen(false);
  const {parts, query} = parseHash(location.hash);
  const main = document.getElementById('main');
  const [page, params] = pageFor(parts);
  const isLogin = page === login;
  if (!api.session() && !isLogin) {
    // not logged in: the login page, coming back here afterwards
    navigate(hashWith('#/login', {next: location.hash || '#/overview'}), true);
    return;
  }
  if (api.session() && isLogin) {
    navigate(api.safeNext(query.get('next')), true);
    return;
  }
  drawUser();
  if (!isLogin) {
    drawNav(parts[0] || 'overview');
    loadStatus(false).catch(() => {});
  }
  const flash = app.flash;
  app.flash = null;
  clear(main);
  document.body.dataset.page = isLogin ? 'login' : parts[0] || 'overview';
  if (!page) {
    main.appendChild(h('div', {class: 'empty'}, h('h1', null, 'No such page'),
      h('p', null, 'The address names no page of the console. '), h('a', {href: '#/overview'}, 'Go to the overview')));
    return;
  }
  const ctx = {
    main, params, query, parts, flash,
    isCurrent: () => token === app.renderToken,
    onCleanup: (fn) => app.cleanups.push(fn),
    navigate,
    refreshStatus: () => loadStatus(true),
  };
  try {
    await page.render(ctx);
  } catch (e) {
    if (e.name === 'AbortError' || token !== app.renderToken) return;
    if (e.status === 401) return; // the login page is on its way
    console.error(e);
    main.appendChild(h('div', {class: 'alert alert-error', role: 'alert', 'data-testid': 'error'},
      e.message || String(e)));
  }
  if (token === app.renderToken && !isLogin) {
    const title = document.getElementById('page-title');
    document.title = title ? `${title.dataset.title || title.textContent} · asyncz` : 'asyncz console';
    if (title && fromNav) title.focus({preventScroll: true});
  }
}

// Go to a hash route; replace: without a new history entry.
function navigate(hash, replaceEntry) {
  if (location.hash === hash) {
    route();
  } else if (replaceEntry) {
    history.replaceState(null, '', hash);
    route();
  } else {
    location.hash = hash;
  }
}

function sessionExpired() {
  if (!api.session()) return;
  api.setSession(null);
  clearStatus();
  app.flash = 'Your session expired: log in again.';
  const here = location.hash && !location.hash.startsWith('#/login') ? location.hash : '#/overview';
  navigate(hashWith('#/login', {next: here}), true);
}

async function doLogout() {
  try {
    await api.logout();
  } catch (e) {
    if (e.status !== 401) toast(e.message, 'error');
  }
  api.setSession(null);
  clearStatus();
  app.flash = 'You are logged out.';
  navigate('#/login', false);
}

function onKey(e) {
  const target = e.target;
  const typing = target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  if (e.key === '/' && !typing && !e.ctrlKey && !e.metaKey && !e.altKey) {
    const search = document.querySelector('[data-search]');
    if (search) {
      e.preventDefault();
      search.focus();
      search.select();
    }
  } else if (e.key === 'Escape' && document.getElementById('app').classList.contains('nav-open')) {
    setMenuOpen(false);
    document.getElementById('menu-button').focus();
  }
}

async function start() {
  api.onUnauthorized(sessionExpired);
  setNavigate(navigate);
  onStatus(drawIdentity);
  document.getElementById('logout-button').addEventListener('click', doLogout);
  // "Skip to content" must not change the hash (that is the router's)
  document.getElementById('skip-link').addEventListener('click', (e) => {
    e.preventDefault();
    document.getElementById('main').focus();
  });
  document.getElementById('menu-button').addEventListener('click', () =>
    setMenuOpen(!document.getElementById('app').classList.contains('nav-open')));
  document.getElementById('nav').addEventListener('click', (e) => {
    if (e.target.closest('a')) setMenuOpen(false);
  });
  document.addEventListener('keydown', onKey);
  window.addEventListener('hashchange', route);
  setInterval(() => refreshRelativeTimes(), 15000);
  // A login page reached as ?next=#/route keeps only a local hash route.
  const params = new URLSearchParams(location.search);
  if (!location.hash && params.get('next')) history.replaceState(null, '', api.safeNext(params.get('next')));
  try {
    await api.loadSession();
  } catch (e) {
    const main = document.getElementById('main');
    replace(main, h('div', {class: 'alert alert-error', role: 'alert', 'data-testid': 'error'},
      `The console cannot reach the daemon's API: ${e.message}`));
    return;
  }
  route();
}

start();
