import { DASHBOARD_ADMIN_JS } from './dashboard-script-admin.js';
import { DASHBOARD_JOBS_JS } from './dashboard-script-jobs.js';

/**
 * The dashboard's script: vanilla JS, no build step, served as `/ui/assets/app.js`. Its helpers,
 * live updates and overview are here; the other pages' code is spliced in from the files above
 * (one scope, one file for the browser).
 */
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
  /**
   * Shows nodes in main. When they have the ids of what is shown (a page refreshed live), only
   * the ones that changed are swapped, in place: what the reader is reading does not move.
   */
  function replace(...nodes) {
    const focused = document.activeElement && document.activeElement.id;
    const shown = nodes.filter(Boolean);
    const old = [...main.children];
    if (shown.length > 0 && shown.length === old.length && shown.every((n, i) => n.id && n.id === old[i].id)) {
      shown.forEach((n, i) => { if (!old[i].isEqualNode(n)) old[i].replaceWith(n); });
    } else main.replaceChildren(...nodes);
    if (focused) { const again = document.getElementById(focused); if (again && again !== document.activeElement) again.focus(); }
  }

  // ---- live: one event stream, a refresh per burst of events (the charts read the server's history)
  let refreshTimer;
  function live(refresh) {
    if (typeof EventSource === 'undefined') return;
    const source = new EventSource('/api/v1/events');
    const names = ['created', 'started', 'progress', 'completed', 'retrying', 'failed', 'dead_letter', 'cancelled', 'retried', 'snoozed', 'deleted'];
    for (const name of names) {
      source.addEventListener('job.' + name, () => {
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
    if (!charts) return;
    if (typeof uPlot === 'undefined') {
      // uPlot loads after the page's own script: draw once it is there.
      const tag = document.getElementById('uplot-js');
      if (tag && !charts.waiting) {
        charts.waiting = true;
        tag.addEventListener('load', () => { charts.waiting = false; drawChart().catch((err) => { charts.summary.textContent = 'Charts failed: ' + err.message; }); }, { once: true });
      }
      return;
    }
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

${DASHBOARD_JOBS_JS}
${DASHBOARD_ADMIN_JS}
})();
`;
