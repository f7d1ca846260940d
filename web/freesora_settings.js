// FreeSora: the "FreeSora" section of ComfyUI's Settings dialog. The key field is write-only:
// a custom-rendered control that never calls the setting's setter, so the key is never a
// setting value, never in localStorage, and the field is emptied as soon as it is submitted.
import { checkKey, keyStatus, removeKey, storeKey } from "./freesora_api.js";
import { loadPrices, THRESHOLD_SETTING } from "./freesora_cost.js";
import { t } from "./freesora_i18n.js";
import { QUEUE_SETTINGS } from "./freesora_queue.js";
import { button, el, setting, toast } from "./freesora_ui.js";

const PROFILE_SETTING = "FreeSora.Key.Profile";
const profile = () => String(setting(PROFILE_SETTING, "") || "").trim();

function describe(status) {
  if (!status.ok) return status.data.error ?? t("key.statusUnavailable", "the key status is unavailable");
  const s = status.data;
  if (s.problem) return s.problem;
  if (!s.set) return t("key.notSet", 'No key is set for profile "{profile}".', { profile: s.profile });
  const source = s.source === "environment" ? t("key.fromEnvironment", "environment") : t("key.fromConfigFile", "config file");
  return t("key.set", 'A key is set for profile "{profile}" (from the {source}).', { profile: s.profile, source });
}

function keyField() {
  const input = el("input", {
    type: "password",
    autocomplete: "off",
    spellcheck: false,
    placeholder: t("key.placeholder", "paste your FreeSora API key (sk-...)"),
    className: "p-inputtext p-component",
    style: { width: "14rem", padding: "0.35rem 0.5rem", borderRadius: "6px", border: "1px solid var(--border-color, #555)", background: "var(--comfy-input-bg, #222)", color: "var(--input-text, #ddd)" },
    dataset: { freesora: "key-input" },
  });
  const line = el("div", { style: { fontSize: "0.85em", opacity: 0.8 }, dataset: { freesora: "key-status" } });
  const refresh = async () => (line.textContent = describe(await keyStatus(profile())));
  const submit = async () => {
    const value = input.value;
    input.value = ""; // cleared before the request: the key stays nowhere in the page
    if (!value.trim()) return toast("warn", t("key.pasteFirst", "Paste a key first."));
    const answer = await storeKey(value, profile());
    if (answer.ok) {
      // The config file's path is answered only to a page on the ComfyUI machine itself.
      const where = answer.data.file ? t("key.configFile", "the config file {file}", { file: answer.data.file }) : t("key.configFileThere", "the FreeSora config file on the ComfyUI machine");
      toast("success", t("key.stored", "Key stored in {where} (readable by you only). {note}", { where, note: answer.data.note }));
    } else {
      toast("error", t("key.refused", "Key refused: {error}", { error: answer.data.error }));
    }
    await refresh();
  };
  input.addEventListener("keydown", (event) => event.key === "Enter" && submit());
  const store = button(t("key.store", "Store"), submit, "key-store", true);
  const remove = button(t("key.remove", "Remove"), async () => {
    const answer = await removeKey(profile());
    toast(answer.ok ? "info" : "error", answer.ok ? (answer.data.removed ? t("key.removed", "Stored key removed.") : t("key.nothingToRemove", "No stored key to remove.")) : answer.data.error);
    await refresh();
  }, "key-remove");
  refresh();
  return el("div", { style: { display: "flex", flexDirection: "column", gap: "0.3rem", maxWidth: "16rem" } },
    input, el("div", { style: { display: "flex", gap: "0.4rem" } }, store, remove), line);
}

function checkButton() {
  const result = el("div", { style: { fontSize: "0.85em", marginTop: "0.3rem" }, dataset: { freesora: "check-result" } });
  const check = button(t("key.check", "Check the key"), async () => {
    result.textContent = t("key.asking", "asking the service…");
    const answer = await checkKey(profile());
    const ok = answer.ok && answer.data.ok;
    const message = answer.data.message ?? answer.data.error ?? `HTTP ${answer.status}`;
    result.textContent = `${ok ? "✓" : "✗"} ${message}`;
    toast(ok ? "success" : "error", t("key.checked", "Key check: {message}", { message }));
  }, "key-check", true);
  return el("div", { style: { maxWidth: "16rem" } }, check, result);
}

// Where the user's price table lives (the config file's "prices"), and what it sets.
function pricesInfo() {
  const line = el("div", { style: { fontSize: "0.85em", maxWidth: "22rem" }, dataset: { freesora: "prices-info" } });
  loadPrices().then((sheet) => {
    if (!sheet) return (line.textContent = t("prices.unavailable", "The price table is unavailable."));
    const where = sheet.config_file ? t("key.configFile", "the config file {file}", { file: sheet.config_file }) : t("key.configFileThere", "the FreeSora config file on the ComfyUI machine");
    let count = 0;
    for (const lengths of Object.values(sheet.user ?? {})) for (const sizes of Object.values(lengths)) count += sizes.length;
    const mine = count ? (count === 1 ? t("prices.yoursOne", "1 price of yours is used") : t("prices.yours", "{count} prices of yours are used", { count })) : t("prices.none", "none set yet: the pack's estimate is used");
    const example = '"prices": {"sora-2-pro-text-to-video": {"10": {"high": 375}}}';
    line.textContent = t("prices.where", "Your prices: a top-level {example} table in {where} ({mine}).", { example, where, mine }) + (sheet.problem ? t("prices.problem", " Problem: {problem}", { problem: sheet.problem }) : "");
  });
  return line;
}

export const SETTINGS = [
  {
    id: "FreeSora.Key.ApiKey",
    category: ["FreeSora", "API key", "Key"],
    name: "API key (write-only: stored on the ComfyUI machine, never shown again)",
    tooltip: "Stored like `freesora key set` does: in the FreeSora config file, readable by you only. Never in workflows or the browser.",
    type: () => keyField(),
    defaultValue: "",
    sortOrder: 30,
  },
  {
    id: PROFILE_SETTING,
    category: ["FreeSora", "API key", "Profile"],
    name: "Profile (empty = default)",
    tooltip: "Which profile of the config file the key above and the check use.",
    type: "text",
    defaultValue: "",
    sortOrder: 20,
  },
  {
    id: "FreeSora.Key.Check",
    category: ["FreeSora", "API key", "Check"],
    name: "Is the key accepted? (spends no credits)",
    type: () => checkButton(),
    defaultValue: "",
    sortOrder: 10,
  },
  {
    id: THRESHOLD_SETTING,
    category: ["FreeSora", "Cost", "Confirm"],
    name: "Ask before queueing a prompt estimated above (credits; 0 = never ask)",
    tooltip: "The estimate is the pack's own (the service publishes no price list).",
    type: "number",
    defaultValue: 2000,
    attrs: { min: 0, step: 100 },
  },
  {
    id: "FreeSora.Cost.Prices",
    category: ["FreeSora", "Cost", "Prices"],
    name: "Prices used for badges, the confirmation and the daily budget",
    type: () => pricesInfo(),
    defaultValue: "",
  },
  ...QUEUE_SETTINGS,
];
