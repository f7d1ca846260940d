// FreeSora: small UI helpers over the frontend's public extension API (toast, confirm),
// each feature-detected with a plain-browser fallback for frontends that lack it.
import { app } from "../../scripts/app.js";

export function toast(severity, detail) {
  const toasts = app.extensionManager?.toast;
  if (toasts?.add) {
    toasts.add({ severity, summary: "FreeSora", detail, life: severity === "error" ? 8000 : 4000 });
  } else {
    console.info(`FreeSora: ${detail}`);
  }
}

export async function confirmSpend(title, message) {
  const dialog = app.extensionManager?.dialog;
  if (dialog?.confirm) {
    return Boolean(await dialog.confirm({ title, message, type: "default" }));
  }
  return window.confirm(`${title}\n\n${message}`);
}

export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === "style") Object.assign(node.style, value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node[name] = value;
  }
  for (const child of children) {
    if (child !== null && child !== undefined) {
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    }
  }
  return node;
}

// Nodes 2.0 computes a node's badges again only when a reactive value it read changes (1.45
// tracks a widget's value or label, not a link). A badge function reads the first widget's
// label; setting that label to another text and straight back makes the computed run again.
// Vue renders after this task, so nothing ever shows the passing label.
export function nudgeBadges(node) {
  const anchor = node.widgets?.[0];
  if (!anchor) return;
  const own = Object.prototype.hasOwnProperty.call(anchor, "label");
  const label = anchor.label;
  anchor.label = `${label ?? anchor.name} `;
  anchor.label = label;
  if (!own && Object.prototype.hasOwnProperty.call(anchor, "label")) delete anchor.label;
}

export function setting(id, fallback) {
  const store = app.extensionManager?.setting;
  const value = store?.get ? store.get(id) : app.ui?.settings?.getSettingValue?.(id);
  return value === undefined || value === null ? fallback : value;
}

// One look in every frontend: 1.27/1.45 style PrimeVue's classes, 1.58 no longer does.
const BUTTON_STYLE = {
  background: "var(--comfy-input-bg, #2b2b2b)",
  color: "var(--input-text, #ddd)",
  border: "1px solid var(--border-color, #555)",
  borderRadius: "6px",
  padding: "0.25rem 0.7rem",
  cursor: "pointer",
  fontSize: "0.85rem",
};

export function button(text, onclick, name, primary = false) {
  const style = primary ? { ...BUTTON_STYLE, background: "#2563eb", color: "#fff", border: "1px solid #2563eb" } : BUTTON_STYLE;
  return el("button", { type: "button", textContent: text, onclick, style, dataset: name ? { freesora: name } : {} });
}
