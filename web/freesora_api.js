// FreeSora: calls to the pack's own routes (/freesora/...), through the frontend's api module.
// Never an outside URL; the key goes out once (POST /freesora/key) and never comes back.
import { api } from "../../scripts/api.js";

async function call(path, options = {}) {
  const init = { ...options, headers: { "Content-Type": "application/json" } };
  if (options.body !== undefined) init.body = JSON.stringify(options.body);
  let resp;
  try {
    resp = await api.fetchApi(path, init);
  } catch (err) {
    return { ok: false, status: 0, data: { error: `ComfyUI did not answer (${err})` } };
  }
  let data = {};
  try {
    data = await resp.json();
  } catch {
    data = { error: `ComfyUI answered ${resp.status} without JSON: is the pack loaded?` };
  }
  return { ok: resp.ok, status: resp.status, data };
}

const q = (profile) => (profile ? `?profile=${encodeURIComponent(profile)}` : "");

export const keyStatus = (profile) => call(`/freesora/key${q(profile)}`);
export const storeKey = (apiKey, profile) =>
  call("/freesora/key", { method: "POST", body: { api_key: apiKey, profile: profile || "" } });
export const removeKey = (profile) => call(`/freesora/key${q(profile)}`, { method: "DELETE" });
export const checkKey = (profile) =>
  call("/freesora/key/check", { method: "POST", body: { profile: profile || "" } });
export const prices = () => call("/freesora/prices");
export const tasks = (limit, offset) => call(`/freesora/tasks?limit=${limit}&offset=${offset}`);
export const queueStart = () => call("/freesora/queue-start");
export const unknownTakes = () => call("/freesora/takes/unknown");
export const adoptTake = (take, taskId) =>
  call(`/freesora/takes/${encodeURIComponent(take)}/adopt`, { method: "POST", body: { task_id: taskId } });
export const forgetTake = (take) =>
  call(`/freesora/takes/${encodeURIComponent(take)}/forget`, { method: "POST", body: {} });
