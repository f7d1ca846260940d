"""The key taken out of what comes from outside: the one redaction of the service's words.

A service may repeat the key it was sent ("Incorrect API key provided: sk-…"), and not always
whole: cut short, masked, URL-encoded, or \\u-escaped in its JSON. `Redactor` removes each form
from a text, from a parsed JSON answer, and from an error's message. `FreeSoraClient` applies it
where outside text enters the pack (every answer body, every error of a request or a download),
so nothing later (a node, the CLI, a log line, the journal, a route) sees the key.

What counts as the key, compared without regard to case, in the key as sent and in its
URL-encoded forms:
- any run of `RUN` or more consecutive characters of it (the key, its secret part, a long
  prefix or suffix, a key inside a longer word or a URL);
- a word that is the start of the key and shows at least one character past `sk-` ("sk-ab");
- a masked form: the start of the key, a mask (`***`, `…`, `...`, `•••`), the end of the key,
  showing at least two of its characters together ("sk-ab****wxyz", "…wxyz1", "sk-abc...").
Shorter pieces (`sk-`, a lone last character) say nothing of the secret and are left.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from typing import Any, TypeVar
from urllib.parse import quote, quote_plus

from ..errors import FreeSoraError

REMOVED = "[API key removed]"
RUN = 8  # fewer characters of a random key are no help in guessing it
PUBLIC_HEAD = "sk-"  # every key of the service starts so: showing it reveals nothing
_MASK = re.compile(r"\*+|[•●·]+|…|\.{2,}")
_MASK_CHARS = "*•●·…."
T = TypeVar("T")


class Redactor:
    """The key's forms, compiled once for one key."""

    def __init__(self, key: str) -> None:
        forms = {key, quote(key, safe=""), quote(key), quote_plus(key)}
        self._forms = sorted({form.lower() for form in forms if form})
        run = min(RUN, min(len(form) for form in self._forms))
        pieces = {form[i : i + run] for form in self._forms for i in range(len(form) - run + 1)}
        self._runs = re.compile("|".join(map(re.escape, sorted(pieces))), re.IGNORECASE)
        word = set("".join(self._forms)) | set("abcdefghijklmnopqrstuvwxyz0123456789_-")
        word -= set(" \t\r\n")
        # A word: key characters, and mask characters between them.
        chars = "".join(sorted(word | set(_MASK_CHARS)))
        self._word = re.compile(f"[{re.escape(chars)}]+", re.IGNORECASE)

    def text(self, text: str) -> str:
        """`text` with every form of the key replaced by `REMOVED`."""
        if not text:
            return text
        return self._word.sub(self._word_without_key, text)

    def value(self, value: T) -> T:
        """A parsed JSON answer with the key taken out of every string (keys of objects too)."""
        return self._value(value)  # type: ignore[no-any-return]

    def body(self, text: str) -> str:
        """An answer's body as it may be read: a JSON body with the key taken out of its
        strings after they are decoded (\\u escapes hide no key), anything else as text."""
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError):
            return self.text(text)
        clean = self.value(parsed)
        return text if clean == parsed else json.dumps(clean)

    def error(self, exc: FreeSoraError) -> FreeSoraError:
        """`exc` with the key taken out of its message and its parts (what every display reads)."""
        exc.message = self.text(exc.message)
        exc.args = (exc.message,)
        exc.said = None if exc.said is None else self.text(exc.said)
        exc.what = None if exc.what is None else self.text(exc.what)
        return exc

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self._value(item) for item in value]
        if isinstance(value, dict):
            return {self.text(str(k)): self._value(item) for k, item in value.items()}
        return value

    def _word_without_key(self, found: re.Match[str]) -> str:
        word = found.group()
        # A sentence's full stop is not part of the word before it ("..." is a mask, "...."
        # a mask and a full stop).
        lead = "." if word.startswith(".") and not word.startswith("..") else ""
        dots = len(word) - len(word.rstrip("."))
        tail = "." if dots in (1, 4) else ""
        core = word[len(lead) : len(word) - len(tail)]
        if core and self._is_key(core.lower()):
            return lead + REMOVED + tail
        return word

    def _is_key(self, word: str) -> bool:
        if self._runs.search(word):
            return True
        return any(_start_of(form, word) or _masked(form, word) for form in self._forms)


def _shown(form: str, start: str) -> int:
    """How many characters of the key `start` (a start of `form`) shows past the public head."""
    if form.startswith(PUBLIC_HEAD) and start.startswith(PUBLIC_HEAD):
        return len(start) - len(PUBLIC_HEAD)
    return len(start)


def _start_of(form: str, word: str) -> bool:
    return len(word) >= 4 and form.startswith(word) and _shown(form, word) >= 1


def _masked(form: str, word: str) -> bool:
    """Start of the key, mask, end of the key (pieces between masks must be the key's too)."""
    masks = list(_MASK.finditer(word))
    if not masks:
        return False
    start, end = word[: masks[0].start()], word[masks[-1].end() :]
    middle = [word[a.end() : b.start()] for a, b in itertools.pairwise(masks)]
    if not form.startswith(start) or not form.endswith(end):
        return False
    if any(piece not in form for piece in middle):
        return False
    return _shown(form, start) + len(end) + sum(map(len, middle)) >= 2


@functools.lru_cache(maxsize=16)
def redactor(key: str) -> Redactor:
    """The redactor of `key` (built once per key: a client asks for it on every request)."""
    return Redactor(key)
