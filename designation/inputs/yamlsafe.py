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

import datetime as dt
import math
import os
import re
import stat
import sys
from dataclasses import dataclass
from typing import Any, Optional

import yaml

from ..errors import InputError, Problem

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
_SCALARS = {tag: getattr(_constructor, fn.__name__) for tag, fn in SafeConstructor.yaml_constructors.items()
            if tag in _SCALAR_TAGS and tag != _STR}
_Scalar, _Mapping, _Sequence = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode

# PyYAML's implicit resolvers by first character ('' for an empty scalar), with the wildcard ones
# (none in the safe loader today) after each list, as ``Resolver.resolve`` tries them.
_WILDCARD = tuple(_Loader.yaml_implicit_resolvers.get(None, ()))
_IMPLICIT = {first: tuple(rs) + _WILDCARD for first, rs in _Loader.yaml_implicit_resolvers.items()
             if first is not None}


class _FastLoader(_Loader):  # type: ignore[misc, valid-type]
    """The safe loader, with the tag resolver libyaml's composer calls for every node made lean.

    PyYAML's ``resolve`` walks path resolvers (the safe loader has none) and concatenates two
    lists, and is bracketed by two more calls per node: a sixth of the time spent composing a
    submission. This gives the same tag from the same table (a test compares the two on
    generated scalars), so every later check (numbers, tags, duplicates) sees what it saw."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is _Scalar:
            if implicit[0]:
                for tag, regexp in _IMPLICIT.get(value[:1], _WILDCARD):
                    if regexp.match(value):
                        return tag
            return _STR
        return _SEQ if kind is _Sequence else _MAP

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:  # no path resolvers
        pass

    def ascend_resolver(self) -> None:
        pass



@dataclass
class Document:
    """A parsed YAML file: its data, and where each value of it stands in the file."""

    file: str
    data: Any
    root: Any = None          # the composed node tree; positions are worked out from it on demand
    sha256: str = ""
    _positions: Optional[dict] = None
    _key_positions: Optional[dict] = None

    @property
    def positions(self) -> dict[tuple, tuple[int, int]]:
        if self._positions is None:
            self._index()
        return self._positions  # type: ignore[return-value]

    @property
    def key_positions(self) -> dict[tuple, tuple[int, int]]:
        if self._key_positions is None:
            self._index()
        return self._key_positions  # type: ignore[return-value]

    def _index(self) -> None:
        """Record where every value stands. Only errors need this, so it is done lazily: valid
        files (the common case) never pay for it."""
        pos: dict[tuple, tuple[int, int]] = {}
        keys: dict[tuple, tuple[int, int]] = {}
        stack = [(self.root, ())] if self.root is not None else []
        seen = 0
        while stack:
            node, path = stack.pop()
            seen += 1
            if seen > MAX_NODES:
                break
            pos.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
            if isinstance(node, yaml.SequenceNode):
                stack += [(child, path + (i,)) for i, child in enumerate(node.value)]
            elif isinstance(node, yaml.MappingNode):
                for k, v in node.value:
                    key = _key_value(k)
                    keys.setdefault(path + (key,), (k.start_mark.line + 1, k.start_mark.column + 1))
                    stack.append((v, path + (key,)))
        self._positions, self._key_positions = pos, keys

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
    """Read an input file with the checks every input gets (size first, so a huge file is
    never read into memory)."""
    name = str(path)
    try:
        # O_NONBLOCK: opening a FIFO named like an input must not wait for a writer (it hung)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        with open(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                kind = "a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode) else (
                    "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "not a regular file")
                if stat.S_ISDIR(st.st_mode):
                    raise IsADirectoryError
                raise InputError.at(name, f"is {kind}; inputs are read only from regular files")
            size = st.st_size
            if size > max_bytes:
                raise InputError.at(name, f"file is {size:,} bytes; the limit is {max_bytes:,} bytes")
            raw = fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise InputError.at(name, "no such file") from None
    except IsADirectoryError:
        raise InputError.at(name, "is a directory, not a YAML file") from None
    except OSError as exc:
        raise InputError.at(name, f"cannot read file: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:
        raise InputError.at(name, f"file is over the size limit of {max_bytes:,} bytes")
    return raw


def _alternating_nuls(head: bytes) -> bool:
    """UTF-16 text without a byte-order mark: every other byte NUL, the others not."""
    a, b = head[0::2], head[1::2]
    return len(head) >= 4 and any(x.count(0) >= 0.8 * len(x) and y.count(0) == 0 for x, y in ((a, b), (b, a)))


def decode(raw: bytes, name: str) -> str:
    """The file's text; InputError if it is not UTF-8 (saying what the stray byte most likely was)."""
    text, problem = decode_lenient(raw, name)
    if problem is not None:
        raise InputError(problem)
    return text


