// FreeSora: "Start tasks when queued". The switch (Settings → FreeSora → Queue) goes with every
// prompt this page queues, as extra_data.freesora_start_when_queued, which the pack's server reads
// once the prompt has passed validation and entered the queue; FREESORA_START_WHEN_QUEUED in
// ComfyUI's environment wins (GET /freesora/queue-start says whether it is set). With the switch
// off and two or more FreeSora prompts in the queue, a card says once that the switch exists.
// A creation node whose task the server started when queued says so on its face.
import { app } from "../../scripts/app.js";
import { api } from "../../scripts/api.js";
import { queueStart } from "./freesora_api.js";
import { CREATION_NODES } from "./freesora_cost.js";
import { t } from "./freesora_i18n.js";
import { button, el, nudgeBadges, setting } from "./freesora_ui.js";

export const QUEUE_SETTING = "FreeSora.Queue.StartWhenQueued";
export const QUEUE_FIELD = "freesora_start_when_queued"; // the name the server reads
// How the server says, in a creation node's progress text, that a take started when queued:
// the early start's texts begin "started when queued", and the node, when it runs, names each
// take it reuses "task <id> (started when queued)". A prompt quoted later in a text never
// begins it, and would have to hold a task id in that form.
export const STARTED_MARK = /^started when queued\b|\btask \S+ \(started when queued\)/;
const HINT_SHOWN = "freesora.queueStartHintShown"; // localStorage: the card is shown once
let environment = { environment: null };

/** What the environment decides (GET /freesora/queue-start), asked once per page. */
export async function loadQueueStart() {
  const answer = await queueStart();
  environment = answer.ok ? answer.data : { environment: null, problem: answer.data.error };
  return environment;
}

/** Whether a prompt queued now has its tasks started when queued. */
const startsWhenQueued = () => environment.environment ?? Boolean(setting(QUEUE_SETTING, false));

const isPromptPost = (route, options) =>
  /^\/prompt(\?|$)/.test(String(route)) && String(options?.method ?? "GET").toUpperCase() === "POST";

/** `options` with the switch in its /prompt body's extra_data; anything else as it came. A body
 * that already carries the field (a script that sets it itself) keeps its own value. */
export function withSwitch(route, options) {
  if (!isPromptPost(route, options) || typeof options.body !== "string") return options;
  let body;
  try {
    body = JSON.parse(options.body);
  } catch {
    return options;
  }
  if (!body || typeof body !== "object" || Array.isArray(body) || !body.prompt) return options;
  const extra = body.extra_data && typeof body.extra_data === "object" ? body.extra_data : {};
  if (QUEUE_FIELD in extra) return options;
  body.extra_data = { ...extra, [QUEUE_FIELD]: Boolean(setting(QUEUE_SETTING, false)) };
  return { ...options, body: JSON.stringify(body) };
}

// Every frontend from 1.27 to 1.58 builds the /prompt body in api.queuePrompt and posts it with
// api.fetchApi("/prompt", ...), whoever calls it (Run, batch counts, other extensions, the
// FreeSora tab's Collect): the switch is added there. Whatever fetchApi was before (the core's,
// or another extension's wrapper) is called with the amended options, so wrappers stack.
export function sendSwitchWithPrompts() {
  const original = api.fetchApi;
  if (typeof original !== "function" || original.freesoraSwitch) return false;
  const wrapped = async function (route, options, ...rest) {
    const response = await original.call(this, route, withSwitch(route, options), ...rest);
    if (isPromptPost(route, options) && response?.ok) hintOnce();
    return response;
  };
  wrapped.freesoraSwitch = true;
  api.fetchApi = wrapped;
  return true;
}

const isFreeSoraPrompt = (prompt) =>
  Object.values(prompt ?? {}).some((node) => node && CREATION_NODES[node.class_type]);

/** FreeSora prompts in the queue (running or pending); each entry's prompt is its third item in
 * the queue tuples of every core (0.3.64 to 0.28.2). */
export async function queuedFreeSoraPrompts() {
  const resp = await api.fetchApi("/queue");
  if (!resp.ok) return 0;
  const queue = await resp.json();
  const entries = [...(queue.queue_running ?? []), ...(queue.queue_pending ?? [])];
  return entries.filter((entry) => Array.isArray(entry) && isFreeSoraPrompt(entry[2])).length;
}

function hintShown() {
  try {
    return localStorage.getItem(HINT_SHOWN) === "1";
  } catch {
    return true; // no storage: never risk saying it on every prompt
  }
}

let hinting = false;
async function hintOnce() {
  if (hinting || hintShown() || environment.environment !== null || startsWhenQueued()) return;
  hinting = true;
  try {
    if ((await queuedFreeSoraPrompts()) >= 2 && !hintShown()) {
      localStorage.setItem(HINT_SHOWN, "1");
      showHint();
    }
  } catch (err) {
    console.info(`FreeSora: the queue could not be read (${err})`);
  } finally {
    hinting = false;
  }
}

