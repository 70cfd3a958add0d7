// The trigger part of the task forms: a kind and its fields, written as the keys of a [task] section of the
// daemon's config (docs/daemon.md), and the zone. values() gives only the keys the user filled in.
import {h} from './dom.js';
import {select, labelled} from './widgets.js';

export const KINDS = [
  ['cron', 'Cron expression'],
  ['interval', 'Every (interval)'],
  ['calendar_interval', 'Calendar interval'],
  ['at', 'Once, at a time'],
  ['fields', 'Cron fields'],
];

const FIELDS = {
  cron: [['cron', 'Cron expression', '0 9 * * mon-fri', 'm h dom mon dow (cron(5): day of week 0 = Sunday), 6 fields with seconds first, or @daily']],
  interval: [['interval', 'Interval', '15m', 'Elapsed time between runs: 30s, 1h30m, 2d'],
    ['start_date', 'Start', '2026-12-24T09:00', 'Optional: the first run (ISO-8601; naive times are in the zone below)']],
  calendar_interval: [['calendar_interval', 'Calendar interval', '1d', 'Calendar time: 1d, 2w, 1mo, 1y6mo'],
    ['time_of_day', 'Time of day', '09:00', 'HH:MM[:SS]']],
  at: [['at', 'At', '2026-12-24T18:00', 'One run at an ISO-8601 time; the task is removed after it']],
  fields: [['second', 'Second', '0'], ['minute', 'Minute', '*/15'], ['hour', 'Hour', '9-17'],
    ['day_of_week', 'Day of week', 'mon-fri', '0 = Monday (APScheduler 3)'], ['day', 'Day', '*'],
    ['month', 'Month', '*'], ['year', 'Year', ''], ['week', 'ISO week', '']],
};
const ADVANCED = [['end_date', 'End', '', 'Optional: no run after this time (ISO-8601)'],
  ['jitter', 'Jitter', '', 'Optional: a random delay up to this duration (30s)']];

// The zones the browser knows (no download: Intl has them), for the zone field's suggestions.
function zoneList() {
  try {
    return ['UTC', 'local', ...Intl.supportedValuesOf('timeZone')];
  } catch (e) {
    return ['UTC', 'local', 'Europe/Berlin', 'Europe/London', 'America/New_York', 'Asia/Tokyo'];
  }
}

// opts: {kind, values: {key: value}, zone, onChange, allowKeep (a "keep the current trigger" choice),
//        keepLabel, prefix (for ids)}
export function triggerForm(opts = {}) {
  const prefix = opts.prefix || 'trigger';
  const kinds = opts.allowKeep ? [['', opts.keepLabel || 'Keep the current trigger'], ...KINDS] : KINDS;
  const kindSel = select({id: `${prefix}-kind`, 'data-testid': `${prefix}-kind`}, kinds, opts.kind ?? (opts.allowKeep ? '' : 'cron'));
  const inputs = {};
  const groups = {};
  const onChange = () => opts.onChange && opts.onChange();
  const makeInput = ([key, label, placeholder, hint]) => {
    const input = h('input', {id: `${prefix}-${key.replace(/_/g, '-')}`, 'data-testid': `${prefix}-${key.replace(/_/g, '-')}`,
      name: key, placeholder, autocomplete: 'off', spellcheck: 'false',
      value: opts.values && opts.values[key] != null ? String(opts.values[key]) : ''});
    input.addEventListener('input', onChange);
    inputs[key] = input;
    return labelled(label, input, hint);
  };
  for (const [kind, fields] of Object.entries(FIELDS)) {
    groups[kind] = h('div', {class: 'form-group', 'data-kind': kind}, fields.map(makeInput));
  }
  const zone = h('input', {id: `${prefix}-timezone`, 'data-testid': `${prefix}-timezone`, name: 'timezone',
    list: `${prefix}-zones`, placeholder: 'the daemon\'s zone', autocomplete: 'off', spellcheck: 'false',
    value: opts.zone || ''});
  zone.addEventListener('input', onChange);
  zone.addEventListener('change', onChange);
  const zones = h('datalist', {id: `${prefix}-zones`}, zoneList().map((z) => h('option', {value: z})));
  const advanced = h('details', {class: 'advanced'}, h('summary', null, 'More trigger options'),
    ADVANCED.map(makeInput));

  function showKind() {
    for (const [kind, g] of Object.entries(groups)) g.hidden = kind !== kindSel.value;
    advanced.hidden = kindSel.value === '';
  }
  kindSel.addEventListener('change', () => {
    showKind();
    onChange();
  });
  showKind();

  const node = h('fieldset', {class: 'fieldset', 'data-testid': `${prefix}-fieldset`},
    h('legend', null, 'Trigger'),
    labelled('Kind', kindSel), Object.values(groups), labelled('Time zone', zone,
      'IANA name (Europe/Berlin), UTC, local or an offset; empty: the daemon\'s'), zones, advanced);

  return {
    node,
    kind: () => kindSel.value,
    zone: () => zone.value.trim(),
    // The trigger's keys as the config writes them; {} when "keep" is chosen or nothing is filled in.
    values() {
      const out = {};
      const kind = kindSel.value;
      if (!kind) return out;
      for (const [key] of FIELDS[kind]) {
        const v = inputs[key].value.trim();
        if (v) out[key] = v;
      }
      for (const [key] of ADVANCED) {
        const v = inputs[key].value.trim();
        if (v) out[key] = v;
      }
      return out;
    },
    // Whether the chosen kind has its main field filled in.
    complete() {
      const kind = kindSel.value;
      if (!kind) return false;
      if (kind === 'fields') return FIELDS.fields.some(([key]) => inputs[key].value.trim());
      return Boolean(inputs[FIELDS[kind][0][0]].value.trim());
    },
  };
}
