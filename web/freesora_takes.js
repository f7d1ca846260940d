// FreeSora: the takes that wait for a person, at the top of the FreeSora tab. A take's create
// was sent and its answer lost, so a task may exist (and be charged): the pack never sends it
// again by itself. Each is listed with its request, when it was sent and its price, and two
// ways out over the pack's routes: adopt the task id found on the service (the pack asks the
// service first), or forget the take so that the same graph creates it once more. The tab's
// icon shows how many wait. All text through textContent; a refusal is shown as the route says it.
import { app } from "../../scripts/app.js";
import { api } from "../../scripts/api.js";
import { adoptTake, forgetTake, unknownTakes } from "./freesora_api.js";
import { t } from "./freesora_i18n.js";
import { button, el, toast } from "./freesora_ui.js";

export const TAB_ID = "freesora-tasks";
const AMBER = "#fbbf24";
const credits = (value) => Number(value).toLocaleString("en-US", { maximumFractionDigits: 2 });
const when = (epoch) => (epoch ? new Date(epoch * 1000).toLocaleString() : "");
const listeners = new Set(); // sections on screen, redrawn when the count is refreshed

// The tab as the frontend's store holds it: a reactive object in frontends 1.27 to 1.58, so
// setting its iconBadge redraws the icon (the object handed to registerSidebarTab is not).
function storedTab() {
  const tabs = app.extensionManager?.getSidebarTabs?.();
  return Array.isArray(tabs) ? tabs.find((tab) => tab.id === TAB_ID) : undefined;
}

function showCount(count) {
  const tab = storedTab();
  if (!tab) return;
  tab.iconBadge = count > 0 ? String(count) : "";
  // Where a frontend draws no badge, the tooltip still says it.
  const title = t("inbox.title", "FreeSora tasks");
  tab.tooltip = count > 0 ? t("takes.tooltip", "{title}: {count} waiting for you", { title, count }) : title;
}

/** Ask the pack how many takes wait, show it on the icon, redraw any section on screen. */
export async function refreshTakes() {
  const answer = await unknownTakes();
  if (answer.ok) showCount(answer.data.count);
  for (const redraw of listeners) redraw(answer);
  return answer;
}

let pending = null;
function soon() {
  clearTimeout(pending);
  pending = setTimeout(refreshTakes, 500); // a run ends with a burst of events: ask once
}

/** Keep the count fresh: on load, and after each run (a lost answer ends a prompt with an error). */
export function watchTakes() {
  for (const event of ["executed", "execution_error", "status"]) api.addEventListener(event, soon);
  refreshTakes();
}

function requestText(take) {
  const parts = [take.model];
  if (take.seconds != null) parts.push(t("takes.seconds", "{seconds} s", { seconds: take.seconds }));
  if (take.seed != null) parts.push(t("takes.seed", "seed {seed}", { seed: take.seed }));
  return parts.join(" · ");
}

function sentText(take) {
  const sent = t("takes.sentAt", "sent {when}", { when: when(take.sent_at) });
  if (take.price == null) return sent;
  return `${sent}${t("inbox.price", " · ≈ {credits} credits", { credits: credits(take.price) })}`;
}

function adoptLine(take, done) {
  const input = el("input", {
    type: "text",
    spellcheck: false,
    autocomplete: "off",
    placeholder: t("takes.idPlaceholder", "task id from the service"),
    style: { flex: "1", minWidth: "8rem", padding: "0.25rem 0.4rem", borderRadius: "6px", border: "1px solid var(--border-color, #555)", background: "var(--comfy-input-bg, #222)", color: "var(--input-text, #ddd)" },
    dataset: { freesora: "adopt-input" },
  });
  const said = el("div", { style: { fontSize: "0.8em", color: "#f87171" }, dataset: { freesora: "adopt-refusal" } });
  const adopt = button(t("takes.adopt", "It exists: paste its task id"), null, "adopt");
  adopt.addEventListener("click", async () => {
    said.textContent = "";
    if (!input.value.trim()) return (said.textContent = t("takes.pasteFirst", "Paste the task id first."));
    adopt.disabled = true;
    const answer = await adoptTake(take.take, input.value.trim());
    adopt.disabled = false;
    if (!answer.ok) return (said.textContent = answer.data.error ?? t("takes.failed", "Refused (HTTP {status}).", { status: answer.status }));
    toast("success", answer.data.message);
    done();
  });
  return [el("div", { style: { display: "flex", gap: "0.3rem", marginTop: "0.3rem", flexWrap: "wrap" } }, input, adopt), said];
}

