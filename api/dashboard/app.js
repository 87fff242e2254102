// Operator dashboard: a small single page without framework or build step. Talks to
// /api/v1/dashboard/* with the session cookie; every state-changing request carries X-CSRF-Token.
// DOM is built with h() (text nodes only, never innerHTML), so job data cannot inject markup.
'use strict';

const API = '/api/v1/dashboard';
let QUEUES = ['default'];  // replaced by the server's list at sign-in (GET /me)
let me = null;          // { role, can_act, is_admin, csrf_token, email }
let timer = null;       // the current view's refresh timer
let stream = null;      // the current view's live stream (EventSource)

// ---------- helpers ----------
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}
const $ = (sel) => document.querySelector(sel);
// Replaces the main view's content; null/false children are skipped, nested arrays flattened.
const show = (...children) => $('#view').replaceChildren(h('div', {}, ...children));

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || `HTTP ${status}`);
    this.status = status; this.body = body;
  }
}

async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && me) headers['X-CSRF-Token'] = me.csrf_token;
  const res = await fetch(API + path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = res.status === 204 ? null : await res.json().catch(() => null);
  if (res.status === 401 && path !== '/session') { showLogin(); throw new ApiError(401, data); }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

function flash(message, bad) {
  const box = $('#flash');
  box.replaceChildren(h('p', { class: bad ? 'bad' : '' }, message));
  clearTimeout(flash.t);
  flash.t = setTimeout(() => box.replaceChildren(), 6000);
}

// In the browser's time zone, or in `timeZone` (the scheduler's, for cron times).
const fmtTime = (t, timeZone) => (t ? new Date(t).toLocaleString(undefined, timeZone ? { timeZone } : {}) : '—');
function fmtAge(secs) {
  if (!secs) return '0 s';
  if (secs < 90) return `${Math.round(secs)} s`;
  if (secs < 5400) return `${Math.round(secs / 60)} min`;
  return `${(secs / 3600).toFixed(1)} h`;
}
const stateChip = (s) => h('span', { class: `chip state-${s}` }, s);

// Runs an action button: disables it while in flight, reports the outcome, then refreshes the view.
async function act(button, label, fn) {
  button.disabled = true;
  try {
    await fn();
    flash(`${label}: done`);
  } catch (e) {
    flash(`${label}: ${e.message}`, true);
  } finally {
    button.disabled = false;
    route();
  }
}
// `name` (optional) is the accessible name when the visible label is short ("Run now").
function actionButton(label, fn, cls, name) {
  const b = h('button', { type: 'button', class: cls || '', 'aria-label': name }, label);
  b.addEventListener('click', () => act(b, label, fn));
  if (!me || !me.can_act) { b.disabled = true; b.title = 'Managers and admins only'; }
  return b;
}

// ---------- theme ----------
function applyTheme(theme) {
  const root = document.documentElement;
  if (theme) root.dataset.theme = theme; else delete root.dataset.theme;
  const dark = theme ? theme === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
  const btn = $('#theme');
  btn.textContent = dark ? 'Light theme' : 'Dark theme';
  btn.setAttribute('aria-pressed', String(dark));
}
$('#theme').addEventListener('click', () => {
  const dark = document.documentElement.dataset.theme === 'dark' ||
    (!document.documentElement.dataset.theme && matchMedia('(prefers-color-scheme: dark)').matches);
  const next = dark ? 'light' : 'dark';
  localStorage.setItem('theme', next);
  applyTheme(next);
});
applyTheme(localStorage.getItem('theme'));

// ---------- session ----------
function showLogin() {
  clearInterval(timer);
  if (stream) { stream.close(); stream = null; }
  me = null;
  $('#nav').hidden = true; $('#logout').hidden = true; $('#who').textContent = '';
  show();
  $('#login').hidden = false;
  $('#email').focus();
}

$('#login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  $('#login-error').textContent = '';
  try {
    await api('POST', '/session', { email: $('#email').value, password: $('#password').value });
    $('#password').value = '';
    await start();
  } catch (e) {
    $('#login-error').textContent = e.status === 429 ? 'Too many attempts, wait a minute.' : e.message;
  }
});

