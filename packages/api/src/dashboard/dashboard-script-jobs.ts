import { MAX_TRANSITIONS } from '@gopherqueue/core';

/**
 * The dashboard's job pages (list, dead letter, one job): spliced into the one script of
 * `dashboard-script.ts`, whose helpers (`h`, `api`, `can`, `say`, `replace`, `table`, `json`,
 * `age`) they use.
 */
export const DASHBOARD_JOBS_JS = String.raw`
  const CANCELLABLE = ['pending', 'scheduled', 'delayed', 'running', 'retrying'];
  const RETRYABLE = ['failed', 'dead_letter', 'cancelled'];
  const FAILED_STATES = ['retrying', 'failed', 'dead_letter'];
  const MAX_TRANSITIONS = ${MAX_TRANSITIONS};
  const enc = encodeURIComponent;

  async function act(what, call) {
    try { const message = await call(); say(typeof message === 'string' ? message : what + ': done'); await render(); } catch (err) { say(what + ' failed: ' + err.message); }
  }
  function section(id, title, ...body) {
    return h('section', { id, 'aria-labelledby': id + '-h' }, h('h2', { id: id + '-h', text: title }), ...body);
  }

  // ---- the jobs list and the dead letter
  let cursors = [];
  function jobRows(jobs, selected, manage) {
    return jobs.map((j) => h('tr', { 'data-id': j.id },
      !manage ? null : h('td', {}, h('input', { type: 'checkbox', id: 'sel-' + j.id, 'aria-label': 'select job ' + j.id, checked: selected.has(j.id), onchange: (e) => { if (e.target.checked) selected.add(j.id); else selected.delete(j.id); } })),
      h('td', {}, h('a', { href: '/ui/jobs/' + j.id, text: j.id })), h('td', { text: j.type }), h('td', { text: j.queue }),
      h('td', { text: j.state }), h('td', { class: 'num', text: j.attempt + '/' + j.max_attempts }), h('td', { text: age(j.created_at) }), h('td', { class: 'bad', text: j.last_error || '' })));
  }
  const selectedJobs = new Set();
  async function jobs(fixed) {
    const params = new URLSearchParams(location.search);
    const query = new URLSearchParams();
    for (const k of fixed ? ['type', 'queue', 'tag'] : ['state', 'type', 'queue', 'tag']) if (params.get(k)) query.set(k, params.get(k));
    query.set('limit', '50');
    const cursor = cursors.at(-1);
    if (cursor) query.set('cursor', cursor);
    const result = await api('GET', (fixed ? '/dead-letter?' : '/jobs?') + query.toString());
    const list = result.jobs || [];
    for (const id of [...selectedJobs]) if (!list.some((j) => j.id === id)) selectedJobs.delete(id);
    const filters = h('form', { class: 'filters', id: 'filters', method: 'get', action: fixed ? '/ui/dead-letter' : '/ui/jobs' },
      fixed ? null : h('label', {}, 'State', h('select', { name: 'state', id: 'f-state' }, h('option', { value: '' }, 'any'), STATES.map((s) => h('option', { value: s, selected: params.get('state') === s }, s)))),
      h('label', {}, 'Type', h('input', { name: 'type', id: 'f-type', value: params.get('type') || '', maxlength: 200 })),
      h('label', {}, 'Queue', h('input', { name: 'queue', id: 'f-queue', value: params.get('queue') || '', maxlength: 200 })),
      h('label', {}, 'Tag', h('input', { name: 'tag', id: 'f-tag', value: params.get('tag') || '', maxlength: 400, placeholder: 'key:value' })),
      h('button', { type: 'submit' }, 'Filter'));
    const find = h('form', { class: 'filters', id: 'find', onsubmit: (e) => { e.preventDefault(); const id = new FormData(e.target).get('id'); if (id) location.href = '/ui/jobs/' + enc(String(id).trim()); } },
      h('label', {}, 'Find by id', h('input', { name: 'id', id: 'f-id', size: 38, maxlength: 64 })), h('button', { type: 'submit' }, 'Open'));
    const bulk = (action) => act(action + ' ' + selectedJobs.size + ' jobs', async () => {
      if (selectedJobs.size === 0) throw new Error('select jobs first');
      const r = await api('POST', '/jobs/bulk', { action, ids: [...selectedJobs] });
      selectedJobs.clear();
      return action + ': ' + r.succeeded + ' of ' + r.matched + ' jobs';
    });
    // Every dead-lettered job of the filter, however many pages: one request, the server reads them.
    const requeueAll = () => act('requeue all', async () => {
      const filter = { state: 'dead_letter' };
      if (params.get('type')) filter.type = params.get('type');
      if (params.get('queue')) filter.queue = params.get('queue');
      if (params.get('tag')) filter.tag = params.get('tag');
      const r = await api('POST', '/jobs/bulk', { action: 'retry', filter, limit: 10000, reset_attempts: true });
      return 'requeue all: ' + r.succeeded + ' of ' + r.matched + ' jobs' + (r.next_cursor ? '; more remain, run it again' : '');
    });
    const scope = [params.get('type') ? 'type ' + params.get('type') : '', params.get('queue') ? 'queue ' + params.get('queue') : '', params.get('tag') ? 'tag ' + params.get('tag') : ''].filter(Boolean).join(', ');
    const actions = !can('jobs:manage') ? h('div', { id: 'actions' }) : h('div', { class: 'actions', id: 'actions', role: 'group', 'aria-label': 'Act on jobs' },
      h('button', { type: 'button', id: 'bulk-retry', onclick: () => bulk('retry') }, fixed ? 'Requeue selected' : 'Retry selected'),
      fixed ? null : h('button', { type: 'button', id: 'bulk-cancel', onclick: () => bulk('cancel') }, 'Cancel selected'),
      h('button', { type: 'button', id: 'bulk-delete', onclick: () => bulk('delete') }, 'Delete selected'),
      fixed ? h('button', { type: 'button', id: 'requeue-all', onclick: requeueAll }, 'Requeue all dead-lettered jobs' + (scope ? ' of ' + scope : '')) : null,
      fixed && can('dlq:manage') ? h('button', { type: 'button', id: 'purge', onclick: () => act('purge', async () => { const r = await api('POST', '/dead-letter/purge', {}); return 'purged ' + (r.purged ?? ''); }) }, 'Purge dead letter') : null);
    const all = h('input', { type: 'checkbox', id: 'sel-all', 'aria-label': 'select every job of this page', onchange: (e) => {
      for (const j of list) { if (e.target.checked) selectedJobs.add(j.id); else selectedJobs.delete(j.id); }
      for (const box of main.querySelectorAll('tbody input[type=checkbox]')) box.checked = e.target.checked;
    } });
    const pager = h('div', { class: 'actions', id: 'pager' },
      cursors.length > 0 ? h('button', { type: 'button', id: 'newer', onclick: () => { cursors.pop(); render(); } }, 'Newer') : null,
      result.next_cursor ? h('button', { type: 'button', id: 'older', onclick: () => { cursors.push(result.next_cursor); render(); } }, 'Older') : null);
    replace(h('h1', { id: 'title', text: fixed ? 'Dead letter' : 'Jobs' }), filters, find, actions,
      h('table', { id: 'job-table', 'aria-label': fixed ? 'Dead-lettered jobs' : 'Jobs' }, h('thead', {}, h('tr', {}, can('jobs:manage') ? h('th', {}, all) : null, ['Id', 'Type', 'Queue', 'State', 'Attempt', 'Age', 'Last error'].map((x) => h('th', { scope: 'col', text: x })))),
        h('tbody', {}, jobRows(list, selectedJobs, can('jobs:manage')))),
      h('p', { class: 'muted', id: 'empty', text: list.length === 0 ? 'No jobs.' : '' }), pager);
  }

  // ---- one job
  let shownState;
  function percentOf(p) {
    const n = typeof p === 'number' ? p : p && typeof p === 'object' && typeof p.percent === 'number' ? p.percent : null;
    return n === null || !Number.isFinite(n) ? null : Math.max(0, Math.min(100, n));
  }
  // The states the job entered as the server recorded them, with the failure or reason that
  // goes with each; a job stored before they were recorded shows what its own times tell.
  function timeline(j) {
    if (j.transitions && j.transitions.length > 0) {
      return j.transitions.map((t, i) => {
        const error = FAILED_STATES.includes(t.state) ? j.errors.find((e) => e.attempt === t.attempt) : undefined;
        const what = i === 0 ? 'submitted: ' + t.state : t.state === 'running' ? 'attempt ' + t.attempt + ' started' : t.state;
        const why = error ? ' (' + error.class + ': ' + error.message + ')' : t.state === 'cancelled' && i === j.transitions.length - 1 && j.cancel_reason ? ' (' + j.cancel_reason + ')' : '';
        return [what + why, t.at];
      });
    }
    return derivedTimeline(j);
  }
  function derivedTimeline(j) {
    const rows = [['submitted', j.created_at]];
    if (j.scheduled_at && j.scheduled_at !== j.created_at) rows.push(['to run at', j.scheduled_at]);
    for (const e of j.errors) rows.push(['attempt ' + e.attempt + ' failed (' + e.class + ')', e.at]);
    if (j.started_at) rows.push(['attempt ' + j.attempt + ' started', j.started_at]);
    if (j.completed_at) rows.push([j.state, j.completed_at]);
    return rows.filter((r) => r[1]).sort((a, b) => Date.parse(a[1]) - Date.parse(b[1]));
  }
  // The first 100 dependents; a key limited to several queues lists those of the job's own queue.
  async function dependentsOf(j) {
    const path = '/jobs?depends_on=' + enc(j.id) + '&limit=100';
    try {
      return await api('GET', path);
    } catch (err) {
      if (err.status !== 403) throw err;
      return api('GET', path + '&queue=' + enc(j.queue));
    }
  }
  async function job() {
    let j, logs;
    try {
      [j, logs] = await Promise.all([api('GET', '/jobs/' + enc(jobId)), api('GET', '/jobs/' + enc(jobId) + '/logs?limit=1000')]);
    } catch (err) {
      // A job of a queue the key may not use reads as one that does not exist: nothing of it shows.
      if (err.status === 403 || err.status === 404) throw new Error('job ' + jobId + ' not found among the jobs this key may see');
      throw err;
    }
    const dependents = await dependentsOf(j);
    if (shownState !== undefined && shownState !== j.state) say('job ' + j.state);
    shownState = j.state;
    const manage = can('jobs:manage');
    const actions = h('div', { class: 'actions', id: 'job-actions' },
      manage && CANCELLABLE.includes(j.state) ? h('button', { type: 'button', id: 'job-cancel', onclick: () => act('cancel', () => api('POST', '/jobs/' + enc(j.id) + '/cancel', {})) }, 'Cancel job') : null,
      manage && RETRYABLE.includes(j.state) ? h('button', { type: 'button', id: 'job-retry', onclick: () => act('retry', () => api('POST', '/jobs/' + enc(j.id) + '/retry', {})) }, 'Retry job') : null,
      manage && (RETRYABLE.includes(j.state) || j.state === 'completed') ? h('button', { type: 'button', id: 'job-delete', onclick: () => act('delete', async () => { await api('DELETE', '/jobs/' + enc(j.id)); location.href = '/ui/jobs'; }) }, 'Delete job') : null);
    const pct = percentOf(j.progress);
    const progress = section('job-progress', 'Progress',
      h('p', { class: 'progress-line' },
        h('progress', { id: 'progress-bar', max: 100, value: pct === null ? 0 : pct, 'aria-labelledby': 'job-progress-h' }),
        ' ', h('span', { id: 'progress-text', text: (pct === null ? (j.progress === null || j.progress === undefined ? 'none reported' : 'reported') : pct + ' %') + (j.progress_message ? ': ' + j.progress_message : '') })),
      pct === null && j.progress !== null && j.progress !== undefined ? json(j.progress) : null);
    const fields = ['state', 'type', 'queue', 'priority', 'attempt', 'max_attempts', 'group', 'worker_id', 'created_at', 'scheduled_at', 'started_at', 'completed_at', 'expires_at', 'cancel_reason', 'waiting_reason', 'last_error', 'correlation_id']
      .filter((k) => j[k] !== undefined);
    const links = (ids) => ids.length === 0 ? h('p', { class: 'muted', text: 'none' }) :
      h('ul', {}, ids.map((id) => h('li', {}, h('a', { href: '/ui/jobs/' + id, text: id }), j.waiting_on.includes(id) ? ' (waiting on it)' : '')));
    replace(h('h1', { id: 'title' }, 'Job ', h('code', { text: j.id })), actions,
      h('dl', { id: 'job-fields', class: 'fields' }, fields.flatMap((k) => [h('dt', { text: k }), h('dd', { 'data-field': k, text: String(j[k]) })])),
      progress,
      section('job-payload', 'Payload', json(j.payload)),
      section('job-result', 'Result', j.result === undefined ? h('p', { class: 'muted', text: 'none yet' }) : json(j.result)),
      section('job-checkpoint', 'Checkpoint', j.checkpoint === undefined ? h('p', { class: 'muted', text: 'none' }) : json(j.checkpoint)),
      section('job-timeline', 'Timeline', h('ol', { class: 'timeline', id: 'timeline' }, timeline(j).map(([what, at]) => h('li', {}, h('time', { datetime: at, text: at }), ' ', what))),
        h('p', { class: 'muted', text: !j.transitions || j.transitions.length === 0 ? 'Stored before transitions were recorded: from the job\'s own times, earlier attempts shown as their failures.' : j.transitions.length >= MAX_TRANSITIONS ? 'The first and the latest ' + (MAX_TRANSITIONS - 1) + ' transitions; those between were dropped.' : 'Every state the job entered.' })),
      section('job-deps', 'Dependencies', links(j.depends_on)),
      section('job-dependents', 'Dependents', dependents.jobs.length === 0 ? h('p', { class: 'muted', text: 'none' }) :
        h('ul', {}, dependents.jobs.map((d) => h('li', {}, h('a', { href: '/ui/jobs/' + d.id, text: d.id }), ' ' + d.type + ', ' + d.state))),
        dependents.next_cursor ? h('p', { class: 'muted', text: 'the first 100; more depend on it' }) : null),
      section('job-attempts', 'Failed attempts', j.errors.length === 0 ? h('p', { class: 'muted', text: 'none' }) :
        table(['#', 'At', 'Class', 'Error'], j.errors.map((e) => h('tr', {}, h('td', { class: 'num', text: e.attempt }), h('td', { text: e.at }), h('td', { text: e.class + (e.name ? ' (' + e.name + ')' : '') }),
          h('td', {}, h('span', { class: 'bad', text: e.message }), e.stack ? h('details', {}, h('summary', {}, 'Stack'), h('pre', { text: e.stack })) : null))), 'Failed attempts')),
      section('job-log', 'Log',
        logs.dropped.length === 0 ? null : h('p', { class: 'muted', text: 'dropped: ' + logs.dropped.map((d) => 'attempt ' + d.attempt + ': ' + d.count).join(', ') }),
        logs.lines.length === 0 ? h('p', { class: 'muted', text: 'No log lines.' }) :
          table(['Attempt', 'At', 'Level', 'Message'], logs.lines.map((l) => h('tr', { class: 'log-' + l.level }, h('td', { class: 'num', text: l.attempt }), h('td', { text: l.at }), h('td', { text: l.level }),
            h('td', {}, l.message, l.fields ? h('code', { class: 'muted', text: ' ' + JSON.stringify(l.fields) }) : null))), 'Log lines')));
  }
`;
