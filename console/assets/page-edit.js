// Editing a task: a form of its fields; "Preview changes" asks PATCH ?dry_run=true and shows what would
// change (before / after); "Apply" makes the change. Only the fields the user changed are sent (an emptied
// field is sent as null: back to the default).
import * as api from './api.js';
import {h, add, replace, pageHeader, errorBox, toast, jsonText, code} from './dom.js';
import {diffView} from './widgets.js';
import {triggerForm} from './trigger-form.js';
import {taskOptionsForm} from './task-form.js';
import {previewPanel} from './preview.js';
import {taskHash, navigate} from './shared.js';

function initialValues(t) {
  const text = (v) => (v === null || v === undefined ? '' : String(v));
  return {
    name: text(t.name),
    function: t.command ? '' : text(t.function),
    args: t.command || t.args === null || t.args === undefined || (Array.isArray(t.args) && !t.args.length) ? '' : jsonText(t.args),
    kwargs: t.command || t.kwargs === null || t.kwargs === undefined || (typeof t.kwargs === 'object' && !Object.keys(t.kwargs).length) ? '' : jsonText(t.kwargs),
    command: text(t.command),
    timeout: text(t.timeout),
    executor: text(t.executor),
    max_instances: text(t.max_instances),
    misfire_grace_time: t.misfire_grace_time === 'unlimited' ? 'none' : text(t.misfire_grace_time),
    coalesce: t.coalesce === undefined || t.coalesce === null ? '' : String(t.coalesce),
  };
}

export async function render(ctx) {
  const id = ctx.params.id;
  const store = ctx.query.get('store') || undefined;
  let t;
  try {
    t = await api.get(`tasks/${api.seg(id)}`, {store});
  } catch (e) {
    if (e.status === 401) return;
    add(ctx.main, pageHeader(`Edit ${id}`), errorBox(e));
    return;
  }
  if (!ctx.isCurrent()) return;
  const back = taskHash(id, store);
  add(ctx.main, h('p', {class: 'breadcrumb'}, h('a', {href: '#/tasks'}, 'Tasks'), ' / ',
    h('a', {href: back}, id), ' / edit'), pageHeader(`Edit ${id}`));
  if (!api.can('operator') || (t.command && !api.can('admin'))) {
    add(ctx.main, h('div', {class: 'alert alert-info'}, t.command
      ? 'This task runs a shell command: only an admin can change it.'
      : 'Your role (viewer) cannot change tasks: ask an operator.'));
    return;
  }

  const initial = initialValues(t);
  const diffBox = h('div', {class: 'diff-box', id: 'edit-diff', 'data-testid': 'edit-diff', 'aria-live': 'polite'},
    h('p', {class: 'muted'}, 'Change fields, then preview the changes before applying them.'));
  const preview = previewPanel({count: 5});
  ctx.onCleanup(() => preview.cancel());
  let previewed = null; // the body the diff shows, so Apply sends exactly that
  const changed = () => {
    previewed = null;
    apply.disabled = true;
    if (trigger.complete()) {
      const keys = trigger.values();
      keys.timezone = trigger.zone() || undefined;
      preview.update(keys);
    } else {
      preview.update(null);
    }
  };
  const trigger = triggerForm({prefix: 'edit-trigger', allowKeep: true, zone: t.timezone && t.timezone !== 'local' ? t.timezone : '',
    keepLabel: `Keep the current trigger`, onChange: changed});
  const options = taskOptionsForm(initial, {prefix: 'edit', onChange: changed, lockWhat: true});

  function body() {
    const out = {};
    for (const [k, v] of Object.entries(options.values())) {
      if (v !== (initial[k] ?? '')) out[k] = v === '' ? null : v;
    }
    Object.assign(out, trigger.values());
    const zone = trigger.zone();
    const zoneBefore = t.timezone && t.timezone !== 'local' ? t.timezone : '';
    if (zone !== zoneBefore) out.timezone = zone === '' ? null : zone;
    return out;
  }

  const previewButton = h('button', {type: 'submit', class: 'button button-primary', id: 'edit-preview',
    'data-testid': 'edit-preview'}, 'Preview changes');
  const apply = h('button', {type: 'button', class: 'button button-primary', id: 'edit-apply',
    'data-testid': 'edit-apply', disabled: true}, 'Apply');
  const form = h('form', {class: 'task-form', id: 'edit-form', 'data-testid': 'edit-form', novalidate: true},
    h('p', null, 'Current trigger: ', code(t.trigger)),
    trigger.node, options.node,
    h('div', {class: 'form-actions'}, previewButton, h('a', {class: 'button', href: back}, 'Cancel')));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const b = body();
    if (trigger.kind() && !trigger.complete()) {
      replace(diffBox, errorBox({message: 'Fill in the new trigger, or keep the current one.', field: 'trigger'}));
      return;
    }
    if (!Object.keys(b).length) {
      replace(diffBox, h('p', {class: 'muted'}, 'Nothing changed yet.'));
      return;
    }
    previewButton.disabled = true;
    try {
      const res = await api.patch(`tasks/${api.seg(id)}`, b, {query: {dry_run: 'true', store}});
      replace(diffBox, h('h2', null, 'What would change'), diffView(res.changes || [], 'edit-diff-table'),
        h('div', {class: 'form-actions'}, apply));
      previewed = (res.changes || []).length ? b : null;
      apply.disabled = !previewed;
    } catch (err) {
      if (err.status !== 401) replace(diffBox, errorBox(err, 'edit-error'));
      if (err.field) options.focus(err.field);
    } finally {
      previewButton.disabled = false;
    }
  });
  apply.addEventListener('click', async () => {
    if (!previewed) return;
    apply.disabled = true;
    try {
      const res = await api.patch(`tasks/${api.seg(id)}`, previewed, {query: {store}});
      const n = (res && res.changes ? res.changes.length : 0);
      toast(`Updated ${id}${n ? ` (${n} field${n > 1 ? 's' : ''})` : ''}.`, 'ok');
      navigate(back);
    } catch (err) {
      apply.disabled = false;
      if (err.status !== 401) replace(diffBox, errorBox(err, 'edit-error'));
    }
  });

  add(ctx.main, h('div', {class: 'form-layout'}, form,
    h('aside', {class: 'form-aside'}, h('section', {class: 'panel'}, h('h2', null, 'Changes'), diffBox), preview.node)));
}