def decode_lenient(raw: bytes, name: str) -> tuple[str, Optional[Problem]]:
    """Like :func:`decode`, except that text with bytes that are not UTF-8 (a file saved as
    Windows-1252 by Word or Excel) is still read, each such byte as U+FFFD, and returned with
    the problem, so that the file's other problems can be reported in the same round. The
    caller must report the problem: such a file is never accepted."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or _alternating_nuls(raw[:64]):
        raise InputError.at(name, "file is saved as UTF-16; save it as UTF-8", 1)
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise InputError.at(name, "file contains a NUL byte; is it a binary file?", line)
    try:
        return raw.decode("utf-8").removeprefix("\ufeff"), None
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        problem = Problem(name, f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x}{_legacy_char(raw[exc.start])}); "
                                "save it as UTF-8", line, col)
    return raw.decode("utf-8", errors="replace").removeprefix("\ufeff"), problem


_CP1252_NAMES = {0x91: "a curly opening quote", 0x92: "a curly apostrophe", 0x93: "a curly opening double quote",
                 0x94: "a curly closing double quote", 0x96: "an en dash", 0x97: "an em dash", 0x85: "an ellipsis",
                 0x80: "a euro sign", 0xA3: "a pound sign", 0xA0: "a non-breaking space", 0x95: "a bullet"}


def _legacy_char(byte: int) -> str:
    """What a stray byte most likely was: files saved by Word or Excel as Windows-1252."""
    import unicodedata

    name = _CP1252_NAMES.get(byte)
    try:
        ch = bytes([byte]).decode("cp1252")
    except UnicodeDecodeError:
        return ""
    if name is None:
        if not ch.isprintable():
            return ""
        name = unicodedata.name(ch, "").lower()
        if not name:
            return ""
    return f", {name} {ch!r} in Windows-1252"


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
        loader = _FastLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            msg = f"{exc.problem} ({exc.context})"
        if "\\t" in msg or (mark and _tab_at(text, mark.line, mark.column)):
            msg += "; a tab is used for indentation or spacing: YAML allows only spaces there"
        raise InputError.at(name, f"YAML syntax error: {msg}",
                            mark.line + 1 if mark else None, mark.column + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise InputError.at(name, f"YAML error: {exc}") from None
    except RecursionError:
        raise InputError.at(name, f"document is nested too deeply (limit {MAX_DEPTH})") from None
    if node is None:
        raise InputError.at(name, "file is empty; expected a YAML mapping")
    doc = Document(name, None, node)
    doc.data = _Builder(doc).build(node, 0)
    return doc


def _tab_at(text: str, line: int, column: int) -> bool:
    """Whether a tab stands at, or just before, a syntax error's position (it usually caused it)."""
    lines = text.split("\n", line + 1)
    if line >= len(lines):
        return False
    row = lines[line]
    return "\t" in row[: column + 1] or (line > 0 and lines[line - 1].lstrip(" ").startswith("\t"))


def _key_value(node: yaml.Node) -> Any:
    """A mapping key as the builder reads it: its text, except that a plain decimal whole number
    is an int (``016``, ``0x2d`` or ``yes`` as a key stay the text written)."""
    value = node.value
    if (isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:int" and len(value) < 100
            and _DECIMAL.match(value)):
        return int(value)
    return value


# -- numbers, read as a person reads them ---------------------------------------------------------
#
# YAML 1.1 (what PyYAML implements) reads 016 as 14 (octal), 1:30 as 90 (base 60), 0x2d as 45 and
# 4_5 as 45. A provider who writes them means something else, so such a value is refused with
# what YAML would have read and what to write instead; only plain decimal numbers are read.
# Quoted values are text and never refused here.

_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_NUMBER_TAGS = frozenset((_INT, _FLOAT))
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\Z")
_PLAIN_NUMBER = re.compile(r"[-+]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+][0-9]+)?\Z")
_DIGITS_SIGNS = frozenset("0123456789+-")
# plain text that reads as a number to a person but not to YAML as one: 08, 09, 0:45, 00:30
_NUMBERISH = re.compile(r"[-+]?(?:0[0-9]+(?:\.[0-9]*)?|[0-9]+(?::[0-9]{1,2})+(?:\.[0-9]*)?)\Z")


