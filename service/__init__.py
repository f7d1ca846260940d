"""The only code that speaks HTTP: the client, answers, resend rules, polling, downloads, key check.

May import `schemas`, `errors` and `config`; nothing else of the pack (never `nodes`, `create`,
`collect`, `ledger` or `media`). `VERSION` lives here because the User-Agent header is its only
use inside the pack.
"""

VERSION = "0.3.0"
