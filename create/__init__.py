"""The pack's first verb, create: widget values -> planned requests -> submitted tasks.

`plan` turns widget values (nodes and CLI alike) into checked requests; `submit` creates them
exactly once through the ledger. May import `ledger`, `media`, `schemas`, `service`, `errors` and
`config`; never `nodes`, `cli` or `collect`.
"""
