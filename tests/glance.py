"""What makes a message readable at a glance, as the tests check it on every message they see.

At most `MAX_CHARS` characters, parentheses at most one deep and balanced, no message quoted
inside another (a parenthesis holds a short aside, never a sentence of its own), and no word cut
off: a shortened part ends with a whole word and "…" (its words are the tests' to check).
"""

from __future__ import annotations

import re

MAX_CHARS = 600
# An aside this long, or holding a sentence, is another message quoted inside this one.
MAX_ASIDE_CHARS = 120
_SENTENCE_BREAK = re.compile(r"[.!?] +[A-Z][a-z]")


def glance_problems(message: str) -> list[str]:
    """What keeps `message` from being read at a glance; [] when nothing does."""
    problems = []
    if len(message) > MAX_CHARS:
        problems.append(f"{len(message)} characters (at most {MAX_CHARS})")
    depth, deepest, start, asides = 0, 0, 0, []
    for at, char in enumerate(message):
        if char == "(":
            depth += 1
            deepest = max(deepest, depth)
            start = at + 1 if depth == 1 else start
        elif char == ")":
            if depth == 1:
                asides.append(message[start:at])
            depth -= 1
            if depth < 0:
                problems.append(f"a ')' closes nothing at {at}")
                depth = 0
    if depth:
        problems.append("a '(' is never closed")
    if deepest > 1:
        problems.append(f"parentheses {deepest} deep (at most 1)")
    for aside in asides:
        if len(aside) > MAX_ASIDE_CHARS or _SENTENCE_BREAK.search(aside):
            problems.append(f"a message quoted inside another: ({aside[:60]}…)")
    if message.count('"') % 2:
        problems.append('a " is never closed')
    return problems