def number_problem(text: str) -> str:
    """Why a plain scalar that looks like a number is not read, and what to write instead."""
    shown = text if len(text) <= 40 else text[:40] + "..."
    quote = f"quote it ('{shown}') if it is text such as a code"
    sign = "-" if text.startswith("-") else ""
    body = text.lstrip("+-")
    yaml_value = _yaml_reads(text)
    reads = f" as {yaml_value}" if yaml_value is not None else ""
    if ":" in body:
        counted = f" (YAML 1.1 counts it in sixties and reads {yaml_value})" if yaml_value is not None else ""
        return (f"{shown} looks like a time{counted}; write a number in the question's unit, such as 0.75 for "
                f"45 minutes in hours or 90 for an hour and a half in minutes, or {quote}")
    if body[:2].lower() in ("0x", "0b", "0o"):
        base = {"0x": "hexadecimal", "0b": "binary", "0o": "octal"}[body[:2].lower()]
        return f"{shown} is a {base} number{' (YAML reads it' + reads + ')' if reads else ''}; write it in decimal, or {quote}"
    if "_" in body:
        plain = sign + body.replace("_", "")
        return f"write {plain} without underscores (YAML 1.1 drops them and reads {shown}{reads}), or {quote}"
    if body.lower() in (".inf", ".nan"):
        return f"{shown} is not a finite number; write a number"
    if body.startswith("0") and len(body) > 1 and body[1].isdigit():
        digits = body.split(".")[0].lstrip("0") or "0"
        plain = sign + digits + ("." + body.split(".", 1)[1] if "." in body else "")
        if yaml_value is not None and "." not in body:
            return f"write {plain}; a leading zero makes YAML read {shown} as the octal number {yaml_value}, or {quote}"
        return f"write {plain}; a leading zero makes YAML read numbers as octal (and {shown} as text), or {quote}"
    return f"{shown} is not a plain decimal number; write it as digits, such as 16 or 2.5, or {quote}"


def _yaml_reads(text: str) -> Any:
    if len(text) > 100:
        return None
    try:
        value = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError:
        return None
    return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _check_depth(text: str, name: str) -> None:
    """Refuse deep nesting, and documents with too many values, before composing them.

    libyaml's recursive composer can overflow the C stack on deep nesting, and it builds every
    node of a document (hundreds of bytes each) before the builder can count them, so a file
    just under the size limit made of millions of tiny values took seconds and gigabytes.
    Each level of nesting needs one of ``[ { - : ?`` and each further value one of those or
    ``,``; when a document has few of them it can be neither deep nor large, so the common case
    costs a few ``str.count`` calls. Otherwise an event scan (iterative, and streaming: memory
    stays flat) measures the depth and counts the values as the builder will (keys are not
    counted, aliases once), stopping at the first limit passed.
    """
    if sum(text.count(c) for c in "[{-:?,") <= 2_000:
        return
    nodes = 0
    stack: list[list[bool]] = []   # per open collection: [is a mapping, next node is a key]
    try:
        for event in yaml.parse(text, Loader=_Loader):
            cls = event.__class__
            if cls in _NODE_EVENTS:
                top = stack[-1] if stack else None
                if top is not None and top[0]:
                    is_key, top[1] = top[1], not top[1]
                else:
                    is_key = False
                if not is_key:
                    nodes += 1
                    if nodes > MAX_NODES:
                        m = event.start_mark
                        raise InputError.at(name, f"document has more than {MAX_NODES:,} values; refusing to read it",
                                            m.line + 1, m.column + 1)
                if cls is yaml.SequenceStartEvent or cls is yaml.MappingStartEvent:
                    stack.append([cls is yaml.MappingStartEvent, True])
                    if len(stack) > MAX_DEPTH:
                        m = event.start_mark
                        raise InputError.at(name, f"document is nested more than {MAX_DEPTH} levels deep",
                                            m.line + 1, m.column + 1)
            elif cls is yaml.SequenceEndEvent or cls is yaml.MappingEndEvent:
                stack.pop()
    except yaml.YAMLError:
        return  # the real parse reports syntax errors with their position


