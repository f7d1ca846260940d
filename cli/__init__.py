"""The `freesora` command (`main`), the demo and the terminal display.

May import everything of the pure layer (create, collect, ledger, media, schemas, service,
sandbox, config, errors); never `nodes`, and nothing imports `cli`.
"""
