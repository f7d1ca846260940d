// FreeSora: a freshly added creation node starts with its seed control on "fixed".
//
// Pressing Run twice with nothing changed must reuse the task, never pay for a second one.
// Newer cores declare the seed "fixed" themselves (io.ControlAfterGenerate); older ones
// (ComfyUI 0.3.64, frontend 1.27) only take a boolean, which the frontend shows as
// "randomize". nodeCreated runs before a saved workflow's values are applied, so loading a
// workflow keeps whatever control value it was saved with.
import { app } from "../../scripts/app.js";

const CREATION_NODES = new Set([
  "FreeSoraTextToVideo",
  "FreeSoraImageToVideo",
  "FreeSoraStoryboard",
]);

app.registerExtension({
  name: "freesora.seedControl",
  nodeCreated(node) {
    if (!CREATION_NODES.has(node.comfyClass ?? node.type)) return;
    const control = node.widgets?.find((widget) => widget.name === "control_after_generate");
    if (control && control.value === "randomize") control.value = "fixed";
  },
});
