// FreeSora: the estimated credits of each creation node (a node badge) and of the whole
// prompt (a confirmation above a threshold before it is queued). Prices come from
// GET /freesora/prices: the pack's one table (an estimate: the service publishes none) with
// the user's own prices (the config file's "prices" table) put in place of its entries.
import { app } from "../../scripts/app.js";
import { prices } from "./freesora_api.js";
import { t } from "./freesora_i18n.js";
import { confirmSpend, nudgeBadges, setting } from "./freesora_ui.js";

export const CREATION_NODES = {
  FreeSoraTextToVideo: { model: null },
  FreeSoraImageToVideo: { model: null, perImage: true },
  FreeSoraStoryboard: { model: "sora-2-pro-storyboard" },
};
export const THRESHOLD_SETTING = "FreeSora.Cost.ConfirmAbove";
const MUTED_OR_BYPASSED = new Set([2, 4]);
let sheet = null;

export async function loadPrices() {
  const answer = await prices();
  sheet = answer.ok ? answer.data : null;
  return sheet;
}

export const priceSheet = () => sheet;

const widgetValue = (node, name) => node.widgets?.find((w) => w.name === name)?.value;

const sizeOf = (entry, size) => (entry?.takes_size ? size : "standard");

function unitPrice(model, seconds, size) {
  const entry = sheet?.models?.[model];
  const byFrames = entry?.credits?.[String(seconds)];
  if (!byFrames) return null;
  return byFrames[sizeOf(entry, size)] ?? byFrames.standard ?? null;
}

// Whether the user's table (not the pack's estimate) sets this price.
function usersPrice(model, seconds, size) {
  const sizes = sheet?.user?.[model]?.[String(seconds)] ?? [];
  return sizes.includes(sizeOf(sheet?.models?.[model], size));
}

/** Where the prices come from, for the confirmation and the settings section. */
export function priceSource() {
  if (!sheet) return "";
  return Object.keys(sheet.user ?? {}).length
    ? t("cost.yourPrices", "Prices are yours where your table sets them, else the pack's estimate.")
    : t("cost.estimate", "The estimate is the pack's own; the service's pricing page has the real price.");
}

// How many images reach an Image to Video node: known for a few common sources, else null.
function linkedBatch(node) {
  const slot = node.inputs?.findIndex((input) => input.name === "image") ?? -1;
  if (slot < 0) return 1;
  // 1.58 deprecates reading input.link; isInputConnected is there in every frontend tested.
  const linked = node.isInputConnected ? node.isInputConnected(slot) : node.inputs[slot].link != null;
  if (!linked) return 1; // an image_url: one task
  const source = node.getInputNode?.(slot);
  if (!source) return null;
  const batch = widgetValue(source, "batch_size") ?? widgetValue(source, "amount");
  if (Number.isInteger(batch) && batch > 0) return batch;
  return source.comfyClass === "LoadImage" ? 1 : null;
}

/** {credits, unit, count} for one creation node, or null when it cannot be priced. */
export function estimateNode(node) {
  const kind = CREATION_NODES[node.comfyClass];
  if (!kind || !sheet) return null;
  const model = kind.model ?? widgetValue(node, "model");
  const [seconds, size] = [widgetValue(node, "n_frames"), widgetValue(node, "size")];
  const unit = unitPrice(model, seconds, size);
  if (unit === null) return null;
  let count = Number(widgetValue(node, "batch_size") ?? 1) || 1;
  if (kind.perImage) count = linkedBatch(node);
  const yours = usersPrice(model, seconds, size);
  return { unit, count, yours, credits: count === null ? null : unit * count };
}

export function badgeText(estimate) {
  if (!estimate) return "";
  const n = (value) => value.toLocaleString("en-US");
  const mine = estimate.yours ? t("cost.yourPrice", " (your price)") : "";
  if (estimate.count === null) return t("cost.perImage", "≈ {unit} credits / image{mine}", { unit: n(estimate.unit), mine });
  if (estimate.count > 1) return t("cost.takes", "≈ {credits} credits ({count} × {unit}){mine}", { credits: n(estimate.credits), count: estimate.count, unit: n(estimate.unit), mine });
  return t("cost.credits", "≈ {credits} credits{mine}", { credits: n(estimate.credits), mine });
}

