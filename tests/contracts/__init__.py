"""The ledger's contract as reusable suites, run against both stores (the journal file and
PostgreSQL): `ledger` (the guarantees of `freesora.ledger.contract.Ledger`), `budget` (a take's
price and the daily budget) and `corners`. A store's test module subclasses the three classes
and gives them a `make_ledger` fixture (tests/unit/test_ledger_contract.py,
tests/integration/test_pg_ledger_contract.py).
"""
