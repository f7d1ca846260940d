// FreeSora: a freshly added creation node starts with its seed control on "fixed".
//
// Pressing Run twice with nothing changed must reuse the task, never pay for a second one.
// Newer cores declare the seed "fixed" themselves (io.ControlAfterGenerate); older ones
// (ComfyUI 0.3.64, frontend 1.27) only take a boolean, which the frontend shows as
// "randomize". nodeCreated runs before a saved workflow's values are applied, so loading a
// workflow keeps whatever control value it was saved with. Frontend 1.45 also names the
// control widget after the value the core declared ("fixed"): it gets back its usual name
// (only the label changes; widget values are saved by position).
import { app } from "../../scripts/app.js";

const CREATION_NODES = new Set([
  "FreeSoraTextToVideo",
  "FreeSoraImageToVideo",
  "FreeSoraStoryboard",
]);
const CONTROL_NAME = "control_after_generate";
const CONTROL_VALUES = new Set(["fixed", "increment", "decrement", "randomize"]);

app.registerExtension({
  name: "freesora.seedControl",
  nodeCreated(node) {
    if (!CREATION_NODES.has(node.comfyClass ?? node.type)) return;
    const seed = node.widgets?.find((widget) => widget.name === "seed");
    const control =
      seed?.linkedWidgets?.[0] ?? node.widgets?.find((widget) => widget.name === CONTROL_NAME);
    if (!control) return;
    if (CONTROL_VALUES.has(control.name)) control.name = CONTROL_NAME;
    if (control.value === "randomize") control.value = "fixed";
  },
});
