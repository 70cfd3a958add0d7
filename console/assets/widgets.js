// Pieces several pages use: tables with sticky, sortable headers; cursor pagination; the before/after diff;
// a confirmation dialog.
import {h, s, clear, replace, jsonText} from './dom.js';

// ---- tables -----------------------------------------------------------------------------------------

// columns: [{key, label, sort (the API's sort key, optional), class, render(item) → node/text}]
// opts: {testid, rowAttrs(item) → attrs, onOpen(item) (Enter/click on a row), sort: 'id' | '-id',
//        onSort(newSort), caption}
export function dataTable(columns, items, opts = {}) {
  const head = h('tr', null, columns.map((c) => headerCell(c, opts)));
  const rows = items.map((item) => {
    const attrs = opts.rowAttrs ? opts.rowAttrs(item) : {};
    const tr = h('tr', attrs, columns.map((c) => h('td', {class: c.class, 'data-col': c.key, 'data-label': c.label},
      c.render ? c.render(item) : valueText(item[c.key]))));
    if (opts.onOpen) {
      tr.tabIndex = 0;
      tr.classList.add('row-link');
      tr.addEventListener('click', (e) => {
        if (e.target.closest('a, button, input, label, select, textarea')) return;
        opts.onOpen(item, e);
      });
      tr.addEventListener('keydown', (e) => {
        if (e.key === 'Enter' && e.target === tr) {
          e.preventDefault();
          opts.onOpen(item, e);
        }
      });
    }
    return tr;
  });
  return h('div', {class: 'table-wrap'},
    h('table', {class: 'table', 'data-testid': opts.testid, id: opts.id},
      opts.caption ? h('caption', {class: 'visually-hidden'}, opts.caption) : null,
      h('thead', null, head), h('tbody', null, rows)));
}

