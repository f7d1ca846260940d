// FreeSora: the shot timeline on the Sora 2 Storyboard node. The shots of its shot_list drawn
// as segments against the chosen n_frames, with the total and what is left; dragging the
// boundary between two shots moves time between them (whole seconds, no shot under 1 s) and
// rewrites shot_list; a total over the length is shown before Run, with the lengths that
// would hold it. Shots from connected Shot Builders are drawn too (read-only: their
// duration_s widgets hold them).
//
// A DOM widget (node.addDOMWidget), because both renderers show one: the classic canvas
// places the element over the node, and Nodes 2.0 (Vue nodes) moves the same element into
// its node component (WidgetDOM); what onDrawForeground draws, Nodes 2.0 never shows. The
// widget is neither saved in the workflow nor sent (serialize false), and is added last, so
// the positional widget values of saved workflows keep their places.
import { app } from "../../scripts/app.js";
import { dragBoundary, parseShotList, secondsText, verdict, withDurations } from "./freesora_shots.js";
import { t } from "./freesora_i18n.js";
import { el } from "./freesora_ui.js";

const STORYBOARD = "FreeSoraStoryboard";
const BUILDER = "FreeSoraShotBuilder";
const HEIGHT = 128;
const POLL_MS = 200;
const FLOOR_S = 1; // a dragged shot never gets shorter than this
const COLORS = ["#2b7a94", "#6d52b8", "#a86c16", "#2b8454", "#a83f63", "#3f63c4", "#7c7f20", "#b3562f", "#2f8f8f", "#8f45a3"];
const LEVEL_COLORS = { ok: "#8bd5a6", warn: "#f5c451", over: "#ff6b6b" };
const limits = {}; // one shot's seconds, from the Shot Builder's duration_s definition
const live = new Set();

const widgetOf = (node, name) => node.widgets?.find((widget) => widget.name === name);

function connected(node, name) {
  const slot = node.findInputSlot?.(name) ?? -1;
  if (slot < 0) return false;
  return node.isInputConnected ? node.isInputConnected(slot) : node.inputs[slot].link != null;
}

function inputNode(node, name) {
  const slot = node.findInputSlot?.(name) ?? -1;
  return slot < 0 ? null : (node.getInputNode?.(slot) ?? null);
}

// The shots of a Shot Builder chain, first to last; null when a link leads elsewhere.
function builderShots(node) {
  const shots = [];
  let source = inputNode(node, "shots");
  for (let hops = 0; source && hops < 50; hops += 1) {
    if ((source.comfyClass ?? source.type) !== BUILDER) return null;
    const seconds = Number(widgetOf(source, "duration_s")?.value);
    const scene = String(widgetOf(source, "scene")?.value ?? "").trim();
    shots.unshift({ tenths: Math.round(seconds * 10), scene: scene || "(no scene)" });
    source = connected(source, "shots") ? inputNode(source, "shots") : null;
  }
  return shots;
}

/** What the timeline shows for a node now. */
function modelOf(node) {
  const frames = widgetOf(node, "n_frames");
  const lengths = (frames?.options?.values ?? []).map(Number).filter(Number.isFinite);
  const length = Number(frames?.value) || lengths.at(-1) || 0;
  const text = widgetOf(node, "shot_list")?.value;
  const typed = typeof text === "string" && text.trim() !== "";
  const listLinked = connected(node, "shot_list");
  const model = { length, lengths, editable: false, shots: [], problems: [], note: null, text };
  if (connected(node, "shots")) {
    const chain = builderShots(node);
    model.shots = chain ?? [];
    model.note = typed || listLinked
      ? { level: "over", text: t("timeline.bothSources", "Both shot_list and connected shots give shots: Run will refuse it. Clear shot_list or disconnect shots.") }
      : { level: "ok", text: chain ? t("timeline.fromBuilders", "Shots from the connected Shot Builders (their duration_s sets each length).") : t("timeline.fromLink", "Shots from the connected node: known when the graph runs.") };
    return model;
  }
  if (listLinked) {
    model.note = { level: "ok", text: t("timeline.listLinked", "shot_list is connected: its shots are known when the graph runs.") };
    return model;
  }
  Object.assign(model, parseShotList(text ?? "", limits, t), { editable: true });
  return model;
}