function forgetButton(take, done) {
  const price = take.new_create_price ?? take.price;
  const text = price == null
    ? t("takes.forget", "It was not created: allow a new create")
    : t("takes.forgetPriced", "It was not created: allow a new create (≈ {credits} credits)", { credits: credits(price) });
  const forget = button(text, null, "forget");
  forget.addEventListener("click", async () => {
    forget.disabled = true;
    const answer = await forgetTake(take.take);
    forget.disabled = false;
    if (!answer.ok) return toast("error", answer.data.error ?? t("takes.failed", "Refused (HTTP {status}).", { status: answer.status }));
    toast("success", answer.data.message);
    done();
  });
  return el("div", { style: { marginTop: "0.3rem" } }, forget);
}

function takeRow(take, done) {
  const small = { fontSize: "0.8em", opacity: 0.75 };
  return el("li", { style: { padding: "0.45rem 0", borderBottom: "1px solid var(--border-color, #444)" }, dataset: { freesora: "unknown-take", take: take.take } },
    el("div", { style: { fontSize: "0.85em" } },
      el("strong", { textContent: t("takes.unknown", "outcome unknown"), style: { color: AMBER } }),
      el("span", { style: small, textContent: ` · ${t("takes.take", "take {take}", { take: take.take })}` }),
      take.started_when_queued ? el("span", { style: small, textContent: ` · ${t("queue.badge", "started when queued")}` }) : null),
    el("div", { style: { fontSize: "0.85em" }, textContent: requestText(take) }),
    take.prompt ? el("div", { textContent: take.prompt }) : null,
    el("div", { style: small, textContent: sentText(take) }),
    take.reason ? el("div", { style: small, textContent: take.reason, dataset: { freesora: "take-reason" } }) : null,
    ...adoptLine(take, done),
    forgetButton(take, done));
}

/** The section listing the takes that wait for a person; `changed()` after an action. */
export function takesSection(changed) {
  const list = el("ul", { style: { listStyle: "none", padding: 0, margin: 0 } });
  const head = el("div", { style: { fontSize: "0.85em", margin: "0.3rem 0" } });
  const section = el("div", { style: { display: "none", border: `1px solid ${AMBER}`, borderRadius: "8px", padding: "0.4rem 0.6rem", margin: "0.4rem 0" }, dataset: { freesora: "unknown-takes" } },
    el("strong", { textContent: t("takes.title", "Waiting for you"), style: { color: AMBER } }), head, list);
  const done = () => {
    refreshTakes();
    changed?.();
  };
  const redraw = (answer) => {
    if (!section.isConnected && section.dataset.drawn) return listeners.delete(redraw);
    section.dataset.drawn = "1";
    const takes = answer.ok ? answer.data.takes : [];
    section.style.display = takes.length || !answer.ok ? "" : "none";
    head.textContent = answer.ok
      ? t("takes.explain", "The answer to these creates was lost: a task may exist and may have been charged, so the pack does not send them again. Look for each on the service, then tell the pack what you found.")
      : answer.data.error ?? t("takes.unavailable", "The unknown takes are unavailable (HTTP {status}).", { status: answer.status });
    list.replaceChildren(...takes.map((take) => takeRow(take, done)));
  };
  listeners.add(redraw);
  refreshTakes();
  return section;
}