# Plain decimal integers and YYYY-MM-DD dates (most of a submission's values): the standard
# library reads them to the same value as PyYAML's constructors, at a fraction of the cost.
_FAST_SCALARS = {_INT: (_DECIMAL, int),
                 "tag:yaml.org,2002:timestamp": (re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z"), dt.date.fromisoformat)}
_NUL_ESCAPE = "text contains a NUL character (written as the \\0 escape); remove it"
_NODE_EVENTS = (yaml.ScalarEvent, yaml.AliasEvent, yaml.SequenceStartEvent, yaml.MappingStartEvent)


class _Builder:
    def __init__(self, doc: Document):
        self.doc = doc
        self.nodes = 0

    def fail(self, node: yaml.Node, message: str) -> InputError:
        m = node.start_mark
        return InputError.at(self.doc.file, message, m.line + 1, m.column + 1)

    def build(self, node: yaml.Node, depth: int) -> Any:
        # Hot path: every value of every file passes here, so it is written for speed.
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(node, f"document expands to more than {MAX_NODES:,} values "
                                  "(an alias bomb?); refusing to read it")
        cls = node.__class__
        tag = node.tag
        if cls is _Scalar:
            if tag == _STR:
                value = node.value
                if not node.style:
                    if value[:1] in _DIGITS_SIGNS and _NUMBERISH.match(value):
                        raise self.fail(node, number_problem(value))   # 08, 0:45: a number a person misreads
                elif node.style == '"' and "\x00" in value:
                    raise self.fail(node, _NUL_ESCAPE)
                return value
            construct = _SCALARS.get(tag)
            if construct is None:
                raise self.fail(node, f"tag {tag!r} is not allowed; only plain YAML values are read")
            if tag in _NUMBER_TAGS and not node.style and not _PLAIN_NUMBER.match(node.value):
                raise self.fail(node, number_problem(node.value))
            try:
                fast = _FAST_SCALARS.get(tag) if not node.style else None
                if fast is not None and fast[0].match(node.value):
                    value = fast[1](node.value)    # the commonest forms, read as PyYAML reads them
                else:
                    value = construct(node)
                if value.__class__ is float and not math.isfinite(value):   # 1.0e+400 is read as infinity
                    raise self.fail(node, f"{node.value[:40]} is too large a number to read; write a finite number")
                return value
            except (ValueError, yaml.YAMLError) as exc:
                shown = node.value if len(node.value) <= 60 else node.value[:40] + "..."  # a 5 MB number stays one line
                if "digits" in str(exc):
                    raise self.fail(node, f"cannot read value {shown!r}: it has {len(node.value):,} digits; numbers of more than "
                                          f"{sys.get_int_max_str_digits():,} digits are not read") from None
                raise self.fail(node, f"cannot read value {shown!r}: {exc}") from None
            except (KeyError, TypeError, AttributeError):   # an explicit tag on text it does not fit: !!bool ''
                shown = node.value if len(node.value) <= 60 else node.value[:40] + "..."
                raise self.fail(node, f"cannot read value {shown!r} as {tag.rsplit(':', 1)[-1]}; "
                                      "write a plain value without a tag") from None
        if depth >= MAX_DEPTH:
            raise self.fail(node, f"document is nested more than {MAX_DEPTH} levels deep")
        depth += 1
        build = self.build
        if cls is _Mapping and tag == _MAP:
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.__class__ is not _Scalar:
                    raise self.fail(key_node, "mapping keys must be plain scalars")
                ktag = key_node.tag
                if ktag == _STR:
                    key = key_node.value
                    if key_node.style == '"' and "\x00" in key:
                        raise self.fail(key_node, _NUL_ESCAPE)
                elif ktag == _MERGE:
                    raise self.fail(key_node, "merge keys ('<<') are not supported; write the keys out")
                elif ktag in _SCALARS:
                    key = _key_value(key_node)
                else:
                    raise self.fail(key_node, f"tag {ktag!r} is not allowed; only plain YAML values are read")
                if key in out:
                    raise self.fail(key_node, f"duplicate key {key!r}" + self._first(node, key_node))
                out[key] = build(value_node, depth)
            return out
        if cls is _Sequence and tag == _SEQ:
            return [build(child, depth) for child in node.value]
        raise self.fail(node, f"tag {tag!r} is not allowed; only plain YAML values are read")

    @staticmethod
    def _first(mapping: yaml.MappingNode, dup: yaml.Node) -> str:
        for k, _ in mapping.value:
            if k is not dup and k.value == dup.value:
                return f" (first defined on line {k.start_mark.line + 1})"
        return ""