// An element of `style`, holding `text` (set as text, never as HTML: scenes are the user's).
const styled = (tag, style, text = null) => el(tag, { style }, text);

function buildView() {
  const root = styled("div", {
    boxSizing: "border-box",
    display: "flex",
    flexDirection: "column",
    gap: "3px",
    padding: "5px 6px",
    height: `${HEIGHT}px`,
    borderRadius: "6px",
    background: "var(--comfy-input-bg, #222)",
    color: "var(--input-text, #ddd)",
    fontFamily: "Inter, Arial, sans-serif",
    fontSize: "11px",
    lineHeight: "1.3",
    userSelect: "none",
    overflow: "hidden",
  });
  root.dataset.freesora = "timeline";
  const header = styled("div", { display: "flex", justifyContent: "space-between", gap: "8px", whiteSpace: "nowrap" });
  const title = styled("span", { fontWeight: "600", opacity: "0.9" });
  const summary = styled("span", { fontWeight: "600" });
  summary.dataset.freesora = "timeline-summary";
  header.append(title, summary);
  const track = styled("div", {
    position: "relative",
    height: "38px",
    borderRadius: "4px",
    background: "rgba(127, 127, 127, 0.16)",
    touchAction: "none",
  });
  track.dataset.freesora = "timeline-track";
  const ruler = styled("div", { position: "relative", height: "13px", fontSize: "9.5px", opacity: "0.75" });
  const status = styled("div", { height: "42px", fontSize: "10.5px", overflow: "hidden" });
  status.dataset.freesora = "timeline-status";
  root.append(header, track, ruler, status);
  return { root, title, summary, track, ruler, status };
}

const percent = (tenths, span) => `${(100 * tenths) / span}%`;

function segment(shot, index, start, span) {
  const box = styled("div", {
    position: "absolute",
    top: "0",
    bottom: "0",
    left: percent(start, span),
    width: percent(shot.tenths, span),
    boxSizing: "border-box",
    padding: "3px 5px",
    background: COLORS[index % COLORS.length],
    borderRight: "1px solid rgba(0, 0, 0, 0.45)",
    color: "#fff",
    overflow: "hidden",
    whiteSpace: "nowrap",
    textOverflow: "ellipsis",
    textShadow: "0 1px 2px rgba(0, 0, 0, 0.85)",
  });
  box.dataset.freesora = "timeline-shot";
  box.title = `${t("timeline.shot", "Shot {number}: {seconds} s", { number: index + 1, seconds: secondsText(shot.tenths) })}\n${shot.scene}`;
  const head = styled("div", { fontWeight: "700", overflow: "hidden", textOverflow: "ellipsis" }, `${index + 1} · ${secondsText(shot.tenths)} s`);
  const scene = styled("div", { opacity: "0.85", fontSize: "10px", overflow: "hidden", textOverflow: "ellipsis" }, shot.scene);
  box.append(head, scene);
  return box;
}

function handle(index, at, span) {
  const grip = styled("div", {
    position: "absolute",
    top: "-2px",
    bottom: "-2px",
    left: percent(at, span),
    width: "12px",
    transform: "translateX(-50%)",
    cursor: "ew-resize",
    zIndex: "2",
    display: "flex",
    justifyContent: "center",
  });
  grip.dataset.freesora = "timeline-boundary";
  grip.dataset.index = String(index);
  grip.title = t("timeline.grip", "Drag to move time between these two shots");
  grip.append(styled("div", { width: "3px", height: "100%", borderRadius: "2px", background: "#f4f4f4", boxShadow: "0 0 2px #000" }));
  return grip;
}

