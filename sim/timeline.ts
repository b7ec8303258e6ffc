// The HTML timeline of one simulated run (issue 4): one self-contained file, a lane per node
// and per client, operations as bars, messages as arrows, faults as shaded spans, the
// violating operations highlighted, zoom, pan and a step control over the trace lines.
//
// The work is split in two: `buildTimelineModel` (here, typed and unit-tested) turns the run's
// artifacts into a plain JSON model with every message, span and marker already paired up;
// the page's script (`timeline-client.js`, vanilla JS, no dependencies) only lays that model
// out as SVG for the visible time range. The model is embedded in a
// `<script type="application/json">` block, so the file opens from file:// with no network.
// Porcupine's visualization and Jepsen's timeline.html do the same split (data + one script).

import { readFileSync } from 'node:fs';
import { replayCommand } from './runner';
import type { OpView, RunArtifacts, RunResult, Violation } from './scenario';
import type { TraceLine } from './trace';

/** Trace lines embedded in one page; beyond this the page says it was cut (a browser would crawl). */
export const traceLinesEmbeddedMax = 200_000;
/** A message's rendered text is cut to this many characters in the page. */
export const messageTextCharsMax = 400;
/** Other trace details (notes, faults, disk ops) are cut to this many characters. */
export const detailCharsMax = 400;

export type LaneKind = 'world' | 'node' | 'client' | 'other';

export interface LaneView {
  readonly id: string;
  readonly kind: LaneKind;
}

/** Where a message's journey ended: delivered (recv) or dropped (drop, with the reason). */
export interface MessageEnd {
  readonly kind: 'recv' | 'drop';
  readonly t: number;
  /** The index of the trace line in `events`. */
  readonly line: number;
  readonly reason?: string;
}

export interface MessageView {
  readonly id: number;
  readonly from: string;
  readonly to: string;
  /** Send time; for a message whose send line is missing, its first end's time. */
  readonly sendMs: number;
  readonly text: string;
  /** Held on a held link (turmoil-style hold) before release. */
  readonly held: boolean;
  /** Several ends when the network duplicated it; none when it never arrived before the run ended. */
  readonly ends: MessageEnd[];
}

export type SpanKind = 'down' | 'paused' | 'network';

/** A shaded span: a node down (crash to boot), paused (pause to resume), or a network fault (to heal/release). */
export interface SpanView {
  readonly kind: SpanKind;
  /** The node's lane, or null for a network fault (shaded across the whole chart). */
  readonly lane: string | null;
  readonly fromMs: number;
  /** The end of the run when the span never closed. */
  toMs: number;
  readonly label: string;
  readonly line: number;
}

export type MarkerKind = 'clock' | 'disk' | 'fault';

/** A point fault: a clock skew/jump/drift or a disk fault on a node's lane, or another world fault. */
export interface MarkerView {
  readonly kind: MarkerKind;
  readonly lane: string;
  readonly t: number;
  readonly label: string;
  readonly line: number;
}

export interface OpMark extends OpView {
  /** Indices into `violations` of the violations that name this op. */
  readonly violations: readonly number[];
}

/** One trace line as the step control shows it; `r` names the element it belongs to. */
export interface EventView {
  readonly t: number;
  readonly k: string;
  readonly n: string;
  readonly d: string;
  /** Element reference: `m:<msgId>`, `o:<opId>`, `s:<span index>`, `k:<marker index>`, or null. */
  readonly r: string | null;
}

export interface TimelineModel {
  readonly version: 1;
  readonly result: RunResult;
  readonly replay: string;
  readonly lanes: readonly LaneView[];
  readonly endMs: number;
  readonly events: readonly EventView[];
  readonly messages: readonly MessageView[];
  readonly spans: readonly SpanView[];
  readonly markers: readonly MarkerView[];
  readonly ops: readonly OpMark[];
  readonly violations: readonly Violation[];
  /** Whether the run kept its trace (without it only ops and violations are shown). */
  readonly hasTrace: boolean;
  /** Trace lines left out beyond `traceLinesEmbeddedMax`. */
  readonly linesOmitted: number;
}

/** The world lane: fault lines and scenario calls (trace node '-'). */
export const worldLane = '-';

// ---- Model -----------------------------------------------------------------------------

