// fakegraf's page: plain JavaScript, no framework and no build step. It
// reads fakegraf's HTTP API (/api/v1, described at /api/v1/openapi.json)
// and its event stream, and draws with uPlot (vendor/).
//
// Everything a sender sent (measurement names, tags, fields, values, the
// record's bytes) is untrusted. It reaches the document only as text: el()
// and textContent, never parsed as HTML, and shown() makes invisible and control
// characters visible. The Content-Security-Policy the server sends allows
// no inline script, so this file and uPlot are the only code that runs.
'use strict';

(function () {
  const API = '/api/v1';
  const SEVERITIES = ['error', 'warning', 'info'];

  // ---------------------------------------------------------------- helpers

  const $ = (id) => document.getElementById(id);

  // el makes an element with a class and text content.
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  // Characters that would hide or disguise text: controls, format
  // characters (bidirectional overrides, zero-width), separators other than
  // the space, private use and unassigned code points.
  const INVISIBLE = /[\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\ufffd]/gu;

  // shown is a sender's string as it is displayed: invisible characters
  // escaped, \n as \n.
  function shown(s) {
    return String(s).replace(INVISIBLE, (c) => {
      switch (c) {
        case '\n': return '\\n';
        case '\r': return '\\r';
        case '\t': return '\\t';
      }
      const cp = c.codePointAt(0);
      return cp < 0x100 ? '\\x' + hex(cp, 2) : '\\u{' + cp.toString(16).toUpperCase() + '}';
    });
  }

  function hex(n, width) { return n.toString(16).toUpperCase().padStart(width, '0'); }

  function clip(s, max) { return s.length > max ? s.slice(0, max - 1) + '…' : s; }

  const intFmt = new Intl.NumberFormat('en');
  function count(n) { return intFmt.format(n || 0); }

  function plural(n, word) { return count(n) + ' ' + word + (n === 1 ? '' : 's'); }

  function rate(n) {
    if (!isFinite(n) || n <= 0) return '0';
    return n >= 100 ? intFmt.format(Math.round(n)) : n.toFixed(1);
  }

  function bytes(n) {
    n = n || 0;
    if (n < 1024) return n + ' B';
    const units = ['KiB', 'MiB', 'GiB', 'TiB'];
    let i = -1;
    do { n /= 1024; i++; } while (n >= 1024 && i < units.length - 1);
    return n.toFixed(1) + ' ' + units[i];
  }

  function value(v) {
    if (typeof v === 'string') return JSON.stringify(v);
    return String(v);
  }

  function localTime(rfc3339) {
    const d = new Date(rfc3339);
    return isNaN(d) ? String(rfc3339) : d.toLocaleString();
  }

  function tagText(tags) {
    const keys = Object.keys(tags || {}).sort();
    return keys.map((k) => shown(k) + '=' + shown(tags[k])).join(',');
  }

  function tagsKey(tags) {
    return JSON.stringify(Object.keys(tags || {}).sort().map((k) => [k, tags[k]]));
  }

  async function getJSON(path) {
    const r = await fetch(path, { headers: { Accept: 'application/json' } });
    let body = null;
    try { body = await r.json(); } catch (e) { /* not JSON */ }
    if (!r.ok) throw new Error(path + ': ' + (body && body.error ? body.error : r.status + ' ' + r.statusText));
    return body;
  }

  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of params) q.append(k, v);
    return q.toString();
  }

  function showError(err) {
    const p = $('error');
    if (!err) { p.hidden = true; return; }
    p.textContent = String(err.message || err);
    p.hidden = false;
  }

  // throttle runs fn at most once every ms milliseconds: at once after a
  // quiet spell, then once more after the calls that came while it waited
  // or ran. Calls never overlap.
  function throttle(fn, ms) {
    let timer = null, again = false, last = -Infinity;
    function run() {
      if (timer) { again = true; return; }
      const wait = Math.max(0, last + ms - performance.now());
      timer = setTimeout(async () => {
        last = performance.now();
        try { await fn(); showError(null); } catch (e) { showError(e); }
        timer = null;
        if (again) { again = false; run(); }
      }, wait);
    }
    return run;
  }

  // ------------------------------------------------------------------ state

  const state = {
    summary: null,
    rules: new Map(), // rule id → {severity, title}
    samples: new Map(), // listener → [{t, records, metrics}] for rates
    severities: new Map(), // listener → {error, warning, info} among kept findings
    recordIds: new Map(), // listener + record number → the API's record id
    series: [], // /api/v1/series
    points: new Map(), // name\0field → the series of /api/v1/series/points
    selected: new Map(), // selection key → {name, tags, field}
    collapsed: new Set(), // measurement names folded in the explorer
    everSelected: false,
  };

  function selectionKey(name, tags, field) { return JSON.stringify([name, tagsKey(tags), field]); }
  function pointsKey(name, field) { return name + '\u0000' + field; }

  // ------------------------------------------------------------- event stream

  let source = null;

  function connect() {
    if (source) source.close();
    // The light kinds only: the page polls the summary and the series, and
    // encoding every record and metric for it cost a third more CPU per
    // metric under load. Findings carry their record's id.
    source = new EventSource(API + '/events?kinds=listening,finding,conn_open,conn_close,reset');
    setLive('connecting');
    source.onopen = () => { setLive('live'); refreshAll(); };
    source.onerror = () => setLive(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
    source.onmessage = (m) => {
      let ev;
      try { ev = JSON.parse(m.data); } catch (e) { return; }
      onEvent(ev);
    };
  }

  function setLive(s) {
    const e = $('live');
    e.dataset.state = s;
    e.textContent = { live: 'live', connecting: 'connecting…', reconnecting: 'reconnecting…', closed: 'disconnected' }[s] || s;
  }

  function onEvent(ev) {
    switch (ev.event) {
      case 'listening':
        refreshSummary();
        break;
      case 'record':
        state.recordIds.set(ev.listener + '\u0000' + ev.record, ev.id);
        if (state.recordIds.size > 100000) state.recordIds.delete(state.recordIds.keys().next().value);
        refreshSummary();
        break;
      case 'metric':
        refreshSeries();
        break;
      case 'finding':
        addLiveFinding(ev);
        refreshFindings();
        refreshSummary();
        break;
      case 'conn_open':
      case 'conn_close':
        refreshSummary();
        break;
      case 'reset':
        state.samples.clear();
        state.points.clear();
        refreshAll();
        break;
      case 'dropped':
        // This page fell behind; the server let go of it. Start again.
        source.close();
        setLive('reconnecting');
        setTimeout(connect, 500);
        break;
    }
  }

  function refreshAll() {
    refreshSummary();
    refreshFindings();
    refreshSeries();
  }

  // -------------------------------------------------------------- listeners

  const refreshSummary = throttle(async () => {
    const s = await getJSON(API + '/summary');
    state.summary = s;
    const now = performance.now();
    for (const l of s.listeners || []) {
      let xs = state.samples.get(l.listener);
      if (!xs) state.samples.set(l.listener, xs = []);
      xs.push({ t: now, records: l.records, metrics: l.metrics });
      while (xs.length > 2 && now - xs[1].t > 5000) xs.shift();
    }
    renderTotals();
    renderListeners();
    renderRecording(await getJSON('/recording'));
  }, 250);

  // Rates need a fresh sample even when nothing arrives.
  // Metrics are not streamed to the page: the series follow the summary's
  // count of metrics, at once when traffic starts and then at most every 3
  // seconds while it flows (each listing copies every series; a sender with
  // many thousands of series makes it a few milliseconds of fakegraf's time).
  let seenMetrics = -1;
  let seriesAt = 0;
  setInterval(() => {
    if (document.hidden) return;
    refreshSummary();
    const n = state.summary ? state.summary.metrics : -1;
    const now = performance.now();
    if (n !== seenMetrics && (seenMetrics <= 0 || now - seriesAt >= 3000)) {
      seenMetrics = n;
      seriesAt = now;
      refreshSeries();
    }
  }, 1000);

  function listenerRate(url, key) {
    const xs = state.samples.get(url) || [];
    if (xs.length < 2) return 0;
    const a = xs[0], b = xs[xs.length - 1];
    const dt = (b.t - a.t) / 1000;
    return dt > 0 ? (b[key] - a[key]) / dt : 0;
  }

  function renderTotals() {
    const s = state.summary;
    const t = $('totals');
    t.replaceChildren();
    if (!s) return;
    const records = (s.listeners || []).reduce((n, l) => n + l.records, 0);
    t.append(el('span', 'stat', count(records) + ' records'), el('span', 'stat', count(s.metrics) + ' metrics'));
    for (const sev of SEVERITIES) {
      const n = (s.findings_by_severity || {})[sev] || 0;
      t.append(el('span', 'sev sev-' + sev + (n ? '' : ' zero'), count(n) + ' ' + sev));
    }
    if (s.dropped_records) {
      t.append(el('span', 'stat warn', count(s.dropped_records) + ' records no longer kept (--keep ' + count(s.keep) + ')'));
    }
  }

  function renderListeners() {
    const box = $('listeners');
    const ls = (state.summary && state.summary.listeners) || [];
    if (!ls.length) { box.replaceChildren(el('p', 'empty', 'No listener yet.')); return; }
    box.replaceChildren(...ls.map(renderListener));
  }

  function renderListener(l) {
    const card = el('article', 'listener');
    card.dataset.listener = l.listener;
    const head = el('div', 'listener-head');
    head.append(el('span', 'url', l.listener), el('span', 'format', l.data_format || 'auto'));
    card.append(head);

    const r = el('div', 'rate');
    r.append(el('span', 'big', rate(listenerRate(l.listener, 'metrics'))), el('span', 'unit', ' metrics/s  '),
      el('span', 'small', rate(listenerRate(l.listener, 'records')) + ' records/s'));
    card.append(r);

    const dl = el('dl', 'counts');
    const add = (k, v, cls) => {
      const d = el('div', cls || '');
      d.append(el('dt', '', k), el('dd', '', v));
      dl.append(d);
    };
    add('records', count(l.records));
    add('metrics', count(l.metrics));
    add('bytes', bytes(l.bytes));
    if (l.rejected_records) add('rejected', count(l.rejected_records) + ' (' + bytes(l.rejected_bytes) + ')', 'bad');
    if (l.connections) add('connections', count(l.connections));
    if (l.pending_bytes) add('cut off', bytes(l.pending_bytes), 'bad');
    add('kernel drops', count(l.kernel_drops), l.kernel_drops ? 'bad kernel-drops' : 'kernel-drops');
    if (l.socket_errors) add('socket errors', count(l.socket_errors), 'bad');
    card.append(dl);

    const sev = el('div', 'severities');
    const counts = state.severities.get(l.listener) || {};
    for (const s of SEVERITIES) {
      const n = counts[s] || 0;
      const b = el('span', 'sev sev-' + s + (n ? '' : ' zero'), count(n) + ' ' + s);
      b.dataset.severity = s;
      sev.append(b);
    }
    card.append(sev);
    return card;
  }

  // --------------------------------------------------------------- recording

  // A golden file and the NDJSON events come from a recording: fakegraf
  // keeps what they need only between Record and Stop (web/recorder.go).
  let recording = false;

  function clock(t) { return new Date(t).toLocaleTimeString(); }

  function renderRecording(st) {
    recording = st.recording;
    const btn = $('rec');
    btn.textContent = st.recording ? '■ Stop' : (st.started ? '● Record again' : '● Record');
    btn.dataset.recording = String(st.recording);
    let text = '';
    if (st.recording) text = 'recording since ' + clock(st.started) + ': ' + plural(st.records, 'record');
    else if (st.started) text = 'recorded ' + plural(st.records, 'record') + ', ' + clock(st.started) + '–' + clock(st.stopped);
    if (st.dropped) text += ' (the oldest ' + count(st.dropped) + ' events were dropped: --keep ' + count(st.keep) + ')';
    $('rec-status').textContent = text;
    $('dl-golden').hidden = $('dl-events').hidden = !st.started;
  }

  $('rec').addEventListener('click', async () => {
    try {
      const r = await fetch('/recording', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ recording: !recording }),
      });
      const body = await r.json();
      if (!r.ok) throw new Error(body.error || r.status);
      renderRecording(body);
    } catch (e) {
      showError(e);
    }
  });

  // ---------------------------------------------------------------- findings

  // A finding that just arrived is shown at once, before the listings that
  // follow it are fetched.
  const live = [];

  function addLiveFinding(ev) {
    const id = ev.record_id || state.recordIds.get(ev.source.listener + '\u0000' + ev.source.record) || 0;
    live.push(Object.assign({ record_id: id }, ev));
    if (live.length > 50) live.shift();
    renderFindings();
  }

  let groups = new Map(); // rule → {matched, findings}

  const refreshFindings = throttle(async () => {
    if (!state.rules.size) {
      for (const r of await getJSON('/rules.json')) state.rules.set(r.id, r);
    }
    const seen = live.length;
    const s = state.summary || await getJSON(API + '/summary');
    const rules = Object.keys(s.findings_by_rule || {});
    for (const f of live) if (!rules.includes(f.rule)) rules.push(f.rule);
    const next = new Map();
    await Promise.all(rules.map(async (rule) => {
      const r = await getJSON(API + '/findings?' + query([['rule', rule], ['limit', '5']]));
      next.set(rule, { matched: r.matched, findings: r.findings || [] });
    }));
    const listeners = (s.listeners || []).map((l) => l.listener);
    const sev = new Map();
    await Promise.all(listeners.flatMap((url) => SEVERITIES.map(async (sv) => {
      const r = await getJSON(API + '/findings?' + query([['listener', url], ['severity', sv], ['limit', '1']]));
      if (!sev.has(url)) sev.set(url, {});
      sev.get(url)[sv] = r.matched;
    })));
    groups = next;
    state.severities = sev;
    live.splice(0, seen); // those the listings now hold
    renderFindings();
    renderListeners();
  }, 400);

  const SEV_RANK = { error: 0, warning: 1, info: 2 };

  function renderFindings() {
    const byRule = new Map();
    for (const [rule, g] of groups) byRule.set(rule, { rule, matched: g.matched, findings: g.findings.slice() });
    for (const f of live) {
      let g = byRule.get(f.rule);
      if (!g) byRule.set(f.rule, g = { rule: f.rule, matched: 0, findings: [] });
      if (!g.findings.some((x) => sameFinding(x, f))) { g.findings.push(f); g.matched++; }
    }
    const s = state.summary || {};
    const list = [...byRule.values()].map((g) => {
      g.total = Math.max((s.findings_by_rule || {})[g.rule] || 0, g.matched);
      g.worst = Math.min(...g.findings.map((f) => SEV_RANK[f.severity] ?? 3), 3);
      return g;
    }).filter((g) => g.total > 0);
    list.sort((a, b) => a.worst - b.worst || b.total - a.total || a.rule.localeCompare(b.rule));
    const box = $('findings-list');
    const total = list.reduce((n, g) => n + g.total, 0);
    $('findings-total').textContent = total ? count(total) + ' in all, by rule' : '';
    if (!list.length) { box.replaceChildren(el('p', 'empty', 'No findings.')); return; }
    box.replaceChildren(...list.map(renderGroup));
  }

  function sameFinding(a, b) {
    return a.rule === b.rule && a.source.listener === b.source.listener && a.source.record === b.source.record &&
      a.position.offset === b.position.offset && a.message === b.message;
  }

  function renderGroup(g) {
    const newest = g.findings[g.findings.length - 1];
    const info = state.rules.get(g.rule);
    const box = el('article', 'rule');
    box.dataset.rule = g.rule;
    const head = el('div', 'rule-head');
    const sev = newest ? newest.severity : (info ? info.severity : 'info');
    head.append(el('span', 'sev sev-' + sev, sev), el('code', 'rule-id', g.rule), el('span', 'count', '× ' + count(g.total)));
    if (info) head.append(el('span', 'title', info.title));
    box.append(head);
    if (newest) {
      box.append(el('p', 'message', shown(newest.message)));
      if (newest.fixes && newest.fixes.length) {
        const ul = el('ul', 'fixes');
        for (const fix of newest.fixes) {
          const li = el('li', 'fix');
          li.append(el('span', 'fix-label', 'fix: '), el('span', 'fix-text', shown(fix)));
          ul.append(li);
        }
        box.append(ul);
      }
      const occ = el('ul', 'occurrences');
      for (const f of g.findings.slice().reverse()) occ.append(renderOccurrence(f, f.message !== newest.message));
      if (g.total > g.findings.length) occ.append(el('li', 'more', (g.total - g.findings.length) + ' more'));
      box.append(occ);
    }
    return box;
  }

  function renderOccurrence(f, withMessage) {
    const li = el('li', 'occurrence');
    const where = f.position && f.position.line ? ' at ' + f.position.line + ':' + f.position.column : '';
    if (f.record_id) {
      const a = el('a', 'record-link', 'record ' + f.source.record + where);
      a.href = '#record/' + Number(f.record_id) + '/' + Number(f.position ? f.position.offset : 0);
      li.append(a);
    } else if (f.source.record) {
      li.append(el('span', 'record-gone', 'record ' + f.source.record + where + ' (no longer kept)'));
    } else {
      li.append(el('span', 'record-socket', 'the socket'));
    }
    li.append(el('span', 'occ-listener', ' ' + f.source.listener + (f.source.peer ? ' from ' + f.source.peer : '')));
    if (f.count > 1) li.append(el('span', 'occ-count', ' × ' + count(f.count)));
    if (withMessage) li.append(el('span', 'occ-message', ' ' + clip(shown(f.message), 160)));
    return li;
  }

  // ------------------------------------------------------------------ series

  const MAX_SERIES_SHOWN = 200;
  const MAX_POINT_QUERIES = 40;
  const POINTS_PER_SERIES = 1000;
  const SPARK_POINTS = 60;

  const refreshSeries = throttle(async () => {
    const s = await getJSON(API + '/series');
    state.series = s.series || [];
    if (!state.everSelected && !state.selected.size) chooseDefault();
    // Points for the fields on show and for the plot, one query per
    // measurement and field.
    const want = new Map();
    for (const sr of visibleSeries().slice(0, MAX_SERIES_SHOWN)) {
      if (state.collapsed.has(sr.name)) continue;
      for (const f of Object.keys(sr.fields)) if (numeric(sr.fields[f])) want.set(pointsKey(sr.name, f), [sr.name, f]);
    }
    // A sparkline needs its last SPARK_POINTS; a plotted field more. The
    // server reads newest first and stops at the limit, so a small one is
    // cheap however much is kept.
    const pairs = [...want.values()].slice(0, MAX_POINT_QUERIES).map(([n, f]) => [n, f, SPARK_POINTS]);
    for (const sel of state.selected.values()) {
      const k = pointsKey(sel.name, sel.field);
      const p = pairs.find(([n, f]) => pointsKey(n, f) === k);
      if (p) p[2] = POINTS_PER_SERIES;
      else pairs.push([sel.name, sel.field, POINTS_PER_SERIES]);
    }
    const points = new Map();
    await Promise.all(pairs.map(async ([name, field, limit]) => {
      const r = await getJSON(API + '/series/points?' + query([['name', name], ['field', field], ['limit', String(limit)]]));
      points.set(pointsKey(name, field), r.series || []);
    }));
    state.points = points;
    renderSeries();
    renderPlot();
  }, 500);

  function numeric(f) { return ['float', 'int', 'uint', 'bool'].includes(f.type); }

  function chooseDefault() {
    for (const sr of state.series) {
      const f = Object.keys(sr.fields).sort().find((k) => numeric(sr.fields[k]));
      if (f) { state.selected.set(selectionKey(sr.name, sr.tags, f), { name: sr.name, tags: sr.tags, field: f }); return; }
    }
  }

  function visibleSeries() {
    const q = $('series-filter').value.trim().toLowerCase();
    return q ? state.series.filter((s) => s.name.toLowerCase().includes(q)) : state.series;
  }

  function renderSeries() {
    const tree = $('series-tree');
    const all = visibleSeries();
    if (!all.length) {
      tree.replaceChildren(el('p', 'empty', state.series.length ? 'No measurement matches the filter.' : 'Nothing has arrived yet.'));
      return;
    }
    const shownSeries = all.slice(0, MAX_SERIES_SHOWN);
    const byName = new Map();
    for (const s of shownSeries) {
      if (!byName.has(s.name)) byName.set(s.name, []);
      byName.get(s.name).push(s);
    }
    const nodes = [];
    for (const [name, list] of byName) nodes.push(renderMeasurement(name, list));
    if (all.length > shownSeries.length) {
      nodes.push(el('p', 'more', (all.length - shownSeries.length) + ' more series: filter to narrow the list'));
    }
    tree.replaceChildren(...nodes);
    for (const c of tree.querySelectorAll('canvas.spark')) drawSpark(c);
  }

  function renderMeasurement(name, list) {
    const box = el('div', 'measurement');
    box.dataset.name = name;
    const head = el('button', 'measurement-head');
    head.type = 'button';
    const folded = state.collapsed.has(name);
    head.setAttribute('aria-expanded', String(!folded));
    const metrics = list.reduce((n, s) => n + s.count, 0);
    head.append(el('span', 'caret', folded ? '▸' : '▾'), el('span', 'mname', shown(name)),
      el('span', 'mcount', list.length + ' series, ' + plural(metrics, 'metric')));
    head.addEventListener('click', () => {
      if (state.collapsed.has(name)) state.collapsed.delete(name); else state.collapsed.add(name);
      renderSeries();
      refreshSeries();
    });
    box.append(head);
    if (folded) return box;
    for (const s of list) box.append(renderOneSeries(s));
    return box;
  }

  function renderOneSeries(s) {
    const box = el('div', 'one-series');
    const head = el('div', 'series-head');
    const tags = tagText(s.tags);
    head.append(el('span', 'tags', tags || '(no tags)'));
    head.append(el('span', 'series-meta', plural(s.count, 'metric') + ', last ' + localTime(s.last_time_rfc3339)));
    box.append(head);
    const table = el('table', 'fields');
    const pts = new Map();
    for (const f of Object.keys(s.fields)) {
      const ps = (state.points.get(pointsKey(s.name, f)) || []).find((p) => tagsKey(p.tags) === tagsKey(s.tags));
      if (ps) pts.set(f, ps.points);
    }
    for (const f of Object.keys(s.fields).sort()) {
      const info = s.fields[f];
      const tr = el('tr', 'field');
      tr.dataset.field = f;
      const key = selectionKey(s.name, s.tags, f);
      const pick = el('td', 'pick');
      if (numeric(info)) {
        const cb = el('input');
        cb.type = 'checkbox';
        cb.checked = state.selected.has(key);
        cb.setAttribute('aria-label', 'plot ' + shown(s.name) + ' ' + shown(f));
        cb.addEventListener('change', () => {
          state.everSelected = true;
          if (cb.checked) state.selected.set(key, { name: s.name, tags: s.tags, field: f });
          else state.selected.delete(key);
          renderPlot();
          refreshSeries();
        });
        pick.append(cb);
      }
      const types = el('td', 'types');
      for (const t of info.types || [info.type]) types.append(el('span', 'type type-' + t, t));
      if (info.types) types.append(el('span', 'type-changed', 'type changed'));
      const spark = el('td', 'spark-cell');
      const p = pts.get(f);
      if (p && numeric(info)) {
        const c = el('canvas', 'spark');
        c.width = 120; c.height = 22;
        c._points = p.slice(-SPARK_POINTS);
        spark.append(c);
      }
      const last = el('td', 'last', clip(shown(value(info.last)), 200));
      last.title = clip(shown(value(info.last)), 2000);
      tr.append(pick, el('td', 'fname', shown(f)), types, last, spark);
      table.append(tr);
    }
    box.append(table);
    return box;
  }

  function num(v) {
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'number') return v;
    if (typeof v === 'string') { const n = Number(v); return isNaN(n) && v !== 'NaN' ? null : n; }
    return null;
  }

  function drawSpark(c) {
    const pts = c._points || [];
    const ratio = window.devicePixelRatio || 1;
    const w = 120, h = 22;
    c.width = w * ratio; c.height = h * ratio;
    c.style.width = w + 'px'; c.style.height = h + 'px';
    const g = c.getContext('2d');
    g.scale(ratio, ratio);
    const ys = pts.map((p) => num(p.value)).filter((v) => v !== null && isFinite(v));
    if (!ys.length) return;
    let lo = Math.min(...ys), hi = Math.max(...ys);
    if (lo === hi) { lo -= 1; hi += 1; }
    g.strokeStyle = '#1f6feb';
    g.lineWidth = 1.25;
    g.beginPath();
    let i = 0;
    for (const p of pts) {
      const v = num(p.value);
      if (v === null || !isFinite(v)) continue;
      const x = pts.length === 1 ? w / 2 : 1 + (i++ / (pts.length - 1)) * (w - 2);
      const y = h - 2 - ((v - lo) / (hi - lo)) * (h - 4);
      if (i === 1) g.moveTo(x, y); else g.lineTo(x, y);
    }
    g.stroke();
    if (ys.length === 1) { // a single point: a dot, not an empty line
      g.fillStyle = g.strokeStyle;
      g.beginPath();
      g.arc(w / 2, h / 2, 2, 0, 2 * Math.PI);
      g.fill();
    }
  }

  $('series-filter').addEventListener('input', () => { renderSeries(); refreshSeries(); });

  // -------------------------------------------------------------------- plot

  const COLORS = ['#1f6feb', '#d1495b', '#2a9d8f', '#e9a03b', '#7b61ff', '#6b8e23', '#c2185b', '#00838f'];
  let plot = null, plotKeys = '', zoomed = false;

  function renderPlot() {
    const box = $('plot');
    const sels = [...state.selected.entries()];
    const tables = [], labels = [];
    let n = 0;
    for (const [, sel] of sels) {
      const list = state.points.get(pointsKey(sel.name, sel.field)) || [];
      const ps = list.find((p) => tagsKey(p.tags) === tagsKey(sel.tags));
      const xs = [], ys = [];
      for (const p of (ps ? ps.points : [])) {
        const v = num(p.value);
        xs.push(p.time / 1e9);
        ys.push(v === null || !isFinite(v) ? null : v);
        if (v !== null) n++;
      }
      tables.push([xs, ys]);
      const tags = tagText(sel.tags);
      labels.push(shown(sel.name) + (tags ? ',' + tags : '') + ' ' + shown(sel.field));
    }
    box.dataset.series = String(sels.length);
    box.dataset.points = String(n);
    if (!sels.length) {
      if (plot) { plot.destroy(); plot = null; plotKeys = ''; }
      box.replaceChildren(el('p', 'empty', 'Tick a numeric field to plot it.'));
      return;
    }
    const data = joinTables(tables);
    const keys = sels.map(([k]) => k).join('\n');
    if (plot && keys === plotKeys) {
      plot.setData(data, !zoomed);
      return;
    }
    if (plot) plot.destroy();
    box.replaceChildren();
    zoomed = false;
    plotKeys = keys;
    const opts = {
      width: Math.max(300, box.clientWidth - 8),
      height: 280,
      scales: { x: { time: true } },
      // Series seldom share timestamps: under the cursor, each shows its
      // point nearest in time rather than nothing.
      cursor: { drag: { x: true, y: false }, points: { size: 6 }, dataIdx: nearestPoint },
      series: [{ label: 'time' }].concat(labels.map((label, i) => ({
        label, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true,
        points: { show: true, size: 4 },
      }))),
      axes: [{}, { size: 60 }],
      hooks: {
        // Zoomed in: new points keep the range the user chose.
        setScale: [(u, key) => {
          if (key !== 'x') return;
          const xs = u.data[0], min = u.scales.x.min, max = u.scales.x.max;
          zoomed = xs.length > 1 && (min > xs[0] || max < xs[xs.length - 1]);
          box.dataset.zoomed = String(zoomed);
          box.dataset.xmin = String(min);
          box.dataset.xmax = String(max);
        }],
      },
    };
    plot = new uPlot(opts, data, box);
  }

  function nearestPoint(u, sidx, idx) {
    const ys = u.data[sidx], xs = u.data[0];
    if (ys[idx] != null) return idx;
    let lo = idx - 1, hi = idx + 1;
    while (lo >= 0 && ys[lo] == null) lo--;
    while (hi < ys.length && ys[hi] == null) hi++;
    if (lo < 0) return hi < ys.length ? hi : idx;
    if (hi >= ys.length) return lo;
    return xs[idx] - xs[lo] <= xs[hi] - xs[idx] ? lo : hi;
  }

  // joinTables aligns the series on one time axis, null where a series has
  // no point (uPlot.join does the same, but wants sorted, distinct times).
  function joinTables(tables) {
    const times = new Set();
    for (const [xs] of tables) for (const x of xs) times.add(x);
    const xs = [...times].sort((a, b) => a - b);
    const at = new Map(xs.map((x, i) => [x, i]));
    const out = [xs];
    for (const [txs, tys] of tables) {
      const ys = new Array(xs.length).fill(null);
      for (let i = 0; i < txs.length; i++) ys[at.get(txs[i])] = tys[i];
      out.push(ys);
    }
    return out;
  }

  window.addEventListener('resize', () => {
    if (plot) plot.setSize({ width: Math.max(300, $('plot').clientWidth - 8), height: 280 });
  });

  // --------------------------------------------------------- record inspector

  const MAX_RAW = 64 * 1024;

  async function route() {
    const m = /^#record\/(\d+)(?:\/(\d+))?$/.exec(location.hash);
    const box = $('inspector');
    if (!m) { box.hidden = true; document.body.classList.remove('inspecting'); return; }
    box.hidden = false;
    document.body.classList.add('inspecting');
    const body = $('inspector-body');
    body.replaceChildren(el('p', 'empty', 'Loading record ' + m[1] + '…'));
    try {
      const r = await getJSON(API + '/records/' + m[1]);
      renderRecord(body, r, m[2] === undefined ? null : Number(m[2]));
    } catch (e) {
      body.replaceChildren(el('p', 'error', String(e.message || e)));
    }
  }

  function recordBytes(rec) {
    if (rec.data_base64) {
      const bin = atob(rec.data_base64);
      const b = new Uint8Array(bin.length);
      for (let i = 0; i < bin.length; i++) b[i] = bin.charCodeAt(i);
      return b;
    }
    return new TextEncoder().encode(rec.data);
  }

  function renderRecord(body, r, offset) {
    const rec = r.record;
    const findings = r.findings || [];
    if (offset === null && findings.length) offset = findings[0].position.offset;
    body.replaceChildren();
    $('inspector-h').textContent = 'Record ' + rec.record + ' of ' + rec.listener;

    const facts = el('dl', 'facts');
    const fact = (k, v) => { facts.append(el('dt', '', k), el('dd', '', v)); };
    fact('listener', rec.listener);
    if (rec.peer) fact('peer', rec.peer);
    if (rec.conn) fact('connection', String(rec.conn));
    fact('received', localTime(rec.time));
    fact('size', count(rec.bytes) + ' bytes' + (rec.terminated ? ', ends with its terminator' : ', no terminator') + (rec.truncated ? ', truncated' : ''));
    fact('data format', rec.data_format);
    fact('metrics', count(rec.metrics));
    if (rec.error) fact("Telegraf's error", shown(rec.error));
    if (rec.http) {
      // A request to an HTTP input: what the sender asked and what
      // Telegraf's plugin answered. Every part came from the sender or
      // from the plugin's answer to it: text only.
      const h = rec.http;
      fact('request', shown(h.method + ' ' + h.path + (h.query ? '?' + h.query : '')));
      const headers = Object.keys(h.request_headers || {}).sort().map((k) => k + ': ' + h.request_headers[k]);
      if (h.authorization) headers.push('Authorization: (sent, not kept)');
      if (headers.length) fact('request headers', shown(headers.join('; ')));
      fact('answered', String(Number(h.status)));
      if (h.response_body) fact('response body', shown(h.response_body));
      else if (h.response_body_base64) fact('response body', '(' + count(atob(h.response_body_base64).length) + ' bytes, not text)');
    }
    body.append(facts);

    body.append(el('h3', '', 'Bytes'));
    const b = recordBytes(rec);
    body.append(renderRaw(b, offset, findings));

    body.append(el('h3', '', 'Findings'));
    if (!findings.length) body.append(el('p', 'empty', 'None.'));
    const ul = el('ul', 'record-findings');
    for (const f of findings) {
      const li = el('li', 'record-finding');
      const at = el('a', 'at', f.position.line ? f.position.line + ':' + f.position.column : 'byte ' + f.position.offset);
      at.href = '#record/' + Number(r.record.id) + '/' + Number(f.position.offset);
      at.title = 'byte offset ' + f.position.offset;
      li.append(el('span', 'sev sev-' + f.severity, f.severity), el('code', 'rule-id', f.rule), at, el('span', 'message', shown(f.message)));
      if (f.fixes && f.fixes.length) {
        const fx = el('ul', 'fixes');
        for (const fix of f.fixes) {
          const x = el('li', 'fix');
          x.append(el('span', 'fix-label', 'fix: '), el('span', 'fix-text', shown(fix)));
          fx.append(x);
        }
        li.append(fx);
      }
      ul.append(li);
    }
    body.append(ul);

    body.append(el('h3', '', 'Metrics Telegraf would store'));
    const ms = r.metrics || [];
    if (!ms.length) body.append(el('p', 'empty', rec.error ? 'None: Telegraf rejects the whole record.' : 'None.'));
    for (const m of ms) body.append(renderMetric(m));
    const hl = body.querySelector('.raw .hl');
    if (hl) hl.scrollIntoView({ block: 'center' });
  }

  function renderMetric(m) {
    const box = el('div', 'metric');
    const head = el('div', 'metric-head');
    head.append(el('span', 'mname', shown(m.name)));
    const tags = tagText(m.tags);
    if (tags) head.append(el('span', 'tags', tags));
    head.append(el('span', 'series-meta', localTime(m.time_rfc3339)));
    box.append(head);
    const t = el('table', 'fields');
    for (const k of Object.keys(m.fields).sort()) {
      const tr = el('tr');
      const type = m.field_types[k];
      const ty = el('td', 'types');
      ty.append(el('span', 'type type-' + type, type));
      tr.append(el('td', 'fname', shown(k)), ty, el('td', 'last', shown(value(m.fields[k]))));
      t.append(tr);
    }
    box.append(t);
    if (m.line) box.append(el('pre', 'line', shown(m.line)));
    return box;
  }

  // renderRaw shows a record's bytes: printable text as it is, everything
  // else escaped (\n, \t, \xNN, \u{…}), the byte at offset highlighted and
  // every finding's byte marked.
  function renderRaw(b, offset, findings) {
    const pre = el('pre', 'raw');
    let start = 0, end = b.length;
    if (b.length > MAX_RAW) {
      const centre = offset === null ? 0 : offset;
      start = Math.max(0, centre - MAX_RAW / 2);
      end = Math.min(b.length, start + MAX_RAW);
    }
    if (start > 0) pre.append(el('span', 'elided', '… ' + count(start) + ' bytes before …\n'));
    const marks = new Set(findings.map((f) => f.position.offset));
    let text = '';
    const flush = () => { if (text) { pre.append(document.createTextNode(text)); text = ''; } };
    const dec = new TextDecoder('utf-8', { fatal: true });
    let i = start;
    while (i < end) {
      const n = utf8Len(b, i);
      let unit, escaped = false;
      if (b[i] >= 0x20 && b[i] < 0x7f) {
        unit = String.fromCharCode(b[i]);
      } else if (n === 0) {
        unit = '\\x' + hex(b[i], 2);
        escaped = true;
      } else {
        const ch = dec.decode(b.subarray(i, i + n));
        const vis = shown(ch);
        escaped = vis !== ch;
        unit = vis;
        if (ch === '\n') unit = '\\n\n';
      }
      const len = n || 1;
      const hit = offset !== null && offset >= i && offset < i + len;
      if (hit || escaped || marks.has(i)) {
        flush();
        const s = el('span', (escaped ? 'esc' : '') + (marks.has(i) ? ' mark' : '') + (hit ? ' hl' : ''), unit);
        s.title = 'byte ' + i;
        pre.append(s);
      } else {
        text += unit;
      }
      i += len;
    }
    flush();
    if (end < b.length) pre.append(el('span', 'elided', '\n… ' + count(b.length - end) + ' bytes after …'));
    if (offset !== null && offset >= b.length) {
      const s = el('span', 'end hl', '⟂ end');
      s.title = 'byte ' + offset + ': the end of the record';
      pre.append(s);
    }
    return pre;
  }

  // utf8Len is the length of the valid UTF-8 sequence at i, or 0.
  function utf8Len(b, i) {
    const c = b[i];
    if (c < 0x80) return 1;
    let n, min;
    if (c >= 0xc2 && c <= 0xdf) { n = 2; min = 0x80; } else if (c >= 0xe0 && c <= 0xef) { n = 3; min = 0x800; } else if (c >= 0xf0 && c <= 0xf4) { n = 4; min = 0x10000; } else return 0;
    if (i + n > b.length) return 0;
    let cp = c & (0xff >> (n + 1));
    for (let k = 1; k < n; k++) {
      if ((b[i + k] & 0xc0) !== 0x80) return 0;
      cp = (cp << 6) | (b[i + k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return n;
  }

  $('inspector-close').addEventListener('click', (e) => {
    e.preventDefault();
    history.pushState(null, '', location.pathname + location.search);
    route();
  });
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !$('inspector').hidden) $('inspector-close').click();
  });
  window.addEventListener('hashchange', route);

  // ------------------------------------------------------------------- start

  route();
  connect();
})();
