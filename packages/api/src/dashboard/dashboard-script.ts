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

  let chart;
  function drawChart(box) {
    if (typeof uPlot === 'undefined') return;
    const now = Math.floor(Date.now() / 60000) * 60;
    const xs = [], done = [], failed = [];
    for (let t = now - 29 * 60; t <= now; t += 60) {
      const e = minutes.get(t) || { completed: 0, failed: 0 };
      xs.push(t); done.push(e.completed); failed.push(e.failed);
    }
    const width = Math.max(300, Math.min(900, box.clientWidth || 600));
    if (chart) chart.destroy();
    chart = new uPlot({ width, height: 200, title: 'Jobs per minute (since this page opened)',
      series: [{}, { label: 'completed', stroke: '#2da44e' }, { label: 'failed', stroke: '#cf222e' }] }, [xs, done, failed], box);
  }

  // ---- pages
  async function overview() {
    const [stats, queues] = await Promise.all([api('GET', '/stats'), api('GET', '/queues')]);
    const q = stats.queue;
    const cards = h('div', { class: 'cards', id: 'counts' },
      STATES.map((s) => h('div', { class: 'card', 'data-state': s }, h('span', { class: 'muted', text: s }), h('b', { text: q[s] })) ));
    const chartBox = h('div', { class: 'chart', 'aria-hidden': 'true' });
    replace(h('h1', { text: 'Overview' }), h('p', {}, 'Jobs: ', h('b', { id: 'total', text: q.total_jobs })), cards, chartBox,
      table(['Queue', ...STATES, 'total'], (queues.queues || []).map((qu) => h('tr', {}, h('th', { scope: 'row' }, h('a', { href: '/ui/jobs?queue=' + encodeURIComponent(qu.name), text: qu.name })),
        STATES.map((s) => h('td', { class: 'num', text: qu.counts[s] })), h('td', { class: 'num', text: qu.total }))), 'Jobs by queue and state'));
    drawChart(chartBox);
  }

${DASHBOARD_JOBS_JS}
${DASHBOARD_ADMIN_JS}
})();
`;
