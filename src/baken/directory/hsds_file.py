"""Reading and writing a directory file: a JSON array of HSDS 3.0 ``service`` objects.

A file is accepted whole or refused whole: the first problem found names the item (its index
and id) and the field path, and nothing of the file is used. The file's size is checked before
it is parsed, so a huge file costs no memory.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from pydantic import ValidationError

from baken.directory.hsds import Service
from baken.directory.model import DirectoryService, NotBaken, from_hsds

# 10,000 services of our synthetic generator take about 30 MB as we write them (indented);
# 40 MiB (41,943,040 bytes) leaves room and still refuses a 50 MB file before reading it.
MAX_FILE_BYTES = 40 * 1024 * 1024


class Refused(ValueError):
    """The whole file is refused; the message names the item and the field."""


@dataclass(frozen=True, slots=True)
class Item:
    """One accepted service: Baken's view and the HSDS JSON exactly as the file had it."""

    service: DirectoryService
    hsds: dict[str, Any]


def _path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(item)"


def _where(index: int, raw: Any) -> str:
    ident = raw.get("id") if isinstance(raw, dict) else None
    return f"item {index} (id {ident!r})" if isinstance(ident, str) else f"item {index}"


def parse(data: bytes) -> list[Item]:
    """The services of a file's bytes, or Refused."""
    if len(data) > MAX_FILE_BYTES:
        raise Refused(f"the file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise Refused(f"not JSON: {error}") from None
    if not isinstance(document, list):
        raise Refused("the file must be a JSON array of HSDS service objects")
    items: list[Item] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(document):
        where = _where(index, raw)
        if not isinstance(raw, dict):
            raise Refused(f"{where}: must be an object (an HSDS service)")
        try:
            Service.model_validate(raw)
        except ValidationError as error:
            first = error.errors()[0]
            raise Refused(f"{where}, field {_path(first['loc'])}: {first['msg']}") from None
        try:
            service = from_hsds(raw)
        except NotBaken as error:
            raise Refused(f"{where}, field {error.path}: {error}") from None
        if service.id in seen:
            raise Refused(f"{where}, field id: duplicate id, also item {seen[service.id]}")
        seen[service.id] = index
        items.append(Item(service, raw))
    return items


def read(path: Path) -> list[Item]:
    """The services of a file, or Refused; the size is checked before reading."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise Refused(f"{path}: no such file") from None
    if size > MAX_FILE_BYTES:
        raise Refused(
            f"{path}: {size} bytes is larger than the limit of "
            f"{MAX_FILE_BYTES // (1024 * 1024)} MiB ({MAX_FILE_BYTES} bytes)"
        )
    return parse(path.read_bytes())


def dump(services: Sequence[dict[str, Any]]) -> bytes:
    """A directory file: the HSDS JSON array, two-space indented, ending in a newline."""
    return orjson.dumps(list(services), option=orjson.OPT_INDENT_2) + b"\n"
