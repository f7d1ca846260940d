"""Create-exactly-once: the task ledger's interface, its stores and the fingerprint of a take.

May import `schemas`, `errors` and `config`; never `service` (the ledger never speaks HTTP),
`create`, `collect`, `media` or `nodes`.
"""