function drawTrack(view, model, span) {
  const { track } = view;
  track.replaceChildren();
  let start = 0;
  model.shots.forEach((shot, index) => {
    track.append(segment(shot, index, start, span));
    start += shot.tenths;
  });
  const end = model.length * 10;
  if (end > 0 && end < span) {
    // Past the chosen length: what the clip cannot hold.
    track.append(styled("div", {
      position: "absolute", top: "0", bottom: "0", left: percent(end, span), right: "0", pointerEvents: "none",
      background: "repeating-linear-gradient(135deg, rgba(255,70,70,0.5) 0 4px, rgba(255,70,70,0) 4px 10px)",
      borderBottom: "3px solid #ff4d4d",
      boxSizing: "border-box",
    }));
  }
  if (end > 0) {
    track.append(styled("div", { position: "absolute", top: "-3px", bottom: "-3px", left: percent(end, span), width: "2px", marginLeft: "-1px", background: "#ffd166", pointerEvents: "none", zIndex: "1" }));
  }
  if (model.editable) {
    let at = 0;
    model.shots.slice(0, -1).forEach((shot, index) => {
      at += shot.tenths;
      track.append(handle(index, at, span));
    });
  }
}

function drawRuler(view, model, span) {
  const { ruler } = view;
  ruler.replaceChildren();
  const seconds = span / 10;
  const every = seconds > 30 ? 10 : 5;
  for (let s = 0; s <= seconds; s += 1) {
    const major = s % every === 0 || s === model.length;
    ruler.append(styled("div", { position: "absolute", top: "0", left: percent(s * 10, span), width: "1px", height: major ? "5px" : "3px", background: "currentColor", opacity: major ? "0.9" : "0.45" }));
    if (!major) continue;
    const label = styled("div", { position: "absolute", top: "4px", left: percent(s * 10, span), transform: s === 0 ? "none" : s >= seconds ? "translateX(-100%)" : "translateX(-50%)", color: s === model.length ? "#ffd166" : "inherit" }, `${s}s`);
    ruler.append(label);
  }
}

function render(view, model) {
  const total = model.shots.reduce((sum, shot) => sum + shot.tenths, 0);
  const span = Math.max(model.length * 10, total, 10);
  const count = model.shots.length;
  view.title.textContent = count === 1
    ? t("timeline.titleOne", "Timeline · 1 shot · {length} s clip", { length: model.length })
    : t("timeline.title", "Timeline · {count} shots · {length} s clip", { count, length: model.length });
  const judged = verdict(total, model.length, model.lengths, t);
  view.summary.textContent = judged.level === "over" ? `⚠ ${judged.summary}` : judged.summary;
  view.summary.style.color = LEVEL_COLORS[judged.level];
  drawTrack(view, model, span);
  drawRuler(view, model, span);
  const lines = [];
  if (model.note) lines.push(model.note);
  if (judged.advice && (judged.level === "over" || !model.note)) lines.push({ level: judged.level, text: judged.advice });
  const [problem, ...more] = model.problems;
  if (problem) {
    const text = more.length
      ? t("timeline.problems", "{problem} (and {more} more): Run will refuse it.", { problem: problem.text, more: more.length })
      : t("timeline.problem", "{problem}: Run will refuse it.", { problem: problem.text });
    lines.push({ level: "warn", text });
  }
  if (!lines.length && model.editable && count > 1) lines.push({ level: "hint", text: t("timeline.hint", "Drag a white boundary to move time between two shots.") });
  view.status.replaceChildren(...lines.map((line) => {
    const row = styled("div", { color: LEVEL_COLORS[line.level] ?? "inherit", opacity: line.level === "hint" ? "0.7" : "1", fontWeight: line.level === "over" ? "600" : "400" }, line.text);
    row.dataset.level = line.level;
    return row;
  }));
  view.root.dataset.total = String(total / 10);
  view.root.dataset.span = String(span / 10);
  view.root.dataset.level = judged.level;
}

function writeShotList(node, text) {
  const widget = widgetOf(node, "shot_list");
  if (!widget || widget.value === text) return;
  widget.value = text;
  widget.callback?.(text, app.canvas, node);
  node.setDirtyCanvas?.(true, true);
  node.graph?.change?.();
}

