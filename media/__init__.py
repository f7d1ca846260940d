"""IMAGE (numpy or torch, never importing torch) -> fitted, scaled, encoded data URL.

`encode` reads ComfyUI IMAGE values; `imaging` is the Pillow side. May import `schemas` and
`errors`; touches no network and no ledger.
"""
