"""ComfyUI glue only: one node per file, and what they share (ComfyUI's progress and interrupt
in `progress`, its folders in `comfy_folders`, the create step in `creating`, widgets).

The only package that may import comfy, comfy_api, server, folder_paths or torch. A node's
`execute` unwraps ComfyUI's inputs, calls the facade (`FreeSora`) and shows the result. May
import everything of the pure layer (facade, create, collect, ledger, media, schemas, service,
config, errors); nothing imports `nodes` but the pack's entry point.
"""
