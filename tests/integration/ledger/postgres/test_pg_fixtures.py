"""CI never passes by skipping the PostgreSQL tests: without a database they fail under CI=true
(unless the run says it has none on purpose)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_one_pg_test(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FREESORA_TEST_POSTGRES")}
    test = f"{HERE / 'test_pg_ledger.py'}::test_an_unknown_outcome_blocks_only_its_own_slot"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", test],
        capture_output=True,
        text=True,
        env={**clean, **env},
        cwd=HERE.parents[3],  # the checkout
        check=False,
    )


def test_without_a_database_the_postgresql_tests_fail_under_ci() -> None:
    done = run_one_pg_test(CI="true")
    assert done.returncode == 1, done.stdout
    assert "CI=true but FREESORA_TEST_POSTGRES_URL is not set" in done.stdout


def test_without_a_database_the_postgresql_tests_skip_on_a_developer_machine() -> None:
    done = run_one_pg_test(CI="false")
    assert done.returncode == 0, done.stdout
    assert "1 skipped" in done.stdout


def test_a_ci_run_without_postgresql_on_purpose_skips_them_saying_so() -> None:
    done = run_one_pg_test(CI="true", FREESORA_TEST_POSTGRES="off", PYTEST_ADDOPTS="-rs")
    assert done.returncode == 0, done.stdout
    assert "1 skipped" in done.stdout
    assert "FREESORA_TEST_POSTGRES=off: this run has no PostgreSQL" in done.stdout
