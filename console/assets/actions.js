// The actions on one task (pause, resume, run now, remove), shared by its page and others.
import * as api from './api.js';
import {toast} from './dom.js';
import {confirmDialog} from './widgets.js';

// Returns true when done (a toast says so), false when refused or cancelled (a toast gives the message).
export async function taskAction(action, id, store) {
  const path = `tasks/${api.seg(id)}`;
  const query = store ? {store} : undefined;
  try {
    if (action === 'remove') {
      const ok = await confirmDialog(`Remove ${id}?`,
        'The task is removed from its store. Its run history and audit trail keep their records.', 'Remove');
      if (!ok) return false;
      await api.request('DELETE', path, {query});
      toast(`Removed ${id}.`, 'ok');
    } else {
      await api.request('POST', `${path}/${action}`, {query, body: {}});
      toast(action === 'run' ? `Run of ${id} requested.` : `${action === 'pause' ? 'Paused' : 'Resumed'} ${id}.`, 'ok');
    }
    return true;
  } catch (e) {
    if (e.status !== 401) toast(e.message, 'error', 10000);
    return false;
  }
}
