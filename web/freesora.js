// FreeSora nodes in the ComfyUI frontend: the key settings, the estimated cost on every
// creation node and before Run, the task inbox with the takes waiting for a person, and "Start
// tasks when queued". Plain ES modules, no build step; only the frontend's public extension API,
// feature-detected (frontends 1.27 to 1.58, classic canvas and Nodes 2.0). Calls only this
// pack's routes, and the core's /i18n for its translations.
import { app } from "../../scripts/app.js";
import { addCostBadge, guardQueue, loadPrices } from "./freesora_cost.js";
import { openInboxWindow, registerInbox } from "./freesora_inbox.js";
import { loadTranslations, t } from "./freesora_i18n.js";
import { addQueuedBadge, followQueuedStarts, loadQueueStart, sendSwitchWithPrompts } from "./freesora_queue.js";
import { SETTINGS } from "./freesora_settings.js";
import { watchTakes } from "./freesora_takes.js";
import { button } from "./freesora_ui.js";

const hasSidebar = Boolean(app.extensionManager?.registerSidebarTab);
const inboxButton = {
  id: "FreeSora.Inbox.Open",
  category: ["FreeSora", "Tasks", "Open"],
  name: "Task inbox (this frontend has no sidebar tabs)",
  type: () => button(t("inbox.open", "Open the task inbox"), openInboxWindow, "inbox-open", true),
  defaultValue: "",
};

app.registerExtension({
  name: "FreeSora.Frontend",
  settings: hasSidebar ? SETTINGS : [...SETTINGS, inboxButton],
  async setup() {
    await loadTranslations();
    registerInbox();
    watchTakes(); // the tab's icon counts the takes waiting for a person
    guardQueue();
    sendSwitchWithPrompts();
    followQueuedStarts();
    await loadQueueStart();
    await loadPrices();
    app.graph?.setDirtyCanvas?.(true, true);
  },
  nodeCreated(node) {
    addCostBadge(node);
    addQueuedBadge(node);
  },
});
