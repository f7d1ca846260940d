"""docs/safety.md says what the code does: the table of what proves a create made nothing."""

from __future__ import annotations

from pathlib import Path

from freesora.service.retry import RULES, may_resend, nothing_created

SAFETY = Path(__file__).resolve().parents[2] / "docs" / "safety.md"


def test_the_table_in_the_safety_doc_says_every_row_in_order() -> None:
    doc = SAFETY.read_text(encoding="utf-8")
    table = doc.split("| what happened |", 1)[1].split("\n\n", 1)[0]
    rows = [line.strip("| ").split(" | ") for line in table.splitlines()[2:]]
    assert [says for says, _, _ in rows] == [rule.says for rule in RULES]
    for (_, create, status), rule in zip(rows, RULES, strict=True):
        if may_resend(rule.outcome, idempotent=False):
            assert create.startswith("sent again")
        else:
            assert create.split(" ")[0] == (
                "refused" if nothing_created(rule.outcome) else "unknown"
            )
        assert status == ("asked again" if may_resend(rule.outcome, idempotent=True) else "final")
