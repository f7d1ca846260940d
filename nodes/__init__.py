"""ComfyUI glue only: one node per file, plus the hooks and shared widgets they use.

The only package that may import comfy, comfy_api, server, folder_paths or torch. May import
everything of the pure layer (create, collect, ledger, media, schemas, service, config,
errors); nothing imports `nodes` but the pack's entry point.
"""
