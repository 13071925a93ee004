"""Safe YAML loading that keeps the line and column of every value.

Inputs are hostile. This module parses with libyaml's safe composer (falling back to the pure
Python one), then builds plain Python values itself so that it can:

* reject duplicate keys at any depth, and any tag outside YAML's core safe set
  (``!!python/object`` and friends never reach a constructor);
* bound the work an alias can cause (alias bombs), the nesting depth and the file size;
* reject invalid UTF-8 and NUL bytes before the parser sees them;
* record where every value came from, keyed by its path (``("answers", "x", "value")``), so
  that later validation errors can name ``file:line:col``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError, Problem

try:  # libyaml is much faster; the pure-Python loader behaves the same.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 50
MAX_NODES = 200_000

_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"
_SCALAR_TAGS = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp",
    _STR,
}
from yaml.constructor import SafeConstructor

_constructor = SafeConstructor()

Path_ = tuple  # a path into a document: keys and list indexes


@dataclass
class Document:
    """A parsed YAML file: its data, and where each value of it stands in the file."""

    file: str
    data: Any
    positions: dict[tuple, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[tuple, tuple[int, int]] = field(default_factory=dict)
    sha256: str = ""

    def where(self, path: tuple, key: bool = False) -> tuple[int | None, int | None]:
        """Line and column (1-based) of the value at ``path`` (or of its key), or of its
        nearest ancestor."""
        path = tuple(path)
        if key and path in self.key_positions:
            return self.key_positions[path]
        while True:
            if path in self.positions:
                return self.positions[path]
            if not path:
                return (None, None)
            path = path[:-1]

    def problem(self, path: tuple, message: str, key: bool = False) -> Problem:
        line, col = self.where(path, key)
        return Problem(self.file, message, line, col)

    def error(self, path: tuple, message: str, key: bool = False) -> InputError:
        return InputError(self.problem(path, message, key))


def read_bytes(path: str | os.PathLike, max_bytes: int = MAX_BYTES) -> bytes:
    """Read an input file with the checks every input gets; never follows into a directory."""
    p = Path(path)
    name = str(path)
    if not p.exists():
        raise InputError.at(name, "no such file")
    if p.is_dir():
        raise InputError.at(name, "is a directory, not a YAML file")
    try:
        size = p.stat().st_size
        if size > max_bytes:
            raise InputError.at(name, f"file is {size:,} bytes; the limit is {max_bytes:,} bytes")
        with open(p, "rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputError.at(name, f"cannot read file: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:
        raise InputError.at(name, f"file is over the size limit of {max_bytes:,} bytes")
    return raw


def decode(raw: bytes, name: str) -> str:
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise InputError.at(name, "file contains a NUL byte; is it a binary file?", line)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError.at(name, f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})", line, col) from None
    return text.removeprefix("\ufeff")


def load_file(path: str | os.PathLike, *, max_bytes: int = MAX_BYTES) -> Document:
    import hashlib

    raw = read_bytes(path, max_bytes)
    doc = load_text(decode(raw, str(path)), str(path))
    doc.sha256 = hashlib.sha256(raw).hexdigest()
    return doc


def load_text(text: str, name: str = "<string>") -> Document:
    """Parse one YAML document into plain values plus positions; raise InputError on any fault."""
    _check_depth(text, name)
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            msg = f"{exc.problem} ({exc.context})"
        raise InputError.at(name, f"YAML syntax error: {msg}",
                            mark.line + 1 if mark else None, mark.column + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise InputError.at(name, f"YAML error: {exc}") from None
    except RecursionError:
        raise InputError.at(name, f"document is nested too deeply (limit {MAX_DEPTH})") from None
    if node is None:
        raise InputError.at(name, "file is empty; expected a YAML mapping")
    doc = Document(name, None)
    builder = _Builder(doc)
    doc.data = builder.build(node, (), 0)
    return doc


def _check_depth(text: str, name: str) -> None:
    """Refuse deep nesting before libyaml's recursive composer can overflow the C stack.

    Each level of nesting needs one of ``[ { - : ?``; when a document has few of them it cannot
    be deep, so the common case costs five ``str.count`` calls. Otherwise an event scan (which
    is iterative) measures the real depth.
    """
    if sum(text.count(c) for c in "[{-:?") <= 2_000:
        return
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    m = event.start_mark
                    raise InputError.at(name, f"document is nested more than {MAX_DEPTH} levels deep",
                                        m.line + 1, m.column + 1)
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
    except yaml.YAMLError:
        return  # the real parse reports syntax errors with their position


class _Builder:
    def __init__(self, doc: Document):
        self.doc = doc
        self.nodes = 0

    def fail(self, node: yaml.Node, message: str) -> InputError:
        m = node.start_mark
        return InputError.at(self.doc.file, message, m.line + 1, m.column + 1)

    def build(self, node: yaml.Node, path: tuple, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(node, f"document expands to more than {MAX_NODES:,} values "
                                  "(an alias bomb?); refusing to read it")
        if depth > MAX_DEPTH:
            raise self.fail(node, f"document is nested more than {MAX_DEPTH} levels deep")
        self.doc.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.ScalarNode):
            if node.tag not in _SCALAR_TAGS:
                raise self.fail(node, f"tag {node.tag!r} is not allowed; only plain YAML values are read")
            if node.tag == _STR:
                return node.value
            try:
                return _constructor.yaml_constructors[node.tag](_constructor, node)
            except (ValueError, yaml.YAMLError) as exc:
                raise self.fail(node, f"cannot read value {node.value!r}: {exc}") from None
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _SEQ:
                raise self.fail(node, f"tag {node.tag!r} is not allowed; only plain YAML values are read")
            return [self.build(child, path + (i,), depth + 1) for i, child in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            if node.tag != _MAP:
                raise self.fail(node, f"tag {node.tag!r} is not allowed; only plain YAML values are read")
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _MERGE:
                    raise self.fail(key_node, "merge keys ('<<') are not supported; write the keys out")
                if not isinstance(key_node, yaml.ScalarNode):
                    raise self.fail(key_node, "mapping keys must be plain scalars")
                key = self.build(key_node, path + ("<key>",), depth + 1)
                if not isinstance(key, (str, int)) or isinstance(key, bool):
                    key = key_node.value
                if key in out:
                    first = self.doc.key_positions.get(path + (key,), (None, None))[0]
                    raise self.fail(key_node, f"duplicate key {key!r} (first defined on line {first})")
                self.doc.key_positions[path + (key,)] = (key_node.start_mark.line + 1,
                                                         key_node.start_mark.column + 1)
                out[key] = self.build(value_node, path + (key,), depth + 1)
            self.doc.positions.pop(path + ("<key>",), None)
            return out
        raise self.fail(node, "unsupported YAML node")  # pragma: no cover