function valueText(v) {
  if (v === null || v === undefined || v === '') return h('span', {class: 'muted'}, '–');
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function headerCell(c, opts) {
  if (c.headerNode) return h('th', {scope: 'col', class: c.class}, c.headerNode);
  if (!c.sort || !opts.onSort) return h('th', {scope: 'col', class: c.class}, c.label);
  const current = opts.sort || '';
  const active = current.replace(/^-/, '') === c.sort;
  const descending = active && current.startsWith('-');
  const next = active && !descending ? `-${c.sort}` : c.sort;
  const btn = h('button', {
    type: 'button', class: 'sort-button', 'data-testid': `sort-${c.sort}`,
    'aria-label': `Sort by ${c.label}${active ? (descending ? ', now descending' : ', now ascending') : ''}`,
  }, c.label, h('span', {class: 'sort-mark', 'aria-hidden': 'true'}, active ? (descending ? '▼' : '▲') : '↕'));
  btn.addEventListener('click', () => opts.onSort(next));
  return h('th', {scope: 'col', class: c.class,
    'aria-sort': active ? (descending ? 'descending' : 'ascending') : 'none'}, btn);
}

// ---- cursor pagination ------------------------------------------------------------------------------

// Keeps the cursors of the pages seen, so "Previous" can go back; the API's cursors only go forward.
export class Pager {
  constructor(limit = 50) {
    this.limit = limit;
    this.stack = [];      // cursors of the pages before the current one
    this.cursor = null;   // the current page's
    this.next = null;     // the API's next_cursor
  }
  reset() {
    this.stack = [];
    this.cursor = null;
    this.next = null;
  }
  query() {
    return {limit: this.limit, cursor: this.cursor || undefined};
  }
  got(page) {
    this.next = page && page.next_cursor ? page.next_cursor : null;
  }
  forward() {
    if (!this.next) return false;
    this.stack.push(this.cursor);
    this.cursor = this.next;
    return true;
  }
  back() {
    if (!this.stack.length) return false;
    this.cursor = this.stack.pop();
    return true;
  }
  get page() {
    return this.stack.length + 1;
  }
  // The controls: "Previous", "Page N (of M items)", "Next"; reload() draws the new page.
  controls(reload, total, shown, testid = 'pager') {
    const prev = h('button', {type: 'button', class: 'button', 'data-testid': `${testid}-prev`,
      disabled: this.stack.length === 0}, '‹ Previous');
    const next = h('button', {type: 'button', class: 'button', 'data-testid': `${testid}-next`,
      disabled: !this.next}, 'Next ›');
    prev.addEventListener('click', () => this.back() && reload());
    next.addEventListener('click', () => this.forward() && reload());
    const from = (this.page - 1) * this.limit + (shown ? 1 : 0);
    const to = (this.page - 1) * this.limit + shown;
    const info = total !== undefined && total !== null
      ? `${from}–${to} of ${total}` : shown ? `${from}–${to}` : 'nothing';
    return h('div', {class: 'pager', 'data-testid': testid}, prev,
      h('span', {class: 'pager-info', 'aria-live': 'polite'}, info), next);
  }
}

// ---- diffs ------------------------------------------------------------------------------------------

// changes: [{field, before, after}] (or an object {field: {before, after}}, as the audit trail has them).
export function diffView(changes, testid = 'diff') {
  const list = Array.isArray(changes) ? changes
    : Object.entries(changes || {}).map(([field, v]) => ({field, before: v && v.before, after: v && v.after}));
  if (!list.length) return h('p', {class: 'muted', 'data-testid': testid}, 'No change.');
  return h('table', {class: 'diff', 'data-testid': testid},
    h('thead', null, h('tr', null, h('th', {scope: 'col'}, 'Field'), h('th', {scope: 'col'}, 'Before'),
      h('th', {scope: 'col'}, 'After'))),
    h('tbody', null, list.map((c) => h('tr', {'data-field': c.field},
      h('th', {scope: 'row'}, c.field),
      h('td', {class: 'diff-before'}, diffValue(c.before)),
      h('td', {class: 'diff-after'}, diffValue(c.after))))));
}

function diffValue(v) {
  if (v === null || v === undefined) return h('span', {class: 'muted'}, 'none');
  return h('code', null, jsonText(v));
}

// ---- dialogs ----------------------------------------------------------------------------------------

// A modal question; resolves true when confirmed. Uses <dialog> (focus is kept inside it, Esc cancels).
export function confirmDialog(title, text, confirmLabel = 'Confirm', danger = true) {
  return new Promise((resolve) => {
    const ok = h('button', {type: 'submit', class: `button ${danger ? 'button-danger' : 'button-primary'}`,
      value: 'ok', 'data-testid': 'confirm-ok'}, confirmLabel);
    const cancel = h('button', {type: 'submit', class: 'button', value: 'cancel', 'data-testid': 'confirm-cancel',
      formnovalidate: true}, 'Cancel');
    const dlg = h('dialog', {class: 'dialog', 'aria-labelledby': 'dialog-title', 'data-testid': 'confirm-dialog'},
      h('form', {method: 'dialog'},
        h('h2', {id: 'dialog-title'}, title),
        text ? h('p', null, text) : null,
        h('div', {class: 'dialog-actions'}, cancel, ok)));
    document.body.appendChild(dlg);
    dlg.addEventListener('close', () => {
      resolve(dlg.returnValue === 'ok');
      dlg.remove();
    });
    dlg.showModal();
    cancel.focus();
  });
}

// ---- a select of options ----------------------------------------------------------------------------

// options: [[value, label]]
export function select(attrs, options, current) {
  return h('select', attrs, options.map(([value, label]) =>
    h('option', {value, selected: String(value) === String(current ?? '')}, label)));
}

export function labelled(label, control, hint) {
  const id = control.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  control.id = id;
  return h('div', {class: 'form-row'}, h('label', {for: id}, label), control,
    hint ? h('p', {class: 'hint', id: `${id}-hint`}, hint) : null);
}

export {s, clear, replace};
