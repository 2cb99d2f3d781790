"""Errors for bad input: each names the file, the field, what is wrong and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input."""

    file: str
    field: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"{_one_line(self.file)}: {_one_line(self.field)}: {_one_line(self.message)}"
        return f"{text} (fix: {_one_line(self.fix)})" if self.fix else text


def _one_line(text: str) -> str:
    """A value quoted into a message may hold a newline or another control character (`lease_time: "\\n12h"`):
    written as its escape, so every problem stays one line of `file: field: message (fix: ...)`."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


class SpecError(Exception):
    """Bad tenant files or stack config. str() lists every problem, one per line."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