$('#logout').addEventListener('click', async () => {
  try { await api('DELETE', '/session'); } catch (_) { /* the session is gone either way */ }
  showLogin();
});

async function start() {
  try { me = await api('GET', '/me'); } catch (_) { return; }
  QUEUES = me.queues;
  $('#login').hidden = true; $('#nav').hidden = false; $('#logout').hidden = false;
  $('#who').textContent = `${me.email} · ${me.role}`;
  if (!location.hash || location.hash === '#') location.hash = '#/overview'; else route();
}

// ---------- router ----------
window.addEventListener('hashchange', route);
async function route() {
  if (!me) return;
  clearInterval(timer);
  if (stream) { stream.close(); stream = null; }
  const [path, query] = location.hash.slice(1).split('?');
  const parts = path.split('/').filter(Boolean);
  const params = new URLSearchParams(query || '');
  const view = parts[0] || 'overview';
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.view === view) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  const views = { overview, queue, job, dead, history, workers, schedules, run, autofill };
  const render = views[view] || overview;
  try {
    await render(parts.slice(1), params);
  } catch (e) {
    if (e.status !== 401) show(h('p', { class: 'error', role: 'alert' }, e.message));
  }
}
// Re-renders a view every `ms` while it stays the current one.
function every(ms, fn) {
  const hash = location.hash;
  timer = setInterval(() => { if (location.hash === hash) fn().catch(() => {}); }, ms);
}

// ---------- overview ----------
function chart(series) {
  const w = 600, hgt = 120, n = Math.max(series.length, 1), bw = w / n;
  const max = Math.max(1, ...series.map((p) => p.succeeded + p.failed));
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${w} ${hgt}`);
  svg.setAttribute('preserveAspectRatio', 'none');
  svg.setAttribute('class', 'chart');
  svg.setAttribute('role', 'img');
  const ok = series.reduce((a, p) => a + p.succeeded, 0), bad = series.reduce((a, p) => a + p.failed, 0);
  svg.setAttribute('aria-label', `Last hour: ${ok} succeeded, ${bad} failed attempts`);
  series.forEach((p, i) => {
    const hOk = (p.succeeded / max) * (hgt - 4), hBad = (p.failed / max) * (hgt - 4);
    for (const [cls, height, y] of [['ok', hOk, hgt - hOk], ['bad', hBad, hgt - hOk - hBad]]) {
      if (height <= 0) continue;
      const r = document.createElementNS(ns, 'rect');
      r.setAttribute('x', i * bw + 0.5); r.setAttribute('width', Math.max(bw - 1, 1));
      r.setAttribute('y', y); r.setAttribute('height', height); r.setAttribute('class', cls);
      const t = document.createElementNS(ns, 'title');
      t.textContent = `${new Date(p.minute).toLocaleTimeString()}: ${p.succeeded} ok, ${p.failed} failed`;
      r.append(t); svg.append(r);
    }
  });
  const axis = document.createElementNS(ns, 'line');
  axis.setAttribute('x1', 0); axis.setAttribute('x2', w); axis.setAttribute('y1', hgt - 0.5);
  axis.setAttribute('y2', hgt - 0.5); axis.setAttribute('class', 'axis');
  svg.append(axis);
  return svg;
}

function stat(value, label, testid) {
  return h('div', { class: 'stat' }, h('b', { 'data-testid': testid }, value), h('span', {}, label));
}

async function overview() {
  const draw = async () => {
    const o = await api('GET', '/overview');
    const ok = o.series.reduce((a, p) => a + p.succeeded, 0);
    const bad = o.series.reduce((a, p) => a + p.failed, 0);
    const rate = ok + bad ? ((100 * bad) / (ok + bad)).toFixed(1) : '0.0';
    show(
      h('h1', {}, 'Overview'),
      h('p', { class: 'muted' }, `Workers online: `, h('b', { 'data-testid': 'workers-online' }, o.workers_online),
        ` · jobs in flight: ${o.in_flight} · updated ${new Date(o.generated_at).toLocaleTimeString()}`),
      h('div', { class: 'card' },
        h('h2', {}, 'Last hour, per minute'),
        h('div', { class: 'legend' }, h('span', {}, h('i', { class: 'ok' }), `succeeded (${ok})`),
          h('span', {}, h('i', { class: 'bad' }), `failed attempts (${bad}) · failure rate ${rate} %`)),
        chart(o.series)),
      h('h2', {}, 'Queues'),
      h('div', { class: 'grid' }, o.queues.map((q) => h('article', { class: 'card', 'data-queue': q.queue,
        'aria-label': `Queue ${q.queue}` },
        h('div', { class: 'row' }, h('h2', {}, h('a', { href: `#/queue/${q.queue}` }, q.queue)),
          q.paused ? h('span', { class: 'chip paused' }, 'paused') : null),
        h('div', { class: 'stats' },
          stat(q.waiting, 'waiting', `${q.queue}-waiting`),
          stat(q.scheduled, 'scheduled', `${q.queue}-scheduled`),
          stat(q.running, 'running', `${q.queue}-running`),
          stat(q.succeeded_last_hour, 'succeeded 1 h', `${q.queue}-succeeded`),
          stat(q.failed_last_hour, 'failed 1 h', `${q.queue}-failed`),
          stat(q.dead, 'dead', `${q.queue}-dead`)),
        h('p', { class: 'muted' }, `Oldest waiting: ${fmtAge(q.oldest_waiting_secs)}`),
        h('p', { class: 'muted' }, `History (1 h): ${q.history_succeeded_last_hour} succeeded, ${q.history_dead_last_hour} dead`)))),
    );
  };
  await draw();
  every(2000, draw);
}