export function buildTimelineModel(art: RunArtifacts): TimelineModel {
  const all = art.traceLines ?? [];
  const lines = all.length > traceLinesEmbeddedMax ? all.slice(0, traceLinesEmbeddedMax) : all;
  const b = new ModelBuilder(art);
  lines.forEach((line, i) => b.add(line, i));
  const endMs = runEndMs(art, lines);
  b.finish(endMs);
  return {
    version: 1,
    result: art.result,
    replay: replayCommand(art.result.scenario, art.result.seed),
    lanes: b.lanes,
    endMs,
    events: b.events,
    messages: [...b.messages.values()],
    spans: b.spans,
    markers: b.markers,
    ops: opMarks(art.ops, art.result.violations),
    violations: art.result.violations,
    hasTrace: art.traceLines !== null,
    linesOmitted: all.length - lines.length,
  };
}

function runEndMs(art: RunArtifacts, lines: readonly TraceLine[]): number {
  let end = Math.max(0, art.result.stats.simulatedMs);
  const last = lines[lines.length - 1];
  if (last && Number.isFinite(last.t)) end = Math.max(end, last.t);
  for (const op of art.ops) end = Math.max(end, op.invokeMs, op.completeMs ?? 0);
  return end > 0 ? end : 1;
}

function opMarks(ops: readonly OpView[], violations: readonly Violation[]): OpMark[] {
  const byOp = new Map<number, number[]>();
  violations.forEach((v, vi) => {
    for (const id of v.opIds ?? []) byOp.set(id, [...(byOp.get(id) ?? []), vi]);
  });
  return ops.map((op) => ({ ...op, violations: byOp.get(op.id) ?? [] }));
}

const sendRe = /^#(\d+) to (\S+)(?: \+([0-9.e+-]+))?(?: (.*))?$/s;
const holdRe = /^#(\d+) to (\S+)(?: (.*))?$/s;
const endRe = /^#(\d+) from (\S+)(?: \((.*)\))?$/s;
const opNoteRe = /^(?:invoke|complete) #(\d+)\b/;

/** Pairs trace lines into messages, spans and markers, one line at a time. */
class ModelBuilder {
  readonly lanes: LaneView[] = [];
  readonly events: EventView[] = [];
  readonly messages = new Map<number, MessageView>();
  readonly spans: SpanView[] = [];
  readonly markers: MarkerView[] = [];
  private readonly laneIds = new Set<string>();
  /** Open spans by key (`down:<node>`, `paused:<node>`, `net:<what>`), as indices into `spans`. */
  private readonly open = new Map<string, number>();

  constructor(art: RunArtifacts) {
    this.addLane(worldLane, 'world');
    for (const n of art.nodes) this.addLane(n, 'node');
    for (const c of art.clients) this.addLane(c, 'client');
    for (const op of art.ops) this.addLane(op.client, 'client');
  }

  private addLane(id: string, kind: LaneKind): void {
    if (this.laneIds.has(id)) return;
    this.laneIds.add(id);
    this.lanes.push({ id, kind });
  }

  /** The lane for a node name; names the run did not list get a lane of their own. */
  private lane(n: string): string {
    this.addLane(n, 'other');
    return n;
  }

  add(line: TraceLine, i: number): void {
    const t = Number.isFinite(line.t) ? line.t : 0;
    const k = String(line.k);
    const n = this.lane(String(line.n));
    const d = String(line.d);
    const r = this.place({ t, k, n, d }, i);
    this.events.push({ t, k, n, d: cut(d, detailCharsMax), r });
  }

  /** Pair one line with what it belongs to; returns the element reference for the step control. */
  private place(l: TraceLine, i: number): string | null {
    switch (l.k) {
      case 'send':
        return this.placeSend(l, false);
      case 'hold':
        return this.placeSend(l, true);
      case 'wire':
        return this.placeSend({ ...l, d: l.d.replace(/ refused: /, ' ') }, false);
      case 'recv':
      case 'drop':
        return this.placeEnd(l, i);
      case 'crash':
        this.closeSpan(`paused:${l.n}`, l.t); // a crash ends a pause, as in the world
        return this.openSpan(`down:${l.n}`, { kind: 'down', lane: l.n, fromMs: l.t, toMs: l.t, label: `${l.n} crashed`, line: i });
      case 'boot':
        return this.closeSpan(`down:${l.n}`, l.t);
      case 'pause':
        return this.openSpan(`paused:${l.n}`, { kind: 'paused', lane: l.n, fromMs: l.t, toMs: l.t, label: `${l.n} paused`, line: i });
      case 'resume':
        return this.closeSpan(`paused:${l.n}`, l.t);
      case 'fault':
        return this.placeFault(l, i);
      case 'note': {
        const m = opNoteRe.exec(l.d);
        return m ? `o:${m[1]}` : null;
      }
      default:
        return null; // timer, disk, call and kinds this page does not know: plain events
    }
  }

