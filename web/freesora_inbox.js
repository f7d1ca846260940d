// FreeSora: the task inbox, a "FreeSora" sidebar tab over GET /freesora/tasks (newest first),
// with copy-id, collect (queues Video Result -> SaveVideo for that id through the frontend's
// own api.queuePrompt) and refresh. Frontends without sidebar tabs get the same panel in a
// floating window instead. All task text is set with textContent (no HTML from the ledger).
// The takes waiting for a person head the panel (freesora_takes.js).
import { app } from "../../scripts/app.js";
import { api } from "../../scripts/api.js";
import { tasks } from "./freesora_api.js";
import { graphEstimate } from "./freesora_cost.js";
import { t } from "./freesora_i18n.js";
import { refreshTakes, TAB_ID, takesSection } from "./freesora_takes.js";
import { button, el, toast } from "./freesora_ui.js";

const PAGE = 25;
const STATUS_COLORS = { succeeded: "#4ade80", failed: "#f87171", cancelled: "#f87171", unknown: "#fbbf24" };
const baseName = (path) => String(path).split(/[\\/]/).pop();
const credits = (value) => Number(value).toLocaleString("en-US", { maximumFractionDigits: 2 });
const when = (epoch) => (epoch ? new Date(epoch * 1000).toLocaleString() : "");

export function collectPrompt(taskId) {
  return {
    // Ids no graph uses: the frontend shows a prompt's outputs on the open graph's node of that id.
    freesora_collect_result: { class_type: "FreeSoraVideoResult", inputs: { task_id: taskId, timeout_s: 1200, poll_interval_s: 0, profile: "" } },
    freesora_collect_save: { class_type: "SaveVideo", inputs: { video: ["freesora_collect_result", 0], filename_prefix: "freesora/collected", format: "auto", codec: "auto" } },
  };
}

async function collect(taskId) {
  try {
    await api.queuePrompt(0, { output: collectPrompt(taskId), workflow: null });
    toast("success", t("inbox.collecting", "Collecting task {id}: the video is saved under output/freesora/.", { id: taskId }));
  } catch (err) {
    toast("error", t("inbox.collectFailed", "Could not queue the collection of {id}: {error}", { id: taskId, error: err?.message ?? err }));
  }
}

