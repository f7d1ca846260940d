// FreeSora: the pack's own frontend text in the frontend's language (Settings → Comfy → Locale).
// English is written where the text is used, t("inbox.refresh", "Refresh"), so the page reads
// the same without a translation; other languages come from the pack's
// locales/<lang>/main.json ("freesora" section), which ComfyUI serves at /i18n with every
// pack's translations, the same files that translate the nodes and settings. {name} in a text
// is replaced by vars.name. A text the language lacks falls back to the English at the call.
import { api } from "../../scripts/api.js";
import { setting } from "./freesora_ui.js";

const LOCALE_SETTING = "Comfy.Locale";
let byLocale = {};

/** Fetch the translations once (setup awaits it); without them every text stays English. */
export async function loadTranslations() {
  try {
    const resp = await api.fetchApi("/i18n");
    const all = resp.ok ? await resp.json() : {};
    byLocale = Object.fromEntries(Object.entries(all ?? {}).map(([lang, messages]) => [lang, messages?.freesora ?? {}]));
  } catch {
    byLocale = {};
  }
  return byLocale;
}

export const locale = () => String(setting(LOCALE_SETTING, "en") || "en");

function lookup(messages, key) {
  let found = messages;
  for (const part of key.split(".")) found = found?.[part];
  return typeof found === "string" ? found : null;
}

export function t(key, english, vars = {}) {
  const text = lookup(byLocale[locale()], key) ?? english;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}