// A card of the pack's own, not the frontend's toast: it carries a button that opens the
// setting, which the toasts of 1.27 and 1.45 cannot hold. It stays until closed.
export function showHint() {
  document.querySelector("[data-freesora=queue-hint]")?.remove();
  const close = () => card.remove();
  const open = button(t("queue.hintOpen", "Open the setting"), () => (close(), openQueueSetting()), "queue-hint-open", true);
  const card = el("div", {
    role: "status",
    dataset: { freesora: "queue-hint" },
    style: { position: "fixed", right: "1rem", bottom: "4.5rem", width: "24rem", zIndex: 3000, padding: "0.8rem", background: "var(--comfy-menu-bg, #222)", color: "var(--fg-color, #ddd)", border: "1px solid #2563eb", borderRadius: "8px", boxShadow: "0 4px 16px rgba(0,0,0,0.4)", fontSize: "0.9rem" },
  },
  el("strong", { textContent: t("queue.hintTitle", "FreeSora: your queue waits for one task at a time") }),
  el("p", { style: { margin: "0.4rem 0" }, textContent: t("queue.hint", "Several FreeSora prompts are queued, and each starts its tasks only when it runs. With \"Start tasks when queued\" on (Settings → FreeSora → Queue), their tasks start as soon as each prompt is queued and run side by side. Credits are then spent when a prompt is queued, not when it runs.") }),
  el("div", { style: { display: "flex", gap: "0.4rem", justifyContent: "flex-end" } },
    open, button(t("queue.hintClose", "Not now"), close, "queue-hint-close")));
  document.body.append(card);
  return card;
}

/** Settings, at the FreeSora section, scrolled to the switch. */
export async function openQueueSetting() {
  const command = app.extensionManager?.command;
  if (command?.execute) await command.execute("Comfy.ShowSettingsDialog");
  else app.ui?.settings?.show?.();
  for (let tries = 0; tries < 50; tries++) {
    const dialog = [...document.querySelectorAll(".p-dialog, [role=dialog]")].pop();
    // The section's entry in the list on the left: the innermost element that reads "FreeSora"
    // (each frontend builds that list from other elements).
    const named = dialog ? [...dialog.querySelectorAll("*")].filter((item) => item.textContent.trim() === "FreeSora") : [];
    const entry = named.find((item) => !named.some((other) => other !== item && item.contains(other)));
    if (entry) {
      entry.click();
      await new Promise((done) => setTimeout(done, 100));
      document.querySelector("[data-freesora=queue-start-info]")?.scrollIntoView({ block: "center" });
      return true;
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  return false;
}

/** The line under the switch: what it does, and whether the environment decides instead. */
export function queueStartInfo() {
  const line = el("div", { style: { fontSize: "0.85em", maxWidth: "26rem" }, dataset: { freesora: "queue-start-info" } });
  const plain = t("queue.explained", "Off: a prompt's FreeSora tasks are created when it runs, one prompt after another. On: they start as soon as ComfyUI accepts the prompt into the queue, and the tasks of queued prompts run side by side. Credits are spent when a prompt is queued, not when it runs. Deleting a queued prompt, clearing the queue or Cancel does not undo a task already started: it stays in the FreeSora tab, marked \"started when queued\", to collect.");
  line.textContent = plain;
  loadQueueStart().then((said) => {
    const name = "FREESORA_START_WHEN_QUEUED";
    let extra = "";
    if (said.problem) extra = t("queue.envProblem", "{name} cannot be read: {problem}", { name, problem: said.problem });
    else if (said.environment === true) extra = t("queue.envOn", "{name} is set in ComfyUI's environment: on for every prompt, whatever this switch says.", { name });
    else if (said.environment === false) extra = t("queue.envOff", "{name} is set in ComfyUI's environment: off for every prompt, whatever this switch says.", { name });
    if (!extra) return;
    line.replaceChildren(el("div", { textContent: plain }), el("div", { style: { marginTop: "0.3rem", fontWeight: "bold" }, dataset: { freesora: "queue-start-env" }, textContent: extra }));
  });
  return line;
}

export const QUEUE_SETTINGS = [
  {
    id: QUEUE_SETTING,
    category: ["FreeSora", "Queue", "Start"],
    name: "Start tasks when queued (credits are spent when a prompt is queued, not when it runs)",
    tooltip: "Deleting a queued prompt does not undo a task already started: it stays in the FreeSora tab. FREESORA_START_WHEN_QUEUED in ComfyUI's environment wins when set.",
    type: "boolean",
    defaultValue: false,
    sortOrder: 10,
  },
  {
    id: "FreeSora.Queue.Explained",
    category: ["FreeSora", "Queue", "Explained"],
    name: "What \"Start tasks when queued\" does",
    type: () => queueStartInfo(),
    defaultValue: "",
  },
];

// --- The node face: a badge while the node's last progress text says "started when queued" ---

const queuedBadge = new WeakMap(); // node -> whether its last progress text carried the mark

/** A badge on a creation node, shown while the server says its take started when queued. */
export function addQueuedBadge(node) {
  const Badge = window.LGraphBadge;
  if (!Badge || !CREATION_NODES[node.comfyClass]) return;
  let shown = null;
  const badge = () => {
    void node.widgets?.[0]?.label; // read for Nodes 2.0's computed (see nudgeBadges)
    const text = queuedBadge.get(node) ? t("queue.badge", "started when queued") : "";
    if (!shown || shown.text !== text) shown = new Badge({ text, fgColor: "#dbeafe", bgColor: "#1e3a8a" });
    return shown;
  };
  node.badges = [...(node.badges ?? []), badge];
}

function markNode(nodeId, text) {
  const node = app.graph?.getNodeById?.(nodeId);
  if (!node || !CREATION_NODES[node.comfyClass]) return;
  const marked = STARTED_MARK.test(String(text ?? ""));
  if (Boolean(queuedBadge.get(node)) === marked) return;
  queuedBadge.set(node, marked);
  nudgeBadges(node);
  node.setDirtyCanvas?.(true, true);
}

/** Follow the server's progress text on the creation nodes (every frontend sends it as the
 * "progress_text" event of api). */
export function followQueuedStarts() {
  if (typeof api.addEventListener !== "function") return false;
  api.addEventListener("progress_text", (event) => markNode(event.detail?.nodeId, event.detail?.text));
  return true;
}