const afterFrames = (fn) => requestAnimationFrame(() => requestAnimationFrame(fn));

// The renderers read node.badges: the classic canvas at each frame it draws; Nodes 2.0 in a
// computed value, re-run when a reactive value it read changes. 1.58 tracks links there (its
// isInputConnected reads a reactive link store), but 1.45's usePartitionedBadges computes
// `[...nodeData.badges].map(toValue)` for the nodeData captured at mount, tracking only the
// widget state the badge reads: a new or removed link leaves the badge stale. So when no
// renderer has asked for the badge two frames after a connection change, nudgeBadges makes
// the computed run again.
function followEstimate(node, lastShown) {
  node.setDirtyCanvas?.(true, true);
  afterFrames(() => {
    if (lastShown() === badgeText(estimateNode(node))) return; // a renderer asked again
    nudgeBadges(node);
  });
}

export function addCostBadge(node) {
  const Badge = window.LGraphBadge;
  if (!Badge || !CREATION_NODES[node.comfyClass]) return;
  let shown = null; // the badge last handed to a renderer
  const badge = () => {
    void node.widgets?.[0]?.label; // read for Nodes 2.0's computed (see followEstimate)
    const text = badgeText(estimateNode(node));
    if (!shown || shown.text !== text) {
      shown = new Badge({ text, fgColor: "#fff7d6", bgColor: "#7a4b00" });
    }
    return shown;
  };
  node.badges = [...(node.badges ?? []), badge];
  const follow = () => followEstimate(node, () => shown?.text);
  const original = node.onConnectionsChange;
  node.onConnectionsChange = function (...args) {
    const result = original?.apply(this, args);
    follow();
    return result;
  };
}

function allNodes(graph, seen = new Set()) {
  const nodes = [];
  for (const node of graph?.nodes ?? graph?._nodes ?? []) {
    nodes.push(node);
    if (node.subgraph && !seen.has(node.subgraph)) {
      seen.add(node.subgraph);
      nodes.push(...allNodes(node.subgraph, seen));
    }
  }
  return nodes;
}

/** The whole graph's estimate: credits of the priced nodes, plus those that could not be. */
export function graphEstimate(graph = app.graph) {
  let credits = 0;
  const unpriced = [];
  for (const node of allNodes(graph)) {
    if (!CREATION_NODES[node.comfyClass] || MUTED_OR_BYPASSED.has(node.mode)) continue;
    const estimate = estimateNode(node);
    if (estimate?.credits == null) unpriced.push(node.title ?? node.comfyClass);
    else credits += estimate.credits;
  }
  return { credits, unpriced };
}

// Every Run button, shortcut and menu entry of 1.27 to 1.58 ends in app.queuePrompt.
export function guardQueue() {
  const original = app.queuePrompt;
  if (typeof original !== "function" || original.freesoraGuarded) return;
  const guarded = async function (number, batchCount = 1, ...rest) {
    const { credits, unpriced } = graphEstimate();
    const runs = Math.max(1, Number(batchCount) || 1);
    const threshold = Number(setting(THRESHOLD_SETTING, 2000));
    const total = credits * runs;
    if (credits > 0 && threshold > 0 && total > threshold) {
      const extra = unpriced.length ? t("confirm.unpriced", " (plus {nodes}: batch size unknown)", { nodes: unpriced.join(", ") }) : "";
      const vars = { total: total.toLocaleString("en-US"), extra, runs, threshold: threshold.toLocaleString("en-US"), source: priceSource() };
      const message = runs > 1
        ? t("confirm.messageRuns", "This prompt is estimated at ≈ {total} credits{extra} for {runs} runs, above your limit of {threshold} (Settings → FreeSora). {source} Queue it?", vars)
        : t("confirm.message", "This prompt is estimated at ≈ {total} credits{extra}, above your limit of {threshold} (Settings → FreeSora). {source} Queue it?", vars);
      if (!(await confirmSpend(t("confirm.title", "FreeSora: confirm the spend"), message))) return false;
    }
    return original.call(this, number, batchCount, ...rest);
  };
  guarded.freesoraGuarded = true;
  app.queuePrompt = guarded;
}
