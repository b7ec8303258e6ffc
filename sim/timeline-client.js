// The timeline page's script (embedded verbatim by sim/timeline.ts; vanilla JS, no imports, no
// network). It reads the model from the JSON block, then draws the visible time range as SVG:
// only what overlaps the view is emitted, so thousands of trace lines stay responsive.
// Every drawn element that belongs to a trace line carries `data-ref` (m:<msg>, o:<op>,
// s:<span>, k:<marker>), which is how the step cursor highlights "its" element.
(function () {
  'use strict';

  const model = JSON.parse(document.getElementById('keepsake-timeline-data').textContent);
  const svg = document.getElementById('chart');
  const wrap = document.getElementById('chart-wrap');
  const tip = document.getElementById('tip');

  const labelWidthPx = 120;
  const rightPadPx = 12;
  const axisHeightPx = 24;
  const laneHeightPx = { world: 28, node: 40, client: 44, other: 36 };
  const zoomStep = 2;
  const wheelZoomStep = 1.25;
  const viewSpanMinMs = 0.05;
  /** Above this many visible messages, arrows are thin and faint and get no hover hit area. */
  const messagesDenseMin = 300;
  /** Never emit more arrows than this in one frame (the rest are counted in the range text). */
  const messagesDrawnMax = 6000;
  const opLabelCharPx = 5.6;
  const pendingStubPx = 18;
  const edgeInsetPx = 3;

  const endMs = model.endMs;
  const lanes = layoutLanes(model.lanes);
  const chartHeightPx = lanes.bottom;
  const opsById = new Map(model.ops.map((o) => [o.id, o]));
  const nextInvokeMs = nextInvokeByOp(model.ops);

  const state = { start: 0, end: endMs, cursor: -1, selected: -1, frame: 0 };

  function layoutLanes(list) {
    const byId = new Map();
    let y = axisHeightPx;
    for (const l of list) {
      const h = laneHeightPx[l.kind] || laneHeightPx.other;
      byId.set(l.id, { id: l.id, kind: l.kind, y, h, mid: y + h / 2 });
      y += h;
    }
    return { list: list.map((l) => byId.get(l.id)), byId, bottom: y + 4 };
  }

  function laneOf(id) {
    return lanes.byId.get(id) || lanes.byId.get('-');
  }

  /** For an op without a reply, when its client moved on (the head of its bar ends there). */
  function nextInvokeByOp(ops) {
    const last = new Map();
    const next = new Map();
    for (const o of ops) {
      const prev = last.get(o.client);
      if (prev && o.invokeMs > prev.invokeMs) next.set(prev.id, o.invokeMs);
      last.set(o.client, o);
    }
    return next;
  }

  // ---- geometry --------------------------------------------------------------------

  function plotWidth() {
    return Math.max(50, (wrap.clientWidth || 800) - labelWidthPx - rightPadPx);
  }

  function x(t) {
    return labelWidthPx + ((t - state.start) / (state.end - state.start)) * plotWidth();
  }

  function timeAt(px) {
    return state.start + ((px - labelWidthPx) / plotWidth()) * (state.end - state.start);
  }

  function visible(a, b) {
    return b >= state.start && a <= state.end;
  }

  function esc(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  }

  function fmtMs(t) {
    const span = state.end - state.start;
    const digits = span < 1 ? 4 : span < 20 ? 3 : span < 200 ? 2 : span < 2000 ? 1 : 0;
    return t.toFixed(digits);
  }

  function f(n) {
    return n.toFixed(1);
  }

  // ---- drawing ---------------------------------------------------------------------

  function render() {
    state.frame = 0;
    const w = labelWidthPx + plotWidth() + rightPadPx;
    svg.setAttribute('viewBox', `0 0 ${w} ${chartHeightPx}`);
    svg.setAttribute('width', String(w));
    svg.setAttribute('height', String(chartHeightPx));
    svg.dataset.viewStart = String(state.start);
    svg.dataset.viewEnd = String(state.end);
    const parts = [defs(), lanesBackground(), '<g clip-path="url(#plot-clip)">', spans(), grid(), messages(), ops(), markers(), cursor(), '</g>', laneLabels(), axis()];
    svg.innerHTML = parts.join('');
    markCurrent();
    updateOverview();
    document.getElementById('view-range').textContent = `view ${fmtMs(state.start)} – ${fmtMs(state.end)} ms of ${endMs.toFixed(0)} ms${lastMessageNote}`;
  }

  function schedule() {
    if (state.frame) return;
    state.frame = requestAnimationFrame(render);
  }

  function defs() {
    return `<defs>
<clipPath id="plot-clip"><rect x="${labelWidthPx}" y="0" width="${plotWidth()}" height="${chartHeightPx}"/></clipPath>
<linearGradient id="fade" x1="0" x2="1" y1="0" y2="0"><stop offset="0" stop-color="#8d96a1" stop-opacity="1"/><stop offset="1" stop-color="#8d96a1" stop-opacity="0.35"/></linearGradient>
<linearGradient id="tail" x1="0" x2="1" y1="0" y2="0"><stop offset="0" stop-color="#8d96a1" stop-opacity="0.7"/><stop offset="1" stop-color="#8d96a1" stop-opacity="0"/></linearGradient>
<marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="6" markerHeight="6" orient="auto-start-reverse"><path d="M0,0 L8,4 L0,8 z" fill="#3a5a8c"/></marker>
</defs>`;
  }

  function lanesBackground() {
    const w = labelWidthPx + plotWidth() + rightPadPx;
    const fill = { world: '#f4f1fa', node: '#f3f7fc', client: '#fbfbf6', other: '#f7f7f7' };
    return lanes.list
      .map((l, i) => `<rect x="0" y="${l.y}" width="${w}" height="${l.h}" fill="${fill[l.kind] || fill.other}"${i % 2 ? ' fill-opacity="0.6"' : ''}/><line x1="0" x2="${w}" y1="${l.y + l.h}" y2="${l.y + l.h}" stroke="#e1e5ea"/>`)
      .join('');
  }

  function laneLabels() {
    const kindText = { world: 'faults', node: 'node', client: 'client', other: '' };
    const rows = lanes.list.map(
      (l) =>
        `<text class="lane-label" x="8" y="${l.mid}" data-lane="${esc(l.id)}">${esc(l.id === '-' ? 'world' : l.id)}</text><text class="lane-kind" x="8" y="${l.mid + 12}">${kindText[l.kind] || ''}</text>`,
    );
    return `<rect x="0" y="0" width="${labelWidthPx - 4}" height="${chartHeightPx}" fill="#fff"/><line x1="${labelWidthPx - 4}" x2="${labelWidthPx - 4}" y1="0" y2="${chartHeightPx}" stroke="#cfd5dd"/>${rows.join('')}`;
  }

  function tickStepMs() {
    const rough = ((state.end - state.start) / plotWidth()) * 110;
    const p = Math.pow(10, Math.floor(Math.log10(rough)));
    for (const m of [1, 2, 5, 10]) if (m * p >= rough) return m * p;
    return 10 * p;
  }

  function ticks() {
    const step = tickStepMs();
    const out = [];
    for (let t = Math.ceil(state.start / step) * step; t <= state.end && out.length < 200; t += step) out.push(t);
    return out;
  }

  function grid() {
    return ticks()
      .map((t) => `<line x1="${f(x(t))}" x2="${f(x(t))}" y1="${axisHeightPx}" y2="${chartHeightPx}" stroke="#e7eaee"/>`)
      .join('');
  }

  function axis() {
    const w = labelWidthPx + plotWidth() + rightPadPx;
    const labels = ticks()
      .map((t) => `<text x="${f(x(t))}" y="15" text-anchor="middle">${fmtMs(t)}</text><line x1="${f(x(t))}" x2="${f(x(t))}" y1="19" y2="${axisHeightPx}" stroke="#889"/>`)
      .join('');
    return `<g class="axis"><rect x="${labelWidthPx - 4}" y="0" width="${w}" height="${axisHeightPx - 1}" fill="#fff"/>${labels}<text x="8" y="15">time (ms)</text></g>`;
  }

  function spans() {
    const out = [];
    model.spans.forEach((s, i) => {
      if (!visible(s.fromMs, s.toMs)) return;
      const x0 = Math.max(labelWidthPx - 2, x(s.fromMs));
      const x1 = Math.min(labelWidthPx + plotWidth() + 2, x(s.toMs));
      const w = Math.max(2, x1 - x0);
      const tipText = `${s.label}\n${s.fromMs} → ${s.toMs} ms`;
      if (s.lane === null) {
        out.push(`<rect class="span network" data-ref="s:${i}" data-tip="${esc(tipText)}" x="${f(x0)}" y="${axisHeightPx}" width="${f(w)}" height="${chartHeightPx - axisHeightPx}"/>`);
        out.push(`<text class="span-label" x="${f(x0 + 3)}" y="${axisHeightPx + 11}">${esc(s.label)}</text>`);
      } else {
        const l = laneOf(s.lane);
        out.push(`<rect class="span ${s.kind}" data-ref="s:${i}" data-tip="${esc(tipText)}" x="${f(x0)}" y="${l.y + 1}" width="${f(w)}" height="${l.h - 2}"/>`);
        out.push(`<text class="span-label" x="${f(x0 + 3)}" y="${l.y + 11}">${s.kind === 'down' ? 'down' : 'paused'}</text>`);
      }
    });
    return out.join('');
  }

  let lastMessageNote = '';

  function messages() {
    const shown = [];
    for (const m of model.messages) {
      const last = m.ends.length ? Math.max(...m.ends.map((e) => e.t)) : m.sendMs;
      if (visible(m.sendMs, last)) shown.push(m);
    }
    const dense = shown.length > messagesDenseMin;
    // Over the cap, draw an even sample across the view rather than only its first part.
    const stride = Math.ceil(shown.length / messagesDrawnMax);
    const drawn = stride > 1 ? shown.filter((_, i) => i % stride === 0) : shown;
    lastMessageNote = shown.length > drawn.length ? ` · ${drawn.length} of ${shown.length} messages drawn (zoom in)` : '';
    return dense ? denseMessages(drawn) : drawn.map((m) => messageEnds(m).map((e) => arrow(m, e, sparseStyle, true)).join('')).join('');
  }

  const sparseStyle = 'stroke-width="1.2" stroke-opacity="0.8"';
  const denseStyle = 'stroke-width="0.7" stroke-opacity="0.35"';

  function messageEnds(m) {
    return m.ends.length ? m.ends : [{ kind: 'pending', t: endMs }];
  }

  /**
   * Many arrows: one path per style instead of an element each (fast to build and paint);
   * they carry no hover text, so the range text says to zoom in. The message under the step
   * cursor is still drawn on its own, so stepping highlights it.
   */
  function denseMessages(drawn) {
    const paths = { recv: [], drop: [], pending: [], held: [] };
    const cur = model.events[state.cursor];
    let current = '';
    for (const m of drawn) {
      for (const e of messageEnds(m)) {
        const g = arrowGeometry(m, e);
        paths[m.held && e.kind !== 'drop' ? 'held' : e.kind].push(`M${g.x0} ${g.y0}L${g.x1} ${g.y1}`);
        if (e.kind === 'drop') paths.drop.push(`M${f(g.x1 - 3)} ${f(g.y1 - 3)}l6 6m0 -6l-6 6`);
        if (cur && cur.r === `m:${m.id}`) current += arrow(m, e, sparseStyle, false);
      }
    }
    const cls = { recv: 'msg', drop: 'msg drop', pending: 'msg held', held: 'msg held' };
    const out = Object.keys(paths)
      .filter((k) => paths[k].length)
      .map((k) => `<path class="${cls[k]}" d="${paths[k].join('')}" ${denseStyle}/>`);
    return out.join('') + current;
  }

  function arrowGeometry(m, e) {
    const from = laneOf(m.from);
    const to = laneOf(m.to);
    // A message that never arrived (lost with a paused node's backlog in a crash, or still in
    // flight at the end) is a short dashed stub toward its receiver, not a line to the run's end.
    const pending = e.kind === 'pending';
    // Ends sit on the lane edges facing each other, so op bars never hide the arrowheads.
    const down = to.y > from.y;
    const yFrom = from === to ? from.mid : down ? from.y + from.h - edgeInsetPx : from.y + edgeInsetPx;
    const yTo = from === to ? to.mid : down ? to.y + edgeInsetPx : to.y + to.h - edgeInsetPx;
    const x0 = x(m.sendMs);
    return { x0: f(x0), y0: f(yFrom), x1: pending ? x0 + pendingStubPx : x(e.t), y1: pending ? (yFrom + yTo) / 2 : yTo };
  }

  function arrow(m, e, style, hitArea) {
    const g = arrowGeometry(m, e);
    const what = e.kind === 'drop' ? `dropped at ${e.t} ms (${e.reason})` : e.kind === 'recv' ? `received at ${e.t} ms` : 'never delivered before the run ended';
    const tipText = `#${m.id} ${m.from} → ${m.to}  sent ${m.sendMs} ms, ${what}${m.held ? ' (held)' : ''}\n${m.text}`;
    const cls = `msg${e.kind === 'drop' ? ' drop' : ''}${m.held || e.kind === 'pending' ? ' held' : ''}`;
    const head = e.kind === 'recv' ? ' marker-end="url(#arrow)"' : '';
    const common = `data-ref="m:${m.id}" data-tip="${esc(tipText)}" x1="${g.x0}" y1="${g.y0}" x2="${f(g.x1)}" y2="${f(g.y1)}"`;
    let s = `<line class="${cls}" ${common} ${style}${head}/>`;
    if (hitArea) s += `<line class="hit" ${common} stroke="transparent" stroke-width="7"/>`;
    if (e.kind === 'drop') s += `<text class="xmark" data-ref="m:${m.id}" data-tip="${esc(tipText)}" x="${f(g.x1)}" y="${f(g.y1 + 4)}" text-anchor="middle">✕</text>`;
    return s;
  }

  function ops() {
    const unknown = [];
    const known = [];
    for (const o of model.ops) {
      const head = opHeadEnd(o);
      const stop = o.completeMs === null ? endMs : head;
      if (!visible(o.invokeMs, stop)) continue;
      (o.outcome === 'unknown' ? unknown : known).push(op(o, head));
    }
    return unknown.join('') + known.join('');
  }

  function opHeadEnd(o) {
    if (o.completeMs !== null) return o.completeMs;
    const next = nextInvokeMs.get(o.id);
    return next !== undefined ? next : endMs;
  }

  function op(o, headEnd) {
    const l = laneOf(o.client);
    const x0 = x(o.invokeMs);
    const w = Math.max(2, x(headEnd) - x0);
    const y = l.y + 7;
    const h = l.h - 18;
    const viol = o.violations.length ? ` violating" data-violation="${o.violations.join(',')}` : '';
    const sel = state.selected >= 0 && o.violations.includes(state.selected) ? ' sel' : '';
    const done = o.completeMs === null ? 'no reply (outcome unknown)' : `completed ${o.completeMs} ms`;
    const tipText = `op #${o.id} ${o.client}: ${o.label}\n${o.outcome} · invoked ${o.invokeMs} ms, ${done}${o.violations.length ? '\nnamed by: ' + o.violations.map((v) => model.violations[v].checker).join(', ') : ''}`;
    const attrs = `data-ref="o:${o.id}" data-op-id="${o.id}" data-tip="${esc(tipText)}"`;
    let s = `<rect class="op ${o.outcome}${sel}${viol}" ${attrs} x="${f(x0)}" y="${y}" width="${f(w)}" height="${h}" rx="2"/>`;
    if (o.completeMs === null) {
      const tx = x0 + w;
      s += `<rect class="tail" ${attrs} x="${f(tx)}" y="${l.y + l.h - 8}" width="${f(Math.max(0, x(endMs) - tx))}" height="3" fill="url(#tail)"/>`;
    }
    // The label goes on the part of the bar in view, and only when it fits there.
    const text = `#${o.id} ${o.label}`;
    const shownLeft = Math.max(x0, labelWidthPx);
    const shownWidth = Math.min(x0 + w, labelWidthPx + plotWidth()) - shownLeft;
    if (shownWidth > text.length * opLabelCharPx + 6) {
      s += `<text class="op-label${o.outcome === 'unknown' ? ' dark' : ''}" x="${f(shownLeft + 3)}" y="${y + h / 2 + 4}">${esc(text)}</text>`;
    } else if (o.violations.length) {
      // Beside the bar: to its right, or to its left when the right edge of the plot is near.
      const fitsRight = x0 + w + 4 + text.length * opLabelCharPx < labelWidthPx + plotWidth();
      const at = fitsRight ? `x="${f(x0 + w + 4)}"` : `x="${f(x0 - 4)}" text-anchor="end"`;
      s += `<text class="viol-label" ${at} y="${y + h / 2 + 4}">${esc(text)}</text>`;
    }
    return s;
  }

  function markers() {
    const shape = { clock: '◆', disk: '■', fault: '▲' };
    const out = [];
    model.markers.forEach((m, i) => {
      if (!visible(m.t, m.t)) return;
      const l = laneOf(m.lane);
      const xx = f(x(m.t));
      out.push(`<line x1="${xx}" x2="${xx}" y1="${l.y + 2}" y2="${l.y + l.h - 2}" stroke="#6a3d9a" stroke-opacity="0.35"/>`);
      out.push(`<text class="marker ${m.kind}" data-ref="k:${i}" data-tip="${esc(m.t + ' ms  ' + m.label)}" x="${xx}" y="${f(l.y + 12)}" text-anchor="middle">${shape[m.kind] || '▲'}</text>`);
    });
    return out.join('');
  }

  function cursor() {
    const e = model.events[state.cursor];
    if (!e) return '';
    const xx = f(x(e.t));
    const l = laneOf(e.n);
    return `<line class="cursor" x1="${xx}" x2="${xx}" y1="${axisHeightPx}" y2="${chartHeightPx}"/><circle class="cursor-dot" cx="${xx}" cy="${f(l.mid)}" r="4"/>`;
  }

  function markCurrent() {
    const e = model.events[state.cursor];
    if (!e || !e.r) return;
    for (const el of svg.querySelectorAll(`[data-ref="${e.r}"]`)) if (!el.classList.contains('hit')) el.classList.add('current');
  }

  // ---- view changes ----------------------------------------------------------------

  function setView(start, end) {
    let span = Math.max(viewSpanMinMs, end - start);
    // A little room past either end of the run, never more than a twentieth of the view.
    const slack = Math.min(endMs, span) * 0.05;
    span = Math.min(span, endMs + 2 * slack);
    let s = start;
    if (s < -slack) s = -slack;
    if (s + span > endMs + slack) s = endMs + slack - span;
    state.start = s;
    state.end = s + span;
    schedule();
  }

  function zoomAround(t, factor) {
    const a = t - (t - state.start) / factor;
    const b = t + (state.end - t) / factor;
    setView(a, b);
  }

  function zoomCenter(factor) {
    zoomAround((state.start + state.end) / 2, factor);
  }

  function fit() {
    setView(0, endMs);
  }

  function panBy(ms) {
    setView(state.start + ms, state.end + ms);
  }

  function step(to) {
    const n = model.events.length;
    if (n === 0) return;
    state.cursor = Math.max(0, Math.min(n - 1, to));
    const e = model.events[state.cursor];
    const span = state.end - state.start;
    if (e.t < state.start || e.t > state.end) setView(e.t - span / 2, e.t + span / 2);
    else schedule();
    showCurrent();
  }

  function showCurrent() {
    const e = model.events[state.cursor];
    const pos = document.getElementById('step-pos');
    const box = document.getElementById('current');
    if (!e) {
      pos.textContent = `event –/${model.events.length}`;
      return;
    }
    pos.textContent = `event ${state.cursor + 1}/${model.events.length}`;
    box.textContent = `${e.t} ms  ${e.k.padEnd(6)} ${e.n === '-' ? 'world' : e.n}  ${e.d}`;
    box.dataset.line = String(state.cursor);
  }

  function selectViolation(i) {
    const v = model.violations[i];
    if (!v) return;
    state.selected = i;
    for (const li of document.querySelectorAll('.violation')) li.classList.toggle('selected', Number(li.dataset.violationIndex) === i);
    const involved = (v.opIds || []).map((id) => opsById.get(id)).filter(Boolean);
    showExplanation(v, involved);
    if (involved.length) {
      const a = Math.min(...involved.map((o) => o.invokeMs));
      const b = Math.max(...involved.map((o) => (o.completeMs === null ? o.invokeMs : o.completeMs)));
      const pad = Math.max(5, (b - a) * 0.15);
      setView(a - pad, b + pad);
    } else schedule();
  }

  function showExplanation(v, involved) {
    const box = document.getElementById('explain');
    const items = involved
      .map((o) => `<li data-op-id="${o.id}">op #${o.id} on ${esc(o.client)}: <b>${esc(o.label)}</b> — ${o.outcome}, invoked ${o.invokeMs} ms, ${o.completeMs === null ? 'no reply' : 'completed ' + o.completeMs + ' ms'}</li>`)
      .join('');
    const missing = (v.opIds || []).filter((id) => !opsById.has(id));
    box.innerHTML = `<h3>${esc(v.kind)} violation · ${esc(v.checker)}</h3><div class="vmsg">${esc(v.message)}</div>${items ? `<ul>${items}</ul>` : ''}${missing.length ? `<div>ops not in this run's history: ${missing.map((id) => '#' + id).join(', ')}</div>` : ''}`;
    box.hidden = false;
    for (const li of box.querySelectorAll('li[data-op-id]')) li.addEventListener('click', () => focusOp(opsById.get(Number(li.dataset.opId))));
  }

  /** Center the view on one op, zoomed so it fills about a third of the width. */
  function focusOp(o) {
    if (!o) return;
    const stop = o.completeMs === null ? o.invokeMs + 1 : o.completeMs;
    const span = Math.max(viewSpanMinMs * 10, (stop - o.invokeMs) * 3);
    const mid = (o.invokeMs + stop) / 2;
    setView(mid - span / 2, mid + span / 2);
  }

  // ---- input -----------------------------------------------------------------------

  function bind() {
    document.getElementById('zoom-in').addEventListener('click', () => zoomCenter(zoomStep));
    document.getElementById('zoom-out').addEventListener('click', () => zoomCenter(1 / zoomStep));
    document.getElementById('fit').addEventListener('click', fit);
    document.getElementById('step-first').addEventListener('click', () => step(0));
    document.getElementById('step-prev').addEventListener('click', () => step(state.cursor - 1));
    document.getElementById('step-next').addEventListener('click', () => step(state.cursor + 1));
    document.getElementById('step-last').addEventListener('click', () => step(model.events.length - 1));
    for (const li of document.querySelectorAll('.violation')) {
      const i = Number(li.dataset.violationIndex);
      li.addEventListener('click', () => selectViolation(i));
      li.addEventListener('keydown', (ev) => {
        if (ev.key === 'Enter') selectViolation(i);
      });
    }
    document.addEventListener('keydown', onKey);
    wrap.addEventListener('wheel', onWheel, { passive: false });
    bindDrag();
    bindOverview();
    svg.addEventListener('mousemove', onHover);
    svg.addEventListener('mouseleave', () => (tip.hidden = true));
    svg.addEventListener('click', onChartClick);
    window.addEventListener('resize', schedule);
  }

  function onKey(ev) {
    if (ev.target && (ev.target.tagName === 'INPUT' || ev.target.tagName === 'TEXTAREA')) return;
    const actions = {
      ArrowRight: () => step(state.cursor + 1),
      ArrowLeft: () => step(state.cursor - 1),
      Home: () => step(0),
      End: () => step(model.events.length - 1),
      '+': () => zoomCenter(zoomStep),
      '=': () => zoomCenter(zoomStep),
      '-': () => zoomCenter(1 / zoomStep),
      0: fit,
    };
    const act = actions[ev.key];
    if (!act) return;
    ev.preventDefault();
    act();
  }

  function onWheel(ev) {
    ev.preventDefault();
    const rect = svg.getBoundingClientRect();
    if (ev.shiftKey || Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) {
      const d = ev.shiftKey ? ev.deltaY : ev.deltaX;
      panBy((d / plotWidth()) * (state.end - state.start));
      return;
    }
    const t = timeAt(ev.clientX - rect.left);
    zoomAround(t, ev.deltaY < 0 ? wheelZoomStep : 1 / wheelZoomStep);
  }

  function bindDrag() {
    let from = null;
    wrap.addEventListener('mousedown', (ev) => {
      if (ev.button !== 0) return;
      from = { px: ev.clientX, start: state.start, end: state.end, moved: false };
      wrap.classList.add('dragging');
    });
    window.addEventListener('mousemove', (ev) => {
      if (!from) return;
      const dx = ev.clientX - from.px;
      if (Math.abs(dx) > 2) from.moved = true;
      const ms = (dx / plotWidth()) * (from.end - from.start);
      setView(from.start - ms, from.end - ms);
    });
    window.addEventListener('mouseup', () => {
      if (from && from.moved) wrap.dataset.justDragged = '1';
      from = null;
      wrap.classList.remove('dragging');
    });
  }

  function bindOverview() {
    const bar = document.getElementById('overview');
    let dragging = false;
    const centerAt = (ev) => {
      const r = bar.getBoundingClientRect();
      const t = ((ev.clientX - r.left) / r.width) * endMs;
      const span = state.end - state.start;
      setView(t - span / 2, t + span / 2);
    };
    bar.addEventListener('mousedown', (ev) => {
      dragging = true;
      centerAt(ev);
    });
    window.addEventListener('mousemove', (ev) => dragging && centerAt(ev));
    window.addEventListener('mouseup', () => (dragging = false));
  }

  function updateOverview() {
    const thumb = document.getElementById('overview-thumb');
    const a = Math.max(0, state.start / endMs);
    const b = Math.min(1, state.end / endMs);
    thumb.style.left = `${(a * 100).toFixed(3)}%`;
    thumb.style.width = `${(Math.max(0, b - a) * 100).toFixed(3)}%`;
  }

  function onHover(ev) {
    const el = ev.target.closest ? ev.target.closest('[data-tip]') : null;
    if (!el) {
      tip.hidden = true;
      return;
    }
    tip.textContent = el.getAttribute('data-tip');
    tip.hidden = false;
    const left = Math.min(ev.clientX + 14, window.innerWidth - tip.offsetWidth - 8);
    tip.style.left = `${Math.max(4, left)}px`;
    tip.style.top = `${ev.clientY + 16}px`;
  }

  /** Clicking an element moves the step cursor to its first trace line. */
  function onChartClick(ev) {
    if (wrap.dataset.justDragged) {
      delete wrap.dataset.justDragged;
      return;
    }
    const el = ev.target.closest ? ev.target.closest('[data-ref]') : null;
    if (!el) return;
    const ref = el.getAttribute('data-ref');
    const i = model.events.findIndex((e) => e.r === ref);
    if (i >= 0) {
      state.cursor = i;
      showCurrent();
      schedule();
    }
  }

  bind();
  showCurrent();
  if (model.violations.length) showExplanation(model.violations[0], (model.violations[0].opIds || []).map((id) => opsById.get(id)).filter(Boolean));
  render();
  document.body.dataset.ready = '1';
})();
