/** The dashboard's script: vanilla JS, no build step, served as `/ui/assets/app.js`. */
export const DASHBOARD_JS = String.raw`'use strict';
(() => {
  const page = document.body.dataset.page;
  const jobId = document.body.dataset.jobId;
  const main = document.getElementById('main');
  const status = document.getElementById('status');
  const STATES = ['pending', 'scheduled', 'delayed', 'running', 'retrying', 'completed', 'failed', 'dead_letter', 'cancelled'];

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'text') el.textContent = String(v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }
  const canMeta = document.querySelector('meta[name="gq-can"]');
  /** Whether the key may do it (unknown before a login: the API decides). */
  function can(permission) { return !canMeta || canMeta.getAttribute('content').split(' ').includes(permission); }
  function say(text) { status.textContent = text; }
  async function api(method, path, body) {
    const init = { method, headers: { accept: 'application/json' }, credentials: 'same-origin' };
    const csrf = document.querySelector('meta[name="gq-csrf"]');
    if (csrf && method !== 'GET') init.headers['x-csrf-token'] = csrf.getAttribute('content');
    if (body !== undefined) {
      init.headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch((path.startsWith('/ui/') ? '' : '/api/v1') + path, init);
    const text = await res.text();
    const data = text === '' ? null : JSON.parse(text);
    if (!res.ok) {
      const message = data && data.error ? data.error.message : res.statusText;
      const error = new Error(res.status === 401 ? 'an API key is required: ' + message : message);
      error.status = res.status;
      throw error;
    }
    return data;
  }
  function json(value) { return h('pre', { tabindex: 0 }, JSON.stringify(value === undefined ? null : value, null, 2)); }
  function age(iso) {
    if (!iso) return '';
    const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    return s < 120 ? s + ' s' : s < 7200 ? Math.round(s / 60) + ' min' : Math.round(s / 3600) + ' h';
  }
  function table(headers, rows, caption) {
    return h('table', {}, caption ? h('caption', { class: 'muted', text: caption }) : null,
      h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col', class: /^(#|[a-z_ ]*count|running|waiting|total|jobs)$/i.test(x) ? 'num' : null, text: x })))),
      h('tbody', {}, rows));
  }
  function replace(...nodes) {
    const focused = document.activeElement && document.activeElement.id;
    main.replaceChildren(...nodes);
    if (focused) { const again = document.getElementById(focused); if (again) again.focus(); }
  }

  // ---- live: one event stream, a refresh per burst of events, a per-minute throughput chart
  const minutes = new Map();
  let refreshTimer;
  function bump(kind) {
    const minute = Math.floor(Date.now() / 60000) * 60;
    const entry = minutes.get(minute) || { completed: 0, failed: 0 };
    entry[kind]++;
    minutes.set(minute, entry);
  }
  function live(refresh) {
    if (typeof EventSource === 'undefined') return;
    const source = new EventSource('/api/v1/events');
    const names = ['created', 'started', 'progress', 'completed', 'retrying', 'failed', 'dead_letter', 'cancelled', 'retried', 'snoozed', 'deleted'];
    for (const name of names) {
      source.addEventListener('job.' + name, () => {
        if (name === 'completed') bump('completed');
        if (name === 'failed' || name === 'dead_letter') bump('failed');
        clearTimeout(refreshTimer);
        refreshTimer = setTimeout(() => { refresh().catch((err) => say(err.message)); }, 250);
      });
    }
    source.addEventListener('error', () => say('live updates paused; retrying'));
    source.addEventListener('connected', () => say(''));
  }

  // ---- the overview's charts: the server's last hour (GET /stats/history), re-read every 5 s
  // while the overview is open and visible, redrawn in place so nothing on the page moves
  let charts;
  const CHART_HEIGHT = 180;
  function chartBox() {
    if (charts) return charts.box;
    const summary = h('p', { class: 'muted', id: 'history-summary' });
    const throughput = h('div', { 'aria-hidden': 'true' });
    const durations = h('div', { 'aria-hidden': 'true' });
    const box = h('div', { class: 'chart', id: 'history' }, summary, throughput, durations);
    // Room for both charts before they are drawn: the table below never jumps.
    box.style.minHeight = (2 * (CHART_HEIGHT + 70) + 30) + 'px';
    charts = { box, summary, throughput, durations, plots: undefined, timer: undefined };
    return box;
  }
  function historyData(history) {
    const xs = [], done = [], failed = [], w = [[], [], []], r = [[], [], []];
    const since = Date.parse(history.since);
    for (const m of history.minutes) {
      const start = Date.parse(m.start);
      xs.push(start / 1000);
      // Minutes that ended before the server started are unknown, not empty.
      const known = start + 60000 > since;
      done.push(known ? m.completed : null); failed.push(known ? m.failed : null);
      ['p50', 'p95', 'p99'].forEach((p, i) => { w[i].push(m.wait_ms ? m.wait_ms[p] : null); r[i].push(m.run_ms ? m.run_ms[p] : null); });
    }
    return [[xs, done, failed], [xs, ...w, ...r]];
  }
  async function drawChart() {
    if (!charts || typeof uPlot === 'undefined') return;
    let history;
    try { history = await api('GET', '/stats/history'); } catch (err) {
      charts.summary.textContent = err.status === 404 ? 'This server keeps no history.' : 'History unavailable: ' + err.message;
      return;
    }
    const [counts, times] = historyData(history);
    const sum = (a) => a.reduce((n, x) => n + x, 0);
    charts.summary.textContent = 'Last hour on this server (since ' + new Date(history.since).toLocaleTimeString() + '): ' +
      sum(counts[1]) + ' completed, ' + sum(counts[2]) + ' failed' + (history.queues ? ' (queues ' + history.queues.join(', ') + ')' : '') + '.';
    if (charts.plots) { charts.plots[0].setData(counts); charts.plots[1].setData(times); return; }
    const width = Math.max(300, Math.min(900, charts.box.clientWidth || 600));
    const ms = { scale: 'ms', size: 70, values: (u, ticks) => ticks.map((t) => t == null ? '' : t >= 1000 ? +(t / 1000).toPrecision(3) + ' s' : +t.toPrecision(3) + ' ms') };
    charts.plots = [
      new uPlot({ width, height: CHART_HEIGHT, title: 'Jobs per minute',
        series: [{}, { label: 'completed', stroke: '#2da44e' }, { label: 'failed', stroke: '#cf222e' }] }, counts, charts.throughput),
      new uPlot({ width, height: CHART_HEIGHT, title: 'Wait and run time (ms, per minute)',
        scales: { ms: { distr: 3 } }, axes: [{}, ms],
        series: [{},
          { label: 'wait p50', scale: 'ms', stroke: '#0969da' }, { label: 'wait p95', scale: 'ms', stroke: '#bf8700' }, { label: 'wait p99', scale: 'ms', stroke: '#cf222e' },
          { label: 'run p50', scale: 'ms', stroke: '#0969da', dash: [6, 3] }, { label: 'run p95', scale: 'ms', stroke: '#bf8700', dash: [6, 3] }, { label: 'run p99', scale: 'ms', stroke: '#cf222e', dash: [6, 3] }] }, times, charts.durations),
    ];
    charts.timer = setInterval(() => {
      if (!charts.box.isConnected) { clearInterval(charts.timer); charts.timer = undefined; return; }
      if (document.visibilityState === 'visible') drawChart();
    }, 5000);
  }

  // ---- pages
  async function overview() {
    const [stats, queues] = await Promise.all([api('GET', '/stats'), api('GET', '/queues')]);
    const q = stats.queue;
    const cards = h('div', { class: 'cards', id: 'counts' },
      STATES.map((s) => h('div', { class: 'card', 'data-state': s }, h('span', { class: 'muted', text: s }), h('b', { text: q[s] })) ));
    const chartsBox = chartBox();
    replace(h('h1', { text: 'Overview' }), h('p', {}, 'Jobs: ', h('b', { id: 'total', text: q.total_jobs })), cards, chartsBox,
      table(['Queue', ...STATES, 'total'], (queues.queues || []).map((qu) => h('tr', {}, h('th', { scope: 'row' }, h('a', { href: '/ui/jobs?queue=' + encodeURIComponent(qu.name), text: qu.name })),
        STATES.map((s) => h('td', { class: 'num', text: qu.counts[s] })), h('td', { class: 'num', text: qu.total }))), 'Jobs by queue and state'));
    if (!charts.plots) drawChart().catch((err) => { charts.summary.textContent = 'Charts failed: ' + err.message; });
  }

  async function queues() {
    const list = (await api('GET', '/queues')).queues || [];
    const details = await Promise.all(list.map((q) => api('GET', '/queues/' + encodeURIComponent(q.name))));
    replace(h('h1', { text: 'Queues' }), table(['Queue', 'waiting', 'running', 'Oldest waiting', 'Limits', 'State', 'Action'], details.map((q) => h('tr', {},
      h('th', { scope: 'row', text: q.name }), h('td', { class: 'num', text: q.waiting }), h('td', { class: 'num', text: q.running }),
      h('td', { text: age(q.oldest_waiting_at) }),
      h('td', { text: [q.concurrency === null ? '' : 'concurrency ' + q.concurrency, q.rate === null ? '' : 'rate ' + q.rate].filter(Boolean).join(', ') || 'none' }),
      h('td', { text: q.paused ? 'paused' : 'active' }),
      h('td', {}, !can('queues:manage') ? null : h('button', { type: 'button', id: 'q-' + q.name, onclick: () => act(q.paused ? 'resume' : 'pause', () => api('POST', '/queues/' + encodeURIComponent(q.name) + (q.paused ? '/resume' : '/pause'))) }, (q.paused ? 'Resume ' : 'Pause ') + q.name))))));
  }

  async function act(what, call) {
    try { const message = await call(); say(typeof message === 'string' ? message : what + ': done'); await render(); } catch (err) { say(what + ' failed: ' + err.message); }
  }

  let cursors = [];
  function jobRows(jobs, selected) {
    return jobs.map((j) => h('tr', { 'data-id': j.id },
      h('td', {}, h('input', { type: 'checkbox', id: 'sel-' + j.id, 'aria-label': 'select job ' + j.id, checked: selected.has(j.id), onchange: (e) => { if (e.target.checked) selected.add(j.id); else selected.delete(j.id); } })),
      h('td', {}, h('a', { href: '/ui/jobs/' + j.id, text: j.id })), h('td', { text: j.type }), h('td', { text: j.queue }),
      h('td', { text: j.state }), h('td', { class: 'num', text: j.attempt + '/' + j.max_attempts }), h('td', { text: age(j.created_at) }), h('td', { class: 'bad', text: j.last_error || '' })));
  }
  const selectedJobs = new Set();
  async function jobs(fixed) {
    const params = new URLSearchParams(location.search);
    const query = new URLSearchParams();
    for (const k of fixed ? ['type', 'queue'] : ['state', 'type', 'queue']) if (params.get(k)) query.set(k, params.get(k));
    query.set('limit', '50');
    const cursor = cursors.at(-1);
    if (cursor) query.set('cursor', cursor);
    const result = await api('GET', (fixed ? '/dead-letter?' : '/jobs?') + query.toString());
    const list = result.jobs || [];
    for (const id of [...selectedJobs]) if (!list.some((j) => j.id === id)) selectedJobs.delete(id);
    const filters = fixed ? null : h('form', { class: 'filters', method: 'get', action: '/ui/jobs' },
      h('label', {}, 'State', h('select', { name: 'state', id: 'f-state' }, h('option', { value: '' }, 'any'), STATES.map((s) => h('option', { value: s, selected: params.get('state') === s }, s)))),
      h('label', {}, 'Type', h('input', { name: 'type', id: 'f-type', value: params.get('type') || '' })),
      h('label', {}, 'Queue', h('input', { name: 'queue', id: 'f-queue', value: params.get('queue') || '' })),
      h('button', { type: 'submit' }, 'Filter'));
    const find = h('form', { class: 'filters', onsubmit: (e) => { e.preventDefault(); const id = new FormData(e.target).get('id'); if (id) location.href = '/ui/jobs/' + encodeURIComponent(String(id).trim()); } },
      h('label', {}, 'Find by id', h('input', { name: 'id', id: 'f-id', size: 38 })), h('button', { type: 'submit' }, 'Open'));
    const bulk = (action) => act(action + ' ' + selectedJobs.size + ' jobs', async () => {
      if (selectedJobs.size === 0) throw new Error('select jobs first');
      const r = await api('POST', '/jobs/bulk', { action, ids: [...selectedJobs] });
      selectedJobs.clear();
      return action + ': ' + r.succeeded + ' of ' + r.matched + ' jobs';
    });
    const actions = !can('jobs:manage') ? null : h('div', { class: 'actions', role: 'group', 'aria-label': 'Act on the selected jobs' },
      h('button', { type: 'button', id: 'bulk-retry', onclick: () => bulk('retry') }, fixed ? 'Requeue selected' : 'Retry selected'),
      fixed ? null : h('button', { type: 'button', id: 'bulk-cancel', onclick: () => bulk('cancel') }, 'Cancel selected'),
      h('button', { type: 'button', id: 'bulk-delete', onclick: () => bulk('delete') }, 'Delete selected'),
      fixed && can('dlq:manage') ? h('button', { type: 'button', id: 'purge', onclick: () => act('purge', async () => { const r = await api('POST', '/dead-letter/purge', {}); return 'purged ' + (r.purged ?? ''); }) }, 'Purge dead letter') : null);
    const all = h('input', { type: 'checkbox', id: 'sel-all', 'aria-label': 'select every job of this page', onchange: (e) => {
      for (const j of list) { if (e.target.checked) selectedJobs.add(j.id); else selectedJobs.delete(j.id); }
      for (const box of main.querySelectorAll('tbody input[type=checkbox]')) box.checked = e.target.checked;
    } });
    const pager = h('div', { class: 'actions' },
      cursors.length > 0 ? h('button', { type: 'button', id: 'newer', onclick: () => { cursors.pop(); render(); } }, 'Newer') : null,
      result.next_cursor ? h('button', { type: 'button', id: 'older', onclick: () => { cursors.push(result.next_cursor); render(); } }, 'Older') : null);
    replace(h('h1', { text: fixed ? 'Dead letter' : 'Jobs' }), filters, find, actions,
      h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, all), ['Id', 'Type', 'Queue', 'State', 'Attempt', 'Age', 'Last error'].map((x) => h('th', { scope: 'col', text: x })))),
        h('tbody', {}, jobRows(list, selectedJobs))),
      list.length === 0 ? h('p', { class: 'muted', text: 'No jobs.' }) : null, pager);
  }

  async function job() {
    const [j, logs] = await Promise.all([api('GET', '/jobs/' + encodeURIComponent(jobId)), api('GET', '/jobs/' + encodeURIComponent(jobId) + '/logs?limit=1000')]);
    const actions = !can('jobs:manage') ? null : h('div', { class: 'actions' },
      h('button', { type: 'button', onclick: () => act('retry', () => api('POST', '/jobs/' + j.id + '/retry', {})) }, 'Retry'),
      h('button', { type: 'button', onclick: () => act('cancel', () => api('POST', '/jobs/' + j.id + '/cancel', {})) }, 'Cancel'),
      h('button', { type: 'button', onclick: () => act('delete', async () => { await api('DELETE', '/jobs/' + j.id); location.href = '/ui/jobs'; }) }, 'Delete'));
    replace(h('h1', {}, 'Job ', h('code', { text: j.id })), actions,
      h('dl', {}, ['type', 'queue', 'state', 'priority', 'attempt', 'max_attempts', 'created_at', 'started_at', 'completed_at', 'progress_message', 'cancel_reason', 'waiting_reason']
        .filter((k) => j[k] !== undefined).flatMap((k) => [h('dt', { text: k }), h('dd', { text: String(j[k]) })])),
      h('h2', { text: 'Progress' }), json(j.progress), h('h2', { text: 'Payload' }), json(j.payload),
      h('h2', { text: 'Result' }), json(j.result), h('h2', { text: 'Checkpoint' }), json(j.checkpoint),
      h('h2', { text: 'Dependencies' }), j.depends_on.length === 0 ? h('p', { class: 'muted', text: 'none' }) :
        h('ul', {}, j.depends_on.map((id) => h('li', {}, h('a', { href: '/ui/jobs/' + id, text: id }), j.waiting_on.includes(id) ? ' (waiting)' : ''))),
      h('h2', { text: 'Attempts' }), table(['#', 'At', 'Class', 'Error'], j.errors.map((e) => h('tr', {}, h('td', { class: 'num', text: e.attempt }), h('td', { text: e.at || e.timestamp || '' }), h('td', { text: e.class || e.error_class || '' }), h('td', { class: 'bad', text: e.message || e.error || '' })))),
      h('h2', { text: 'Log' }),
      logs.dropped.length === 0 ? null : h('p', { class: 'muted', text: 'dropped: ' + logs.dropped.map((d) => 'attempt ' + d.attempt + ': ' + d.count).join(', ') }),
      logs.lines.length === 0 ? h('p', { class: 'muted', text: 'No log lines.' }) :
        table(['Attempt', 'At', 'Level', 'Message'], logs.lines.map((l) => h('tr', { class: 'log-' + l.level }, h('td', { class: 'num', text: l.attempt }), h('td', { text: l.at }), h('td', { text: l.level }),
          h('td', {}, l.message, l.fields ? h('code', { class: 'muted', text: ' ' + JSON.stringify(l.fields) }) : null))), 'Log lines'));
  }

  async function workers() {
    const list = await api('GET', '/workers');
    const rows = (list.workers || []).map((w) => h('tr', {}, h('td', { text: w.id }), h('td', { text: w.kind }), h('td', { text: w.host }), h('td', { text: (w.types || []).join(', ') || 'any' }), h('td', { text: JSON.stringify(w.slots || w.jobs || '') }), h('td', { text: age(w.last_seen_at) })));
    replace(h('h1', { text: 'Workers' }), table(['Id', 'Kind', 'Host', 'Types', 'Jobs', 'Last seen'], rows));
  }

  const PAGES = { overview, queues, jobs: () => jobs(), 'dead-letter': () => jobs('dead_letter'), workers, job };
  function login(message) {
    const form = h('form', { class: 'filters', id: 'login', onsubmit: async (e) => {
      e.preventDefault();
      try {
        await api('POST', '/ui/login', { key: String(new FormData(form).get('key') || '') });
        location.reload();
      } catch (err) { say('login failed: ' + err.message); }
    } },
      h('label', {}, 'API key', h('input', { type: 'password', name: 'key', id: 'login-key', autocomplete: 'off', required: true })),
      h('button', { type: 'submit' }, 'Log in'));
    replace(h('h1', { text: 'Log in' }), h('p', { class: 'muted', text: message }), form);
  }
  async function render() {
    try { await (PAGES[page] || overview)(); } catch (err) {
      if (err.status === 401) login(err.message);
      else replace(h('p', { class: 'bad', role: 'alert', text: err.message }));
    }
  }
  render().then(() => live(render));
})();
`;