function followDrags(node, view, state) {
  const { track } = view;
  let dragging = null;
  track.addEventListener("pointerdown", (event) => {
    const grip = event.target.closest?.("[data-freesora='timeline-boundary']");
    if (!grip || event.button !== 0) return;
    dragging = Number(grip.dataset.index);
    track.setPointerCapture(event.pointerId);
    event.preventDefault();
    event.stopPropagation();
  });
  track.addEventListener("pointermove", (event) => {
    if (dragging === null) return;
    event.stopPropagation();
    const model = modelOf(node);
    if (!model.editable) return;
    const rect = track.getBoundingClientRect();
    const total = model.shots.reduce((sum, shot) => sum + shot.tenths, 0);
    const span = Math.max(model.length * 10, total, 10);
    const seconds = (((event.clientX - rect.left) / rect.width) * span) / 10;
    const moved = dragBoundary(model.shots, dragging, seconds, { floor: FLOOR_S, max: limits.max });
    if (!moved) return;
    const [left, right] = [model.shots[dragging], model.shots[dragging + 1]];
    if (moved[0] === left.tenths) return;
    writeShotList(node, withDurations(model.text, { [left.line]: moved[0], [right.line]: moved[1] }));
    state.refresh();
  });
  const stop = (event) => {
    if (dragging === null) return;
    dragging = null;
    if (track.hasPointerCapture?.(event.pointerId)) track.releasePointerCapture(event.pointerId);
    event.stopPropagation();
  };
  track.addEventListener("pointerup", stop);
  track.addEventListener("pointercancel", stop);
}

// One timer for every timeline, from the first one on: edits of shot_list (typed in either
// renderer), n_frames and connected Shot Builders all show within a fifth of a second,
// whatever changed them.
let timer = null;
function followEdits() {
  timer ??= setInterval(() => {
    for (const entry of live) {
      if (entry.node.graph) entry.state.refresh();
      else live.delete(entry); // gone with its graph (a workflow loaded over it)
    }
  }, POLL_MS);
}

function addTimeline(node) {
  if (!node.addDOMWidget || widgetOf(node, "shot_timeline")) return;
  const view = buildView();
  const widget = node.addDOMWidget("shot_timeline", "freesora_timeline", view.root, {
    serialize: false, // never in the prompt (graphToPrompt reads options.serialize)
    hideOnZoom: false,
    getValue: () => "",
    setValue: () => {},
    // The classic canvas insets a DOM widget by 10 px on each side.
    getMinHeight: () => HEIGHT + 20,
    getMaxHeight: () => HEIGHT + 20,
    getHeight: () => HEIGHT + 20,
  });
  widget.serialize = false; // never in the workflow's widgets_values
  // A fixed height: without computeLayoutSize, Nodes 2.0 gives the row its content's height
  // and leaves the node's spare room to shot_list's text box.
  widget.computeLayoutSize = undefined;
  widget.computeSize = (width) => [width ?? 260, HEIGHT + 20];
  let shown = null;
  const state = {
    refresh() {
      const model = modelOf(node);
      const key = JSON.stringify([model.text, model.length, model.lengths, model.shots, model.note]);
      if (key === shown) return;
      shown = key;
      render(view, model);
    },
  };
  followDrags(node, view, state);
  state.refresh();
  const entry = { node, state };
  live.add(entry);
  followEdits();
  const removed = node.onRemoved;
  node.onRemoved = function (...args) {
    live.delete(entry);
    return removed?.apply(this, args);
  };
}

app.registerExtension({
  name: "FreeSora.Timeline",
  beforeRegisterNodeDef(nodeType, nodeData) {
    if (nodeData?.name !== BUILDER) return;
    const spec = nodeData.input?.required?.duration_s?.[1];
    if (spec) Object.assign(limits, { min: spec.min, max: spec.max });
  },
  nodeCreated(node) {
    if ((node.comfyClass ?? node.type) === STORYBOARD) addTimeline(node);
  },
});