// ---------- queue view ----------
function jobsTable(jobs, caption) {
  return h('div', { class: 'scroll' }, h('table', {},
    h('caption', { class: 'muted' }, caption),
    h('thead', {}, h('tr', {}, ['Job id', 'Job', 'State', 'Attempts', 'Run at', 'Last error'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, jobs.length ? jobs.map((j) => h('tr', {},
      h('td', {}, h('a', { href: `#/job/${j.id}` }, h('code', {}, j.id))),
      h('td', {}, j.job), h('td', {}, stateChip(j.state)),
      h('td', {}, `${j.attempts}/${j.max_attempts}`), h('td', {}, fmtTime(j.run_at)),
      h('td', {}, j.last_error || ''))) : h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No jobs.')))));
}

function pager(total, offset, limit, go) {
  const prev = h('button', { type: 'button', disabled: offset === 0 }, 'Previous');
  prev.addEventListener('click', () => go(Math.max(0, offset - limit)));
  const next = h('button', { type: 'button', disabled: offset + limit >= total }, 'Next');
  next.addEventListener('click', () => go(offset + limit));
  return h('div', { class: 'row' }, prev, h('span', { class: 'muted' },
    total ? `${offset + 1}–${Math.min(offset + limit, total)} of ${total}` : '0 jobs'), next);
}

async function queue([name], params) {
  name = QUEUES.includes(name) ? name : 'default';
  const state = params.get('state') || 'waiting';
  const q = params.get('q') || '';
  const offset = Number(params.get('offset') || 0);
  const go = (over) => {
    const p = new URLSearchParams({ state, q, offset, ...over });
    location.hash = `#/queue/${name}?${p}`;
  };
  const page = await api('GET', `/queues/${name}/jobs?` + new URLSearchParams({ state, offset, limit: 25, ...(q ? { q } : {}) }));
  const search = h('input', { id: 'search', type: 'search', value: q, placeholder: 'job id or payload text' });
  const form = h('form', { class: 'row', role: 'search', onsubmit: (e) => { e.preventDefault(); go({ q: search.value, offset: 0 }); } },
    h('label', { for: 'queue-select' }, 'Queue'),
    h('select', { id: 'queue-select', onchange: (e) => { location.hash = `#/queue/${e.target.value}?state=${state}`; } },
      QUEUES.map((x) => h('option', { value: x, selected: x === name }, x))),
    h('label', { for: 'state-select' }, 'State'),
    h('select', { id: 'state-select', onchange: (e) => go({ state: e.target.value, offset: 0 }) },
      ['waiting', 'scheduled', 'running', 'dead'].map((x) => h('option', { value: x, selected: x === state }, x))),
    h('label', { for: 'search' }, 'Search'), search, h('button', { type: 'submit' }, 'Search'));
  const toggle = page.paused
    ? actionButton(`Resume queue ${name}`, () => api('POST', `/queues/${name}/resume`), 'primary')
    : actionButton(`Pause queue ${name}`, () => api('POST', `/queues/${name}/pause`));
  show(
    h('div', { class: 'row' }, h('h1', {}, `Queue ${name}`),
      page.paused ? h('span', { class: 'chip paused', 'data-testid': 'paused' }, 'paused') : h('span', { class: 'chip', 'data-testid': 'active' }, 'active'), toggle),
    form,
    jobsTable(page.jobs, `${page.total} ${state} job(s)`),
    pager(page.total, offset, 25, (o) => go({ offset: o })));
}

// ---------- job view ----------
async function job([id]) {
  const draw = async () => {
    const v = await api('GET', `/jobs/${encodeURIComponent(id)}`);
    const r = v.record, hist = v.history;
    const st = r ? r.state : hist.state;
    const actions = h('div', { class: 'row' });
    if (r) {
      if (['dead', 'scheduled', 'retrying'].includes(st)) actions.append(actionButton('Retry now', () => api('POST', `/jobs/${id}/retry`), 'primary'));
      if (['waiting', 'scheduled', 'retrying'].includes(st)) actions.append(actionButton('Cancel', () => api('POST', `/jobs/${id}/cancel`)));
      if (st !== 'running') actions.append(actionButton('Delete', async () => {
        if (!confirm(`Delete job ${id}? This cannot be undone.`)) throw new Error('not confirmed');
        await api('DELETE', `/jobs/${id}`);
        location.hash = '#/dead';
      }, 'danger'));
    }
    const rows = [
      ['Job', r ? r.job : hist.job], ['Queue', r ? r.queue : hist.queue],
      ['State', h('span', { 'data-testid': 'job-state' }, stateChip(st))],
      ['Attempts', r ? `${r.attempts} of ${r.max_attempts}` : hist.attempts],
      ['Created', fmtTime(r ? r.created_at : hist.created_at)], ['Run at', fmtTime(r && r.run_at)],
      ['Started', fmtTime(r ? r.started_at : hist.started_at)], ['Finished', fmtTime(r ? r.finished_at : hist.finished_at)],
    ];
    if (r && r.next_attempt_at) rows.push(['Next attempt', fmtTime(r.next_attempt_at)]);
    show(
      h('h1', {}, 'Job ', h('code', {}, id)),
      actions,
      h('div', { class: 'card' }, h('dl', { class: 'kv' }, rows.map(([k, val]) => [h('dt', {}, k), h('dd', {}, val)]))),
      r && r.progress ? h('div', { class: 'card' }, h('label', { for: 'progress' }, `Progress ${r.progress.percent} %`),
        h('progress', { id: 'progress', max: 100, value: r.progress.percent }), h('p', { class: 'muted' }, r.progress.message || '')) : null,
      h('h2', {}, 'Payload'), h('pre', {}, JSON.stringify(r ? r.payload : null, null, 2)),
      r && r.result !== null && r.result !== undefined ? [h('h2', {}, 'Result'), h('pre', {}, JSON.stringify(r.result, null, 2))] : null,
      h('h2', {}, 'Attempts with errors'),
      r && r.errors.length ? h('ol', {}, r.errors.map((e) => h('li', {}, `attempt ${e.attempt} at ${fmtTime(e.at)}${e.permanent ? ' (permanent)' : ''}: `, h('code', {}, e.error))))
        : h('p', { class: 'muted' }, hist && hist.last_error ? hist.last_error : 'None.'),
      !r ? h('p', { class: 'muted' }, 'The live record has expired; this is the durable history summary.') : null,
    );
    return st;
  };
  const st = await draw();
  if (['succeeded', 'dead', 'cancelled'].includes(st)) return;
  // Live: the server pushes progress and state changes (Server-Sent Events); redraw on each, at most
  // every 250 ms. Polling again only if the stream cannot be opened.
  const hash = location.hash;
  let pending = false;
  const redraw = () => {
    if (pending || location.hash !== hash) return;
    pending = true;
    setTimeout(() => { pending = false; draw().catch(() => {}); }, 250);
  };
  if (typeof EventSource === 'undefined') { every(1500, draw); return; }
  stream = new EventSource(`${API}/jobs/${encodeURIComponent(id)}/events`);
  stream.addEventListener('progress', redraw);
  stream.addEventListener('state', (e) => {
    redraw();
    const s = JSON.parse(e.data).state;
    if (['succeeded', 'dead', 'cancelled'].includes(s) && stream) { stream.close(); stream = null; }
  });
  stream.onerror = () => {
    // The server ends the stream after the final state; a stream that never opened falls back to polling.
    if (stream && stream.readyState === EventSource.CLOSED) { stream = null; every(3000, draw); }
  };
}

// ---------- dead letters ----------
async function dead(_parts, params) {
  const offset = Number(params.get('offset') || 0);
  const [page, aside] = await Promise.all([api('GET', `/dead?offset=${offset}&limit=25`), api('GET', '/malformed')]);
  const retryAll = actionButton(`Retry all ${page.total} dead jobs`, async () => {
    if (!confirm(`Requeue all ${page.total} dead jobs?`)) throw new Error('not confirmed');
    const res = await api('POST', '/dead/retry-all', { expected_count: page.total });
    flash(`${res.requeued} job(s) requeued`);
  }, 'primary');
  if (!page.total) retryAll.disabled = true;
  show(
    h('div', { class: 'row' }, h('h1', {}, 'Dead letters'), retryAll),
    h('div', { class: 'scroll' }, h('table', {},
      h('caption', { class: 'muted' }, `${page.total} dead job(s), newest first`),
      h('thead', {}, h('tr', {}, ['Job id', 'Job', 'Attempts', 'Died', 'Reason', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, page.jobs.length ? page.jobs.map((j) => h('tr', {},
        h('td', {}, h('a', { href: `#/job/${j.id}` }, h('code', {}, j.id))), h('td', {}, j.job),
        h('td', {}, `${j.attempts}/${j.max_attempts}`), h('td', {}, fmtTime(j.finished_at)), h('td', {}, j.last_error || ''),
        h('td', { class: 'row' },
          actionButton('Retry', () => api('POST', `/jobs/${j.id}/retry`), '', `Retry job ${j.id}`),
          actionButton('Delete', async () => {
            if (!confirm(`Delete job ${j.id}?`)) throw new Error('not confirmed');
            await api('DELETE', `/jobs/${j.id}`);
          }, 'danger', `Delete job ${j.id}`)))) : h('tr', {}, h('td', { colspan: 6, class: 'muted' }, 'No dead jobs.'))))),
    pager(page.total, offset, 25, (o) => { location.hash = `#/dead?offset=${o}`; }),
    aside.total ? malformedTable(aside) : null);
}

// Envelopes a worker could not decode: their jobs are among the dead letters above (retry rebuilds the
// envelope from the job's record); the raw copies stay here until discarded. Their content is never shown.
function malformedTable(aside) {
  return h('div', { class: 'scroll' }, h('h2', {}, 'Set-aside envelopes'), h('table', {},
    h('caption', { class: 'muted' }, `${aside.total} envelope(s) no worker could decode`),
    h('thead', {}, h('tr', {}, ['Queue', 'Task id', 'Job', 'Size', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, aside.tasks.map((t) => h('tr', {},
      h('td', {}, t.queue), h('td', {}, h('code', {}, t.task_id)),
      h('td', {}, t.job_id ? h('a', { href: `#/job/${t.job_id}` }, h('code', {}, t.job_id)) : '—'),
      h('td', {}, `${t.bytes} bytes${t.json ? '' : ', not JSON'}`),
      h('td', {}, actionButton('Discard', async () => {
        if (!confirm(`Discard envelope ${t.task_id}? Its content is lost.`)) throw new Error('not confirmed');
        await api('DELETE', `/malformed/${encodeURIComponent(t.queue)}/${encodeURIComponent(t.task_id)}`);
      }, 'danger', `Discard envelope ${t.task_id}`)))))));
}

// ---------- history (Postgres, survives Redis and API restarts) ----------
async function history(_parts, params) {
  const queue = params.get('queue') || '';
  const state = params.get('state') || '';
  const before = params.get('before') || '';
  const q = new URLSearchParams({ limit: 25, ...(queue ? { queue } : {}), ...(state ? { state } : {}), ...(before ? { before } : {}) });
  const page = await api('GET', `/history?${q}`);
  const go = (over) => { location.hash = `#/history?${new URLSearchParams({ queue, state, ...over })}`; };
  const next = h('button', { type: 'button', disabled: !page.next_before }, 'Older');
  next.addEventListener('click', () => go({ before: page.next_before }));
  const newest = h('button', { type: 'button', disabled: !before }, 'Newest');
  newest.addEventListener('click', () => go({}));
  show(
    h('h1', {}, 'History'),
    h('p', { class: 'muted' }, 'Finished jobs as recorded in PostgreSQL: kept across Redis and API restarts.'),
    h('div', { class: 'row' },
      h('label', { for: 'history-queue' }, 'Queue'),
      h('select', { id: 'history-queue', onchange: (e) => go({ queue: e.target.value }) },
        h('option', { value: '' }, 'all'), QUEUES.map((x) => h('option', { value: x, selected: x === queue }, x))),
      h('label', { for: 'history-state' }, 'State'),
      h('select', { id: 'history-state', onchange: (e) => go({ state: e.target.value }) },
        ['', 'succeeded', 'dead'].map((x) => h('option', { value: x, selected: x === state }, x || 'all')))),
    h('div', { class: 'scroll' }, h('table', {},
      h('caption', { class: 'muted' }, before ? `Finished before ${fmtTime(before)}` : 'Most recent first'),
      h('thead', {}, h('tr', {}, ['Job id', 'Job', 'Queue', 'State', 'Attempts', 'Finished', 'Duration', 'Last error'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, page.jobs.length ? page.jobs.map((j) => h('tr', {},
        h('td', {}, h('a', { href: `#/job/${j.job_id}` }, h('code', {}, j.job_id))), h('td', {}, j.job), h('td', {}, j.queue),
        h('td', {}, stateChip(j.state)), h('td', {}, j.attempts), h('td', {}, fmtTime(j.finished_at)),
        h('td', {}, j.duration_ms === null ? '—' : `${j.duration_ms} ms`), h('td', {}, j.last_error || ''))) :
        h('tr', {}, h('td', { colspan: 8, class: 'muted' }, 'No finished jobs.'))))),
    h('div', { class: 'row' }, newest, next));
}

// ---------- workers ----------
async function workers() {
  const draw = async () => {
    const [list, buckets] = await Promise.all([api('GET', '/workers'), api('GET', '/rate-limits')]);
    show(h('h1', {}, 'Workers'), h('div', { class: 'scroll' }, h('table', {},
      h('caption', { class: 'muted' }, `${list.length} process(es) online`),
      h('thead', {}, h('tr', {}, ['Id', 'Host', 'Pid', 'Queues', 'Started', 'Last heartbeat', 'In flight'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, list.length ? list.map((p) => h('tr', {}, h('td', {}, h('code', {}, p.id)), h('td', {}, p.host), h('td', {}, p.pid),
        h('td', {}, p.queues.join(', ')), h('td', {}, fmtTime(p.started_at)), h('td', {}, fmtTime(p.heartbeat_at)), h('td', {}, p.in_flight))) :
        h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'No worker process is online.'))))),
    h('h2', {}, 'Rate limits'), h('div', { class: 'scroll' }, h('table', { 'data-testid': 'rate-limits' },
      h('caption', { class: 'muted' }, 'Global buckets, shared by every worker process'),
      h('thead', {}, h('tr', {}, ['Bucket', 'Limit', 'Tokens now', 'Jobs waiting', 'Paused until', 'Started', 'Throttled'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, buckets.length ? buckets.map((b) => h('tr', {}, h('td', {}, h('code', {}, b.name)), h('td', {}, b.limit), h('td', {}, b.tokens),
        h('td', {}, b.waiting), h('td', {}, b.paused_until ? fmtTime(b.paused_until) : '—'), h('td', {}, b.granted), h('td', {}, b.throttled))) :
        h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'No rate-limited job has run yet.'))))));
  };
  await draw();
  every(5000, draw);
}

// ---------- autofill ----------
function suggestedValue(s) {
  const v = s.value;
  if (typeof v === 'string') return v;
  if (s.action === 'create_person') return `${v.first_name || ''} ${v.last_name || ''}`.trim() + (v.organisation ? ` (${v.organisation.name})` : '');
  if (s.action === 'link_organisation') return `${v.name || ''} (${v.match || ''})`;
  return JSON.stringify(v);
}
async function autofill() {
  const o = await api('GET', '/autofill');
  const decide = (s, what, cls) => {
    const b = actionButton(what === 'approve' ? 'Approve' : 'Reject',
      () => api('POST', `/autofill/${s.id}/${what}`), cls, `${what} suggestion ${s.id}`);
    b.disabled = !o.can_decide;
    b.title = o.can_decide ? '' : 'Viewers only read';
    return b;
  };
  show(h('h1', {}, 'Autofill'),
    h('p', { class: 'muted' }, 'Suggestions from signatures and the web. ',
      ...o.counts.map((c) => h('span', { class: 'chip' }, `${c.status}: ${c.count}`))),
    h('h2', {}, 'Review queue'), h('div', { class: 'scroll' }, h('table', { 'data-testid': 'autofill-pending' },
      h('caption', { class: 'muted' }, `${o.pending.length} pending, surest first`),
      h('thead', {}, h('tr', {}, ['Record', 'Field', 'Suggested', 'Now', 'Confidence', 'Source', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, o.pending.length ? o.pending.map((s) => h('tr', {},
        h('td', {}, `${s.entity_type}${s.entity_id ? ' ' + s.entity_id : ' (new)'}`), h('td', {}, s.field),
        h('td', {}, suggestedValue(s)), h('td', {}, s.current_value || '—'), h('td', {}, s.confidence.toFixed(2)),
        h('td', {}, s.source), h('td', { class: 'row' }, decide(s, 'approve', 'primary'), decide(s, 'reject', '')))) :
        h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'Nothing to review.'))))),
    h('h2', {}, 'Precision, last 30 days'), h('div', { class: 'scroll' }, h('table', {},
      h('thead', {}, h('tr', {}, ['Field', 'Source', 'Approved', 'Edited', 'Rejected', 'Auto-applied', 'Precision'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', {}, o.accuracy.length ? o.accuracy.map((a) => {
        const decided = a.approved + a.rejected;
        const precision = decided ? ((a.approved - a.edited) / decided).toFixed(2) : '—';
        return h('tr', {}, h('td', {}, a.field), h('td', {}, a.source), h('td', {}, a.approved), h('td', {}, a.edited),
          h('td', {}, a.rejected), h('td', {}, a.auto_applied), h('td', {}, precision));
      }) : h('tr', {}, h('td', { colspan: 7, class: 'muted' }, 'No decision recorded yet (managers and admins see this table).'))))));
}

// ---------- schedules ----------
async function schedules() {
  const list = await api('GET', '/schedules');
  show(h('h1', {}, 'Schedules'), h('div', { class: 'scroll' }, h('table', {},
    h('caption', { class: 'muted' }, `Times in ${list[0] ? list[0].timezone : 'the scheduler time zone'}`),
    h('thead', {}, h('tr', {}, ['Entry', 'When', 'Job', 'Next fire', 'Last fire', 'Last result', 'Actions'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', {}, list.map((s) => {
      const res = s.last_result;
      const result = !res ? '—' : res.error ? h('span', { class: 'state-dead' }, res.error)
        : h('span', {}, res.manual ? 'manual run, job ' : 'job ', res.job_id ? h('a', { href: `#/job/${res.job_id}` }, h('code', {}, res.job_id)) : '');
      const cells = h('td', { class: 'row' },
        actionButton('Run now', () => api('POST', `/schedules/${encodeURIComponent(s.name)}/run`), 'primary', `Run ${s.name} now`));
      {
        cells.append(actionButton(s.enabled ? 'Disable' : 'Enable',
          () => api('POST', `/schedules/${encodeURIComponent(s.name)}/${s.enabled ? 'disable' : 'enable'}`), '',
          `${s.enabled ? 'Disable' : 'Enable'} ${s.name}`));
      }
      return h('tr', { 'data-schedule': s.name },
        h('td', {}, h('b', {}, s.name), s.enabled ? '' : h('span', { class: 'chip paused' }, ' disabled')),
        h('td', {}, s.description, h('br'), h('code', { class: 'muted' }, s.expression)),
        h('td', {}, s.job), h('td', {}, fmtTime(s.next_fire_at, s.timezone)), h('td', {}, fmtTime(s.last_fired_at, s.timezone)),
        h('td', { 'data-testid': `result-${s.name}` }, result), cells);
    })))));
}

// ---------- run a job ----------
async function run() {
  const jobs = await api('GET', '/run');
  if (!jobs.length) {
    show(h('h1', {}, 'Run a job'), h('p', { class: 'muted' }, 'Your role cannot start jobs.'));
    return;
  }
  const select = h('select', { id: 'run-job', name: 'job' }, jobs.map((j) => h('option', { value: j.name }, `${j.name} (${j.queue})`)));
  const desc = h('p', { class: 'muted', id: 'run-desc' });
  const payload = h('textarea', { id: 'run-payload', name: 'payload', spellcheck: 'false', 'aria-describedby': 'run-desc run-error' }, '{}');
  const error = h('p', { class: 'error', id: 'run-error', role: 'alert' });
  const describe = () => { const j = jobs.find((x) => x.name === select.value); desc.textContent = j ? `${j.description} · up to ${j.max_attempts} attempts` : ''; };
  select.addEventListener('change', describe); describe();
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Run now');
  const form = h('form', { class: 'card', onsubmit: async (e) => {
    e.preventDefault(); error.textContent = '';
    let body;
    try { body = JSON.parse(payload.value || '{}'); } catch (err) { error.textContent = `Payload is not valid JSON: ${err.message}`; payload.focus(); return; }
    submit.disabled = true;
    try {
      const res = await api('POST', '/run', { job: select.value, payload: body });
      location.hash = `#/job/${res.job_id}`;
    } catch (err) {
      error.textContent = err.body && err.body.error && err.body.error.field ? `${err.message} (field: ${err.body.error.field})` : err.message;
    } finally { submit.disabled = false; }
  } },
  h('label', { for: 'run-job' }, 'Job'), select, desc,
  h('label', { for: 'run-payload' }, 'Payload (JSON)'), payload, error, submit);
  show(h('h1', {}, 'Run a job'), form);
}

start().then(() => { if (!me) showLogin(); });