  private message(id: number, from: string, to: string, sendMs: number, text: string, held: boolean): MessageView {
    const known = this.messages.get(id);
    if (known) return known;
    const m: MessageView = { id, from: this.lane(from), to: this.lane(to), sendMs, text: cut(text, messageTextCharsMax), held, ends: [] };
    this.messages.set(id, m);
    return m;
  }

  private placeSend(l: TraceLine, held: boolean): string | null {
    const m = (held ? holdRe : sendRe).exec(l.d);
    if (!m) return null;
    const id = Number(m[1]);
    const text = held ? (m[3] ?? '') : (m[4] ?? '');
    this.message(id, l.n, m[2]!, l.t, text, held);
    return `m:${id}`;
  }

  private placeEnd(l: TraceLine, i: number): string | null {
    const m = endRe.exec(l.d);
    if (!m) return null;
    const id = Number(m[1]);
    const msg = this.message(id, m[2]!, l.n, l.t, '(send not in trace)', false);
    const end: MessageEnd = l.k === 'drop' ? { kind: 'drop', t: l.t, line: i, reason: m[3] ?? '' } : { kind: 'recv', t: l.t, line: i };
    msg.ends.push(end);
    return `m:${id}`;
  }

  private openSpan(key: string, span: SpanView): string {
    const known = this.open.get(key);
    if (known !== undefined) return `s:${known}`; // already open (a second crash while down): keep the first
    this.spans.push(span);
    this.open.set(key, this.spans.length - 1);
    return `s:${this.spans.length - 1}`;
  }

  private closeSpan(key: string, t: number): string | null {
    const at = this.open.get(key);
    if (at === undefined) return null; // first boot, or a resume with no pause
    this.spans[at]!.toMs = t;
    this.open.delete(key);
    return `s:${at}`;
  }

  private placeFault(l: TraceLine, i: number): string | null {
    const words = l.d.split(' ');
    const verb = words[0] ?? '';
    switch (verb) {
      case 'partition':
      case 'isolate':
      case 'block':
      case 'bridge':
        return this.openSpan(`net:${l.d}`, { kind: 'network', lane: null, fromMs: l.t, toMs: l.t, label: l.d, line: i });
      case 'hold':
        return this.openSpan(`hold:${words[1] ?? ''}`, { kind: 'network', lane: null, fromMs: l.t, toMs: l.t, label: l.d, line: i });
      case 'release':
        return this.closeSpan(`hold:${words[1] ?? ''}`, l.t);
      case 'heal':
        return this.healAll(l.t);
      case 'clock':
      case 'disk':
        return this.marker(verb, words[1] ? this.lane(words[1]) : worldLane, l, i);
      default:
        return this.marker('fault', worldLane, l, i);
    }
  }

  /** Heal ends every partition-like span (held links stay held until released, as in the network). */
  private healAll(t: number): string | null {
    let last: string | null = null;
    for (const [key, at] of [...this.open]) {
      if (!key.startsWith('net:')) continue;
      this.spans[at]!.toMs = t;
      this.open.delete(key);
      last = `s:${at}`;
    }
    return last;
  }

  private marker(kind: MarkerKind, lane: string, l: TraceLine, i: number): string {
    this.markers.push({ kind, lane, t: l.t, label: cut(l.d, detailCharsMax), line: i });
    return `k:${this.markers.length - 1}`;
  }

  /** Spans still open at the end of the run last to its end. */
  finish(endMs: number): void {
    for (const at of this.open.values()) this.spans[at]!.toMs = endMs;
    this.open.clear();
  }
}

