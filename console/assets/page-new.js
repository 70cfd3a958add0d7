// A new task: id, store, trigger (with a live preview of its next fire times in the chosen zone, DST gaps and
// overlaps flagged), what runs (a plugin function, or for an admin a shell command), options.
import * as api from './api.js';
import {h, add, replace, pageHeader, errorBox, toast} from './dom.js';
import {select, labelled} from './widgets.js';
import {triggerForm} from './trigger-form.js';
import {taskOptionsForm} from './task-form.js';
import {previewPanel} from './preview.js';
import {taskHash, navigate, storeNames} from './shared.js';

export async function render(ctx) {
  add(ctx.main, pageHeader('New task'));
  if (!api.can('operator')) {
    add(ctx.main, h('div', {class: 'alert alert-info'}, 'Your role (viewer) cannot create tasks: ask an operator.'));
    return;
  }
  const stores = await storeNames();
  const id = h('input', {id: 'new-id', 'data-testid': 'new-id', name: 'id', required: true, autocomplete: 'off',
    spellcheck: 'false', pattern: '[A-Za-z0-9_@+][A-Za-z0-9._@+-]*', maxlength: 255, placeholder: 'backup-db'});
  const store = select({id: 'new-store', 'data-testid': 'new-store'},
    stores.length ? stores.map((n) => [n, n]) : [['', 'default']], ctx.query.get('store') || stores[0] || '');
  const paused = h('input', {type: 'checkbox', id: 'new-paused', 'data-testid': 'new-paused'});
  const preview = previewPanel();
  ctx.onCleanup(() => preview.cancel());
  const trigger = triggerForm({prefix: 'new-trigger', onChange: () => updatePreview()});
  const options = taskOptionsForm({}, {prefix: 'new'});
  const message = h('div', {'data-testid': 'new-message', 'aria-live': 'assertive'});
  const submit = h('button', {type: 'submit', class: 'button button-primary', id: 'new-submit',
    'data-testid': 'new-submit'}, 'Create task');

  function updatePreview() {
    if (!trigger.complete()) return preview.update(null);
    const keys = trigger.values();
    if (trigger.zone()) keys.timezone = trigger.zone();
    preview.update(keys);
  }

  const form = h('form', {class: 'task-form', id: 'new-form', 'data-testid': 'new-form', novalidate: true},
    h('fieldset', {class: 'fieldset'}, h('legend', null, 'Task'),
      h('div', {class: 'form-grid'},
        labelled('Id', id, '1 to 255 of A-Z a-z 0-9 . _ @ + -, not starting with . or -'),
        labelled('Store', store),
        h('div', {class: 'form-row form-check'}, paused, h('label', {for: 'new-paused'}, 'Create it paused')))),
    trigger.node, options.node, message,
    h('div', {class: 'form-actions'}, submit, h('a', {class: 'button', href: '#/tasks'}, 'Cancel')));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    replace(message);
    if (!id.value.trim()) {
      replace(message, errorBox({message: 'Give the task an id.', field: 'id'}));
      id.focus();
      return;
    }
    if (!trigger.complete()) {
      replace(message, errorBox({message: 'Fill in the trigger: when should the task run?', field: 'trigger'}));
      return;
    }
    const body = {id: id.value.trim()};
    if (store.value) body.store = store.value;
    Object.assign(body, trigger.values());
    if (trigger.zone()) body.timezone = trigger.zone();
    for (const [k, v] of Object.entries(options.values())) if (v !== '') body[k] = v;
    if (paused.checked) body.paused = true;
    if (!body.function && !body.command) {
      replace(message, errorBox({message: `Name the ${options.what()} the task runs.`, field: options.what()}));
      options.focus(options.what());
      return;
    }
    submit.disabled = true;
    try {
      const t = await api.post('tasks', body);
      toast(`Created ${t && t.id ? t.id : body.id}.`, 'ok');
      navigate(taskHash(body.id, body.store));
    } catch (err) {
      if (err.status === 401) return;
      replace(message, errorBox(err, 'new-error'));
      if (err.field === 'id') id.focus();
      else if (err.field) options.focus(err.field);
    } finally {
      submit.disabled = false;
    }
  });

  add(ctx.main, h('div', {class: 'form-layout'}, form, h('aside', {class: 'form-aside'}, preview.node)));
  id.focus();
}
