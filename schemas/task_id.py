"""The one rule for task ids, at create and at collect, and the file names made from them.

Task ids are the service's and opaque to the pack: any shape it hands out (`sora.2026-12-04:
29f7383633af`, a long composite) must be collectable, so the rule refuses only what cannot be an
id at all: empty, longer than `TASK_ID_MAX_CHARS`, or holding spaces or control characters
(which would break a log line, a terminal or a pasted field). A create answered with such an id
is reported as an unknown outcome (the raw id shown), never as a task. File names never use the
id as it is: `task_file_stem` keeps the characters every file system takes and adds a hash of
the id whenever it had to change or shorten it, so two ids never share a file. May import only
`errors`.
"""

from __future__ import annotations

import hashlib
import re

from ..errors import InvalidRequestError

TASK_ID_MAX_CHARS = 1024
TASK_ID_RULE = f"1 to {TASK_ID_MAX_CHARS} characters, no spaces or control characters"
_STEM_MAX = 96  # the id's part of a file name: far below every file system's 255
# Kept as they are in a file name: safe on Windows, macOS and Linux (and lower case only, as
# Windows and macOS fold case: `ABC` and `abc` are one file there).
_SAFE_STEM = re.compile(rf"[a-z0-9_\-]{{1,{_STEM_MAX}}}")
_UNSAFE = re.compile(r"[^A-Za-z0-9_\-]+")


def task_id_problem(task_id: str) -> str | None:
    """Why `task_id` cannot be a task id, or None when it can."""
    if not task_id:
        return "it is empty"
    if len(task_id) > TASK_ID_MAX_CHARS:
        return f"it has {len(task_id)} characters, more than {TASK_ID_MAX_CHARS}"
    if any(char.isspace() or not char.isprintable() for char in task_id):
        return "it holds a space or a control character"
    return None


def shown_id(raw: str, limit: int = 120) -> str:
    """An id as a message shows it: quoted and escaped, the start of a long one and its length."""
    if len(raw) <= limit:
        return repr(raw)
    return f"{raw[:limit]!r}... ({len(raw)} characters)"


def clean_task_id(raw: str, field: str = "task_id") -> str:
    """A pasted task id, trimmed of spaces and quotes; InvalidRequestError naming `field`."""
    task_id = raw.strip().strip("\"'").strip()
    problem = task_id_problem(task_id)
    if problem is not None:
        raise InvalidRequestError(
            f"{field} must be the id printed when the task was created ({TASK_ID_RULE}); "
            f"{problem}: got {shown_id(task_id, 40)}",
            field=field,
        )
    return task_id


def task_file_stem(task_id: str) -> str:
    """The id's part of a file name: the id itself when it is already safe everywhere, else its
    safe characters and a hash of the whole id (ids that clean up alike stay apart)."""
    if _SAFE_STEM.fullmatch(task_id):
        return task_id
    kept = _UNSAFE.sub("_", task_id).strip("_")[:_STEM_MAX]
    digest = hashlib.sha256(task_id.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{kept}_{digest}" if kept else digest
