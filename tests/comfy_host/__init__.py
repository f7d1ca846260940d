"""A real ComfyUI with the pack installed, for tests/comfyui and tests/browser alike.

`hosts` is the one reader of FREESORA_COMFYUI_DIR, _PYTHON and _FRONTEND (which ComfyUI, and the
`host` fixture that skips without one); `server` starts that ComfyUI with the sandbox behind it
and speaks plain HTTP to both; `graphs` holds the API-format graphs (`workflows/`) and the
helpers that queue them and read their results. No test lives here.
"""
