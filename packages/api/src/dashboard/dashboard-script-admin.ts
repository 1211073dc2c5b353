/**
 * The dashboard's other pages (queues, schedules, workers, keys, audit log), the login form and
 * the page router: spliced into the one script of `dashboard-script.ts` after the job pages.
 */
export const DASHBOARD_ADMIN_JS = String.raw`
  // ---- queues: pause, resume and limits through PATCH /queues/:name
  function limitValue(form, name, number) {
    const raw = String(new FormData(form).get(name) || '').trim();
    if (raw === '') return null;
    return number ? Number(raw) : raw;
  }
  async function queues() {
    const list = (await api('GET', '/queues')).queues || [];
    const details = await Promise.all(list.map((q) => api('GET', '/queues/' + enc(q.name))));
    const manage = can('queues:manage');
    const rows = details.map((q) => h('tr', { 'data-queue': q.name },
      h('th', { scope: 'row' }, h('a', { href: '/ui/jobs?queue=' + enc(q.name), text: q.name })), h('td', { class: 'num', text: q.waiting }), h('td', { class: 'num', text: q.running }),
      h('td', { text: age(q.oldest_waiting_at) }),
      h('td', { 'data-limits': '', text: [q.concurrency === null ? '' : 'concurrency ' + q.concurrency, q.rate === null ? '' : 'rate ' + q.rate, q.group_concurrency === null ? '' : 'per group ' + q.group_concurrency].filter(Boolean).join(', ') || 'none' }),
      h('td', { 'data-paused': '', text: q.paused ? 'paused' : 'active' }),
      manage ? h('td', {}, h('button', { type: 'button', id: 'q-' + q.name, onclick: () => act(q.paused ? 'resume' : 'pause', async () => { await api('PATCH', '/queues/' + enc(q.name), { paused: !q.paused }); return (q.paused ? 'resumed ' : 'paused ') + q.name; }) }, (q.paused ? 'Resume ' : 'Pause ') + q.name)) : null));
    const headers = ['Queue', 'waiting', 'running', 'Oldest waiting', 'Limits', 'State'];
    let form = null;
    if (manage && details.length > 0) {
      const fill = (name) => {
        const q = details.find((d) => d.name === name) || details[0];
        form.elements.concurrency.value = q.concurrency ?? '';
        form.elements.rate.value = q.rate ?? '';
        form.elements.group_concurrency.value = q.group_concurrency ?? '';
      };
      const first = details[0];
      form = h('form', { class: 'filters', id: 'limits', 'aria-labelledby': 'limits-h', onsubmit: (e) => {
        e.preventDefault();
        const name = String(new FormData(form).get('queue'));
        act('limits of ' + name, async () => {
          const q = await api('PATCH', '/queues/' + enc(name), { concurrency: limitValue(form, 'concurrency', true), rate: limitValue(form, 'rate', false), group_concurrency: limitValue(form, 'group_concurrency', true) });
          return 'limits of ' + q.name + ' saved';
        });
      } },
        h('label', {}, 'Queue', h('select', { name: 'queue', id: 'limit-queue', onchange: (e) => fill(e.target.value) }, details.map((q) => h('option', { value: q.name }, q.name)))),
        h('label', {}, 'Concurrency', h('input', { name: 'concurrency', id: 'limit-concurrency', type: 'number', min: 1, max: 100000, value: first.concurrency ?? '', placeholder: 'no limit' })),
        h('label', {}, 'Rate (like 100/1s)', h('input', { name: 'rate', id: 'limit-rate', maxlength: 64, pattern: '[0-9]+/[0-9a-z.]+', value: first.rate ?? '', placeholder: 'no limit' })),
        h('label', {}, 'Per group', h('input', { name: 'group_concurrency', id: 'limit-group', type: 'number', min: 1, max: 100000, value: first.group_concurrency ?? '', placeholder: 'no limit' })),
        h('button', { type: 'submit', id: 'limit-save' }, 'Save limits'));
    }
    replace(h('h1', { id: 'title', text: 'Queues' }),
      h('div', { id: 'queue-table' }, table(manage ? [...headers, 'Action'] : headers, rows, 'Queues')),
      h('p', { class: 'muted', id: 'empty', text: details.length === 0 ? 'No queues yet: a queue appears with its first job.' : '' }),
      form ? h('h2', { id: 'limits-h', text: 'Edit limits (empty: no limit)' }) : h('div', { id: 'limits-h' }), form || h('div', { id: 'limits' }));
  }

  // ---- schedules: next runs, pause, resume, trigger now
  async function schedules() {
    const list = (await api('GET', '/schedules')).schedules || [];
    const manage = can('queues:manage');
    const submit = can('jobs:submit');
    const rows = list.map((s) => h('tr', { 'data-schedule': s.name },
      h('th', { scope: 'row', text: s.name }), h('td', { text: s.cron ? s.cron + (s.timezone ? ' (' + s.timezone + ')' : '') : 'every ' + s.every_ms + ' ms' }),
      h('td', { text: s.job.type + ' on ' + (s.job.queue || 'default') }), h('td', { 'data-paused': '', text: s.paused ? 'paused' : 'active' }),
      h('td', {}, s.error ? h('span', { class: 'bad', text: s.error }) : s.next_runs.length === 0 ? h('span', { class: 'muted', text: 'none' }) : h('ul', { class: 'plain' }, s.next_runs.slice(0, 3).map((t) => h('li', {}, h('time', { datetime: t, text: t }))))),
      manage || submit ? h('td', { class: 'actions' },
        manage ? h('button', { type: 'button', id: 's-pause-' + s.name, onclick: () => act(s.paused ? 'resume' : 'pause', async () => { await api('PATCH', '/schedules/' + enc(s.name), { paused: !s.paused }); return (s.paused ? 'resumed ' : 'paused ') + s.name; }) }, (s.paused ? 'Resume ' : 'Pause ') + s.name) : null,
        submit ? h('button', { type: 'button', id: 's-trigger-' + s.name, onclick: () => act('trigger', async () => { const r = await api('POST', '/schedules/' + enc(s.name) + '/trigger', {}); return 'triggered ' + s.name + ': job ' + ((r.job && r.job.id) || r.id || ''); }) }, 'Run ' + s.name + ' now') : null) : null));
    const headers = ['Schedule', 'When', 'Job', 'State', 'Next runs'];
    replace(h('h1', { id: 'title', text: 'Schedules' }),
      h('div', { id: 'schedule-table' }, table(manage || submit ? [...headers, 'Action'] : headers, rows, 'Schedules')),
      h('p', { class: 'muted', id: 'empty', text: list.length === 0 ? 'No schedules.' : '' }));
  }

  async function workers() {
    const list = await api('GET', '/workers');
    const rows = (list.workers || []).map((w) => h('tr', {}, h('td', { text: w.id }), h('td', { text: w.kind }), h('td', { text: w.host }), h('td', { text: (w.types || []).join(', ') || 'any' }), h('td', { text: (w.queues || []).join(', ') || 'any' }), h('td', { class: 'num', text: w.busy + (w.concurrency === null ? '' : ' / ' + w.concurrency) }), h('td', { text: age(w.last_seen_at) })));
    replace(h('h1', { id: 'title', text: 'Workers' }), h('div', { id: 'worker-table' }, table(['Id', 'Kind', 'Host', 'Types', 'Queues', 'Busy', 'Last seen'], rows, 'Workers')));
  }

  // ---- admins: API keys and the audit log
  let createdKey = null;
  async function keys() {
    const list = (await api('GET', '/keys')).keys || [];
    const rows = list.map((k) => h('tr', { 'data-key': k.id }, h('td', { text: k.id }), h('td', { text: k.name }), h('td', { text: k.role }), h('td', { text: (k.queues || []).join(', ') || 'all' }),
      h('td', { text: k.created_at }), h('td', { text: k.last_used_at || '' }), h('td', { text: k.revoked_at ? 'revoked ' + k.revoked_at : 'active' }),
      h('td', {}, k.revoked_at ? null : h('button', { type: 'button', id: 'revoke-' + k.id, onclick: () => act('revoke', async () => { await api('DELETE', '/keys/' + enc(k.id)); return 'revoked ' + k.name; }) }, 'Revoke ' + k.name))));
    const form = h('form', { class: 'filters', id: 'new-key', onsubmit: (e) => {
      e.preventDefault();
      const data = new FormData(form);
      const body = { name: String(data.get('name') || ''), role: String(data.get('role')) };
      const queues = String(data.get('queues') || '').split(',').map((q) => q.trim()).filter(Boolean);
      if (queues.length > 0) body.queues = queues;
      act('create key', async () => { const r = await api('POST', '/keys', body); createdKey = r; return 'created key ' + r.name; });
    } },
      h('label', {}, 'Name', h('input', { name: 'name', id: 'key-name', required: true, maxlength: 200 })),
      h('label', {}, 'Role', h('select', { name: 'role', id: 'key-role' }, ['viewer', 'producer', 'operator', 'worker', 'admin'].map((r) => h('option', { value: r }, r)))),
      h('label', {}, 'Queues (comma separated, empty: all)', h('input', { name: 'queues', id: 'key-queues', maxlength: 2000 })),
      h('button', { type: 'submit' }, 'Create key'));
    replace(h('h1', { id: 'title', text: 'API keys' }),
      h('div', { id: 'created' }, createdKey ? h('p', {}, 'The new key (shown once): ', h('code', { id: 'created-key', text: createdKey.key })) : null),
      h('div', { id: 'key-table' }, table(['Id', 'Name', 'Role', 'Queues', 'Created', 'Last used', 'State', 'Action'], rows, 'API keys')), form);
  }

  let auditCursors = [];
  async function auditLog() {
    const query = new URLSearchParams({ limit: '100' });
    const cursor = auditCursors.at(-1);
    if (cursor) query.set('cursor', cursor);
    const page = await api('GET', '/audit?' + query.toString());
    const rows = (page.entries || []).map((e) => h('tr', {}, h('td', { text: e.at }), h('td', { text: e.actor }), h('td', { text: e.action }), h('td', { text: e.target || '' }), h('td', { text: (e.queues || []).join(', ') }), h('td', {}, e.details ? h('code', { text: JSON.stringify(e.details) }) : '')));
    replace(h('h1', { id: 'title', text: 'Audit log' }),
      h('div', { id: 'audit-table' }, table(['At', 'Actor', 'Action', 'Target', 'Queues', 'Details'], rows, 'Audit log, newest first')),
      h('div', { class: 'actions', id: 'pager' },
        auditCursors.length > 0 ? h('button', { type: 'button', id: 'newer', onclick: () => { auditCursors.pop(); render(); } }, 'Newer') : null,
        page.next_cursor ? h('button', { type: 'button', id: 'older', onclick: () => { auditCursors.push(page.next_cursor); render(); } }, 'Older') : null));
  }

  const PAGES = { overview, queues, jobs: () => jobs(), 'dead-letter': () => jobs('dead_letter'), workers, job, schedules, keys, audit: auditLog };
  function login(message) {
    const form = h('form', { class: 'filters', id: 'login', onsubmit: async (e) => {
      e.preventDefault();
      try {
        await api('POST', '/ui/login', { key: String(new FormData(form).get('key') || '') });
        location.reload();
      } catch (err) { say('login failed: ' + err.message); }
    } },
      h('label', {}, 'API key', h('input', { type: 'password', name: 'key', id: 'login-key', autocomplete: 'off', required: true, maxlength: 200 })),
      h('button', { type: 'submit' }, 'Log in'));
    replace(h('h1', { text: 'Log in' }), h('p', { class: 'muted', text: message }), form);
  }
  let loggingIn = false;
  async function render() {
    if (loggingIn) return;
    try { await (PAGES[page] || overview)(); } catch (err) {
      if (err.status === 401) { loggingIn = true; login(err.message); }
      else replace(h('p', { class: 'bad', role: 'alert', id: 'error', text: err.message }));
    }
  }
  render().then(() => { if (!loggingIn) live(render); });
`;
