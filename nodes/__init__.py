"""ComfyUI glue only: one node per file. The only place that may import comfy, server or torch."""
