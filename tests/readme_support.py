"""Reading the README in tests: its fenced blocks, sections, console blocks and tables."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

__all__ = [
    "FENCE",
    "README",
    "console_block",
    "guide_blocks",
    "section",
    "shown_as",
    "table",
]

README = Path(__file__).resolve().parents[1] / "README.md"

#: A fenced block: its language and its code.
FENCE = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)

_ID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")


def guide_blocks() -> list[tuple[str, str]]:
    """The fenced blocks between the README's guide markers: (language, code)."""
    text = README.read_text()
    guide = text[text.index("<!-- guide:start -->") : text.index("<!-- guide:end -->")]
    return [(m.group(1), m.group(2)) for m in FENCE.finditer(guide)]


def section(heading: str) -> str:
    """The README's text from *heading* (a whole line) to the next heading of its level."""
    text = README.read_text()
    start = text.index(f"\n{heading}\n") + 1
    level = heading.split(" ", 1)[0]
    end = text.find(f"\n{level} ", start + len(heading))
    return text[start : end if end != -1 else len(text)]


def console_block(command: str) -> list[str]:
    """The lines a README console block shows *command* (its whole ``$ ...`` line) printing:
    those after it, up to the block's end or its next command. A block that starts with
    *command* comes before one that runs it later."""
    found = []
    for language, code in (m.groups() for m in FENCE.finditer(README.read_text())):
        lines = code.splitlines()
        if language == "console" and command in lines:
            rest = lines[lines.index(command) + 1 :]
            ends = [i for i, line in enumerate(rest) if line.startswith("$ ")]
            found.append((lines[0] != command, rest[: ends[0]] if ends else rest))
    if not found:
        raise AssertionError(f"no console block runs {command!r}")
    return min(found, key=lambda first_or_later: first_or_later[0])[1]


def shown_as(printed: list[str], shown: list[str]) -> bool:
    """Whether the lines *printed* are what the README *shown* them as, where a line ``...``
    stands for any lines (or none) and an id for any id."""
    have = [_ID.sub("<id>", line) for line in printed]
    want = [_ID.sub("<id>", line) for line in shown]

    @cache
    def match(i: int, j: int) -> bool:
        if j == len(want):
            return i == len(have)
        if want[j] == "...":
            return match(i, j + 1) or (i < len(have) and match(i + 1, j))
        return i < len(have) and have[i] == want[j] and match(i + 1, j + 1)

    return match(0, 0)


def table(header: str) -> list[list[str]]:
    """The rows of the README's table whose header line starts with *header*, each a list of
    its cells, stripped (``\\|`` kept as ``|`` within a cell)."""
    lines = README.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
        rows.append([cell.strip().replace("\\|", "|") for cell in cells])
    return rows
