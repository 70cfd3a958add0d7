// The fields of a task besides its trigger (what runs, the options), shared by the new-task and edit forms.
// Values are written as the config file would write them (docs/daemon.md).
import * as api from './api.js';
import {h} from './dom.js';
import {select, labelled} from './widgets.js';

// initial: {function, command, args, kwargs, timeout, name, executor, max_instances, misfire_grace_time,
// coalesce}; opts: {prefix, onChange, canCommand}. Returns {node, values() → {key: text}, focus(key)}.
export function taskOptionsForm(initial = {}, opts = {}) {
  const prefix = opts.prefix || 'task';
  const inputs = {};
  const onChange = () => opts.onChange && opts.onChange();
  const input = (key, attrs = {}) => {
    const el = h(attrs.multiline ? 'textarea' : 'input', {
      id: `${prefix}-${key.replace(/_/g, '-')}`, 'data-testid': `${prefix}-${key.replace(/_/g, '-')}`, name: key,
      autocomplete: 'off', spellcheck: 'false', placeholder: attrs.placeholder, rows: attrs.multiline ? 2 : undefined,
      type: attrs.type, min: attrs.min,
      value: initial[key] !== undefined && initial[key] !== null ? String(initial[key]) : ''});
    el.addEventListener('input', onChange);
    inputs[key] = el;
    return el;
  };

  const isCommand = Boolean(initial.command);
  const canCommand = opts.canCommand ?? api.can('admin');
  const what = select({id: `${prefix}-what`, 'data-testid': `${prefix}-what`},
    [['function', 'A plugin function'], ...(canCommand || isCommand ? [['command', 'A shell command (admin)']] : [])],
    isCommand ? 'command' : 'function');
  what.disabled = opts.lockWhat || false;
  const fnGroup = h('div', {class: 'form-group'},
    labelled('Function', input('function', {placeholder: 'myplugin.cleanup'}), 'The name a plugin registered'),
    labelled('Arguments', input('args', {placeholder: '["a", 2]', multiline: true}), 'A JSON array (optional)'),
    labelled('Keyword arguments', input('kwargs', {placeholder: '{"to": "ops"}', multiline: true}), 'A JSON object (optional)'));
  const cmdGroup = h('div', {class: 'form-group'},
    labelled('Command', input('command', {placeholder: '/usr/local/bin/backup --quiet', multiline: true}),
      'Run as /bin/sh -c LINE on a process pool: a command is code execution on the daemon\'s host'),
    labelled('Timeout', input('timeout', {placeholder: '2h'}), 'Optional: stop the command after this long'));
  const show = () => {
    fnGroup.hidden = what.value !== 'function';
    cmdGroup.hidden = what.value !== 'command';
  };
  what.addEventListener('change', () => {
    show();
    onChange();
  });
  show();

  const coalesce = select({id: `${prefix}-coalesce`, 'data-testid': `${prefix}-coalesce`},
    [['', 'default'], ['true', 'yes'], ['false', 'no']],
    initial.coalesce === undefined || initial.coalesce === null ? '' : String(initial.coalesce));
  coalesce.addEventListener('change', onChange);
  inputs.coalesce = coalesce;

  const node = h('div', null,
    h('fieldset', {class: 'fieldset'}, h('legend', null, 'What runs'),
      labelled('Runs', what), fnGroup, cmdGroup),
    h('fieldset', {class: 'fieldset'}, h('legend', null, 'Options'),
      h('div', {class: 'form-grid'},
        labelled('Name', input('name', {placeholder: 'the id'})),
        labelled('Executor', input('executor', {placeholder: 'default'})),
        labelled('Max instances', input('max_instances', {placeholder: '1', type: 'number', min: 1})),
        labelled('Misfire grace time', input('misfire_grace_time', {placeholder: '1s, or none'})),
        labelled('Coalesce missed runs', coalesce))));

  return {
    node,
    what: () => what.value,
    // Every field as text (empty: not given), for the chosen kind of work only.
    values() {
      const skip = what.value === 'function' ? ['command', 'timeout'] : ['function', 'args', 'kwargs'];
      const out = {};
      for (const [key, el] of Object.entries(inputs)) if (!skip.includes(key)) out[key] = el.value.trim();
      return out;
    },
    focus(key) {
      const el = inputs[key];
      if (el) el.focus();
    },
  };
}