async function copyId(taskId) {
  try {
    await navigator.clipboard.writeText(taskId);
  } catch {
    const area = el("textarea", { value: taskId });
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  toast("info", t("inbox.copied", "Task id {id} copied.", { id: taskId }));
}

function row(task) {
  const small = { fontSize: "0.8em", opacity: 0.75 };
  return el("li", { style: { padding: "0.45rem 0", borderBottom: "1px solid var(--border-color, #444)" }, dataset: { freesora: "task" } },
    el("code", { textContent: task.task_id, style: { fontSize: "0.8em", wordBreak: "break-all" } }),
    el("div", { style: { fontSize: "0.85em" } },
      el("strong", { textContent: task.status, dataset: { status: task.status }, style: { color: STATUS_COLORS[task.status] ?? "inherit" } }),
      el("span", { style: small, textContent: ` · ${task.model} · ${when(task.created_at)}${task.price == null ? "" : t("inbox.price", " · ≈ {credits} credits", { credits: credits(task.price) })}` })),
    task.started_when_queued ? el("div", { style: { ...small, color: "#93c5fd" }, dataset: { freesora: "started-when-queued" }, textContent: t("inbox.startedWhenQueued", "started when queued") }) : null,
    task.prompt ? el("div", { textContent: task.prompt }) : null,
    task.file ? el("div", { style: { ...small, wordBreak: "break-all" }, textContent: t("inbox.file", "file: {name}", { name: baseName(task.file) }), title: task.file }) : null,
    task.reason ? el("div", { style: small, textContent: task.reason }) : null,
    // A take with no task id (its answer lost, or refused) has nothing to copy or collect.
    task.task_id ? el("div", { style: { display: "flex", gap: "0.4rem", marginTop: "0.3rem" } },
      button(t("inbox.copy", "Copy id"), () => copyId(task.task_id), "copy"), button(t("inbox.collect", "Collect"), () => collect(task.task_id), "collect")) : null);
}

// "last 24 h: ≈ 120 of 500 credits" (the default profile's account; its daily budget).
function spentText(spent) {
  if (!spent) return "";
  if (spent.budget == null) return t("inbox.spentNoBudget", "last 24 h: ≈ {credits} credits (no daily budget set)", { credits: credits(spent.credits) });
  return t("inbox.spent", "last 24 h: ≈ {credits} of {budget} credits", { credits: credits(spent.credits), budget: credits(spent.budget) });
}

export function renderInbox(container) {
  container.replaceChildren();
  let offset = 0;
  const list = el("ul", { style: { listStyle: "none", padding: 0, margin: 0 }, dataset: { freesora: "tasks" } });
  const info = el("div", { style: { fontSize: "0.85em", margin: "0.4rem 0" }, dataset: { freesora: "inbox-info" } });
  const cost = el("div", { style: { fontSize: "0.85em" }, dataset: { freesora: "graph-cost" } });
  const spent = el("div", { style: { fontSize: "0.85em" }, dataset: { freesora: "spent" } });
  const more = button(t("inbox.more", "More"), null, "more");
  more.style.display = "none";
  // Loads overlap (the first render, Refresh, the takes section after a run): only the newest
  // reset's page is shown, or two pages would both be appended and every row listed twice.
  let generation = 0;
  const load = async (reset) => {
    if (reset) {
      offset = 0;
      generation += 1;
    }
    const mine = generation;
    const { credits, unpriced } = graphEstimate();
    const unknown = unpriced.length ? t("inbox.batchUnknown", ", batch unknown for {nodes}", { nodes: unpriced.join(", ") }) : "";
    cost.textContent = t("inbox.workflowCost", "This workflow: ≈ {credits} credits per run (estimate){unknown}.", { credits: credits.toLocaleString("en-US"), unknown });
    const answer = await tasks(PAGE, offset);
    if (mine !== generation) return;
    if (!answer.ok) {
      info.textContent = answer.data.error ?? t("inbox.unavailable", "The task list is unavailable (HTTP {status}).", { status: answer.status });
      return;
    }
    const page = answer.data;
    spent.textContent = spentText(page.spent);
    if (reset) list.replaceChildren();
    list.append(...page.tasks.map(row));
    offset += page.tasks.length;
    info.textContent = page.total ? t("inbox.count", "{shown} of {total} tasks, newest first.", { shown: offset, total: page.total }) : t("inbox.empty", "No tasks yet: they appear here once a FreeSora node has created one.");
    more.style.display = offset < page.total ? "" : "none";
  };
  more.addEventListener("click", () => load(false));
  const refresh = button(t("inbox.refresh", "Refresh"), () => { load(true); refreshTakes(); }, "refresh", true);
  container.append(
    el("div", { style: { padding: "0.6rem", overflowY: "auto", height: "100%", boxSizing: "border-box" }, dataset: { freesora: "inbox" } },
      el("div", { style: { display: "flex", justifyContent: "space-between", alignItems: "center" } }, el("strong", { textContent: t("inbox.title", "FreeSora tasks") }), refresh),
      takesSection(() => load(true)), cost, spent, info, list, more));
  load(true);
}

export function registerInbox() {
  const manager = app.extensionManager;
  if (manager?.registerSidebarTab) {
    manager.registerSidebarTab({
      id: TAB_ID,
      icon: "pi pi-video",
      title: "FreeSora",
      label: "FreeSora",
      tooltip: t("inbox.title", "FreeSora tasks"),
      type: "custom",
      render: (container) => renderInbox(container),
    });
    return "sidebar";
  }
  return "dialog"; // opened from the settings section instead (see openInboxWindow)
}

export function openInboxWindow() {
  document.querySelector("[data-freesora=inbox-window]")?.remove();
  const body = el("div", { style: { height: "60vh" } });
  const close = button(t("inbox.close", "Close"), null, "inbox-close");
  const win = el("div", { dataset: { freesora: "inbox-window" }, style: { position: "fixed", right: "1rem", top: "4rem", width: "26rem", zIndex: 2000, background: "var(--comfy-menu-bg, #222)", color: "var(--fg-color, #ddd)", border: "1px solid #555", borderRadius: "8px" } }, close, body);
  close.addEventListener("click", () => win.remove());
  document.body.append(win);
  renderInbox(body);
}