function cut(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

// ---- Page ------------------------------------------------------------------------------

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * JSON that is safe inside `<script type="application/json">`: every `<` becomes `\u003c`
 * (still the same JSON), so neither `</script>` nor `<!--` in a message can end the block.
 * U+2028/2029 are escaped too, for older parsers.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The id of the JSON block inside the page (tests read it back). */
export const modelElementId = 'keepsake-timeline-data';

let clientScript: string | null = null;

function loadClient(): string {
  clientScript ??= readFileSync(new URL('./timeline-client.js', import.meta.url), 'utf8');
  // A script block ends at the first `</script`; the client never contains one.
  if (/<\/script/i.test(clientScript)) throw new Error('timeline-client.js must not contain </script');
  return clientScript;
}

export function renderTimeline(art: RunArtifacts): string {
  const model = buildTimelineModel(art);
  const r = model.result;
  const title = `${r.scenario} seed ${r.seed}: ${r.ok ? 'ok' : 'FAILED'}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    `<title>${escapeHtml(title)} — Keepsake timeline</title>`,
    `<style>${pageCss}</style>`,
    '</head><body>',
    renderHeader(model),
    pageBody,
    `<script type="application/json" id="${modelElementId}">${jsonForScript(model)}</script>`,
    `<script>${loadClient()}</script>`,
    '</body></html>',
    '',
  ].join('\n');
}

function renderHeader(m: TimelineModel): string {
  const r = m.result;
  const s = r.stats;
  const status = r.ok ? '<span class="status ok">ok</span>' : '<span class="status failed">FAILED</span>';
  const stats = `events ${s.events}, simulated ${s.simulatedMs.toFixed(0)} ms, wall ${s.wallMs} ms, ops ${s.ops} (ok ${s.opsOk}, unknown ${s.opsUnknown}), faults ${s.faults}, messages ${s.messages}`;
  const violations = m.violations.map((v, i) => renderViolation(v, i)).join('\n');
  const notes = [
    m.hasTrace ? '' : '<p class="note">This run kept no trace: only operations and violations are shown (replay with --html to keep it).</p>',
    m.linesOmitted > 0 ? `<p class="note">${m.linesOmitted} trace lines after the first ${traceLinesEmbeddedMax} are left out.</p>` : '',
  ].join('');
  return `<header>
<h1>${escapeHtml(r.scenario)} <span class="seed">seed ${r.seed}</span> ${status}</h1>
<div class="meta">trace <code>${escapeHtml(r.traceHash)}</code> · ${escapeHtml(stats)}</div>
<div class="meta">replay: <code id="replay">${escapeHtml(m.replay)}</code></div>
${notes}
<ol id="violations" class="violations">${violations}</ol>
</header>`;
}

function renderViolation(v: Violation, i: number): string {
  const ops = (v.opIds ?? []).map((id) => `#${id}`).join(', ');
  return `<li class="violation" data-violation-index="${i}" tabindex="0" title="show the operations involved">
<span class="vkind ${escapeHtml(v.kind)}">${escapeHtml(v.kind)}</span> <b>${escapeHtml(v.checker)}</b>: <span class="vmsg">${escapeHtml(v.message)}</span>${ops ? ` <span class="vops">(ops ${ops})</span>` : ''}</li>`;
}

const pageBody = `<div id="toolbar">
<button id="zoom-in" title="zoom in (+ or wheel)">+</button>
<button id="zoom-out" title="zoom out (- or wheel)">−</button>
<button id="fit" title="fit the whole run (0)">fit</button>
<span class="sep"></span>
<button id="step-first" title="first event (Home)">|◀</button>
<button id="step-prev" title="previous event (←)">◀</button>
<button id="step-next" title="next event (→)">▶</button>
<button id="step-last" title="last event (End)">▶|</button>
<span id="step-pos"></span>
<span class="sep"></span>
<span id="view-range"></span>
<span class="legend"><i class="lg ok"></i>ok <i class="lg fail"></i>fail <i class="lg unknown"></i>unknown <i class="lg viol"></i>violating <i class="lg down"></i>down <i class="lg paused"></i>paused <i class="lg net"></i>network fault</span>
</div>
<div id="current" class="current-line">use ← / → to step through the trace, the wheel to zoom, drag to pan</div>
<div id="explain" class="explain" hidden></div>
<div id="chart-wrap"><svg id="chart" role="img" aria-label="timeline"></svg></div>
<div id="overview"><div id="overview-thumb"></div></div>
<div id="tip" hidden></div>`;

const pageCss = `
*{box-sizing:border-box}
body{margin:0;font:13px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2430;background:#fafbfc}
header{padding:10px 14px 6px;border-bottom:1px solid #dde2e8;background:#fff}
h1{font-size:17px;margin:0 0 4px}
.seed{color:#667;font-weight:normal}
.status{font-size:12px;padding:1px 8px;border-radius:9px;vertical-align:2px;color:#fff}
.status.ok{background:#2e8b57}.status.failed{background:#c62828}
.meta{color:#445;font-size:12px;margin:2px 0}
code{font:12px ui-monospace,Menlo,Consolas,monospace;background:#f0f2f5;padding:0 4px;border-radius:3px}
.note{color:#8a5a00;margin:4px 0}
.violations{margin:6px 0 2px;padding-left:22px}
.violation{cursor:pointer;padding:3px 6px;border-radius:4px;background:#fdecea;margin:2px 0;border:1px solid #f5c2bd}
.violation:hover,.violation.selected{background:#fbd3ce;border-color:#d33}
.vkind{font-size:11px;text-transform:uppercase;padding:0 5px;border-radius:3px;background:#c62828;color:#fff}
.vkind.liveness{background:#b26a00}
.vops{color:#666}
#toolbar{position:sticky;top:0;z-index:3;display:flex;gap:6px;align-items:center;padding:6px 14px;background:#eef1f5;border-bottom:1px solid #d5dae1;flex-wrap:wrap}
#toolbar button{font:13px system-ui,sans-serif;min-width:30px;padding:2px 8px;border:1px solid #b8c0cc;background:#fff;border-radius:4px;cursor:pointer}
#toolbar button:hover{background:#e3e8ef}
.sep{width:1px;height:18px;background:#c5ccd6;margin:0 4px}
#step-pos,#view-range{font:12px ui-monospace,Menlo,Consolas,monospace;color:#334}
.legend{margin-left:auto;font-size:11px;color:#445}
.lg{display:inline-block;width:14px;height:9px;margin:0 3px 0 8px;vertical-align:0;border-radius:2px}
.lg.ok{background:#5aa469}.lg.fail{background:#e08a2c}.lg.unknown{background:#9aa3ad}.lg.viol{background:#fff;border:2px solid #d50000}
.lg.down{background:#f3b0b0}.lg.paused{background:#f6e08a}.lg.net{background:#c9b8ec}
.current-line{font:12px ui-monospace,Menlo,Consolas,monospace;padding:4px 14px;background:#fff;border-bottom:1px solid #e3e7ec;white-space:pre-wrap;word-break:break-all;min-height:24px}
.explain{margin:6px 14px;padding:6px 10px;border:2px solid #d50000;background:#fff5f5;border-radius:4px}
.explain h3{margin:0 0 4px;font-size:13px}
.explain ul{margin:4px 0 0;padding-left:18px}
.explain li{cursor:pointer}.explain li:hover{text-decoration:underline}
#chart-wrap{position:relative;overflow:hidden;background:#fff;cursor:grab;user-select:none}
#chart-wrap.dragging{cursor:grabbing}
#chart{display:block;width:100%}
#overview{position:relative;height:14px;margin:0;background:#e6e9ee;border-top:1px solid #d5dae1;cursor:pointer}
#overview-thumb{position:absolute;top:1px;bottom:1px;background:#8796aa;border-radius:3px;min-width:6px}
#tip{position:fixed;z-index:5;max-width:560px;padding:5px 8px;background:#1d2430;color:#fff;font:12px ui-monospace,Menlo,Consolas,monospace;border-radius:4px;pointer-events:none;white-space:pre-wrap;word-break:break-all}
svg text{font:11px system-ui,sans-serif;fill:#223}
svg .lane-label{font-weight:600;font-size:12px}
svg .lane-kind{font-size:10px;fill:#778}
svg .axis text{font-size:10px;fill:#556}
svg .msg{stroke:#3a5a8c;fill:none}
svg .msg.drop{stroke:#b23b3b}
svg .msg.held{stroke-dasharray:4 3}
svg .xmark{fill:#c62828;font-weight:700;font-size:12px}
svg .op{stroke:#fff;stroke-width:.5}
svg .op.ok{fill:#5aa469}svg .op.fail{fill:#e08a2c}svg .op.unknown{fill:url(#fade)}
svg .op.violating{stroke:#d50000;stroke-width:2.5}
svg .op-label{font-size:10px;fill:#fff;pointer-events:none}
svg .op-label.dark{fill:#223}
svg .viol-label{font-size:11px;font-weight:700;fill:#b00000;stroke:#fff;stroke-width:3;paint-order:stroke;pointer-events:none}
svg .span.down{fill:#f3b0b0;fill-opacity:.55}
svg .span.paused{fill:#f6e08a;fill-opacity:.6}
svg .span.network{fill:#b59ce6;fill-opacity:.16;stroke:#8b6fd0;stroke-opacity:.5}
svg .span-label{font-size:10px;fill:#5b3fa3}
svg .marker.clock{fill:#1f78b4}svg .marker.disk{fill:#8c564b}svg .marker.fault{fill:#6a3d9a}
svg .cursor{stroke:#ff6d00;stroke-width:1.5}
svg .cursor-dot{fill:#ff6d00}
svg .current{stroke:#ff6d00 !important;stroke-width:3 !important;stroke-opacity:1 !important}
svg .sel{stroke:#d50000;stroke-width:4}
`;
