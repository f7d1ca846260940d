// FreeSora: the "FreeSora" section of ComfyUI's Settings dialog. The key field is write-only:
// a custom-rendered control that never calls the setting's setter, so the key is never a
// setting value, never in localStorage, and the field is emptied as soon as it is submitted.
import { checkKey, keyStatus, removeKey, storeKey } from "./freesora_api.js";
import { THRESHOLD_SETTING } from "./freesora_cost.js";
import { el, setting, toast } from "./freesora_ui.js";

const PROFILE_SETTING = "FreeSora.Key.Profile";
const profile = () => String(setting(PROFILE_SETTING, "") || "").trim();

function describe(status) {
  if (!status.ok) return status.data.error ?? "the key status is unavailable";
  const s = status.data;
  if (s.problem) return s.problem;
  if (!s.set) return `No key is set for profile "${s.profile}".`;
  return `A key is set for profile "${s.profile}" (from the ${s.source}).`;
}

function keyField() {
  const input = el("input", {
    type: "password",
    autocomplete: "off",
    spellcheck: false,
    placeholder: "paste your FreeSora API key (sk-...)",
    className: "p-inputtext p-component",
    style: { width: "18rem" },
    dataset: { freesora: "key-input" },
  });
  const line = el("div", { style: { fontSize: "0.85em", opacity: 0.8 }, dataset: { freesora: "key-status" } });
  const refresh = async () => (line.textContent = describe(await keyStatus(profile())));
  const submit = async () => {
    const value = input.value;
    input.value = ""; // cleared before the request: the key stays nowhere in the page
    if (!value.trim()) return toast("warn", "Paste a key first.");
    const answer = await storeKey(value, profile());
    if (answer.ok) {
      toast("success", `Key stored in the config file ${answer.data.file} (readable by you only). ${answer.data.note}`);
    } else {
      toast("error", `Key refused: ${answer.data.error}`);
    }
    await refresh();
  };
  input.addEventListener("keydown", (event) => event.key === "Enter" && submit());
  const store = el("button", { className: "p-button p-component p-button-sm", textContent: "Store", onclick: submit, dataset: { freesora: "key-store" } });
  const remove = el("button", {
    className: "p-button p-component p-button-sm p-button-secondary",
    textContent: "Remove",
    dataset: { freesora: "key-remove" },
    onclick: async () => {
      const answer = await removeKey(profile());
      toast(answer.ok ? "info" : "error", answer.ok ? (answer.data.removed ? "Stored key removed." : "No stored key to remove.") : answer.data.error);
      await refresh();
    },
  });
  refresh();
  return el("div", { style: { display: "flex", flexDirection: "column", gap: "0.3rem" } },
    el("div", { style: { display: "flex", gap: "0.4rem" } }, input, store, remove), line);
}

function checkButton() {
  const result = el("span", { style: { marginLeft: "0.6rem" }, dataset: { freesora: "check-result" } });
  const button = el("button", {
    className: "p-button p-component p-button-sm",
    textContent: "Check the key",
    dataset: { freesora: "key-check" },
    onclick: async () => {
      result.textContent = "asking the service…";
      const answer = await checkKey(profile());
      const ok = answer.ok && answer.data.ok;
      const message = answer.data.message ?? answer.data.error ?? `HTTP ${answer.status}`;
      result.textContent = `${ok ? "✓" : "✗"} ${message}`;
      toast(ok ? "success" : "error", `Key check: ${message}`);
    },
  });
  return el("div", {}, button, result);
}

export const SETTINGS = [
  {
    id: "FreeSora.Key.ApiKey",
    category: ["FreeSora", "API key", "Key"],
    name: "API key (write-only: stored on the ComfyUI machine, never shown again)",
    tooltip: "Stored like `freesora key set` does: in the FreeSora config file, readable by you only. Never in workflows or the browser.",
    type: () => keyField(),
    defaultValue: "",
  },
  {
    id: PROFILE_SETTING,
    category: ["FreeSora", "API key", "Profile"],
    name: "Profile (empty = default)",
    tooltip: "Which profile of the config file the key above and the check use.",
    type: "text",
    defaultValue: "",
  },
  {
    id: "FreeSora.Key.Check",
    category: ["FreeSora", "API key", "Check"],
    name: "Is the key accepted? (spends no credits)",
    type: () => checkButton(),
    defaultValue: "",
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
];
