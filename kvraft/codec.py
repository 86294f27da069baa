"""Raft peer messages as JSON (the real transport's payload; no pickle).

Rules: ``encode(msg)`` gives a JSON-able dict ``{"t": <class name>, <field>: value, ...}``; bytes are
hex, entries ``[index, term, type, data-hex]``, a snapshot a dict. ``decode`` accepts only the message
types of ``kvraft/raft/messages.py`` and checks every field's type: anything else raises
``CodecError`` (a bad peer message is data: the transport drops it and logs why).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .raft.entry import Entry, EntryType, Snapshot
from .raft.messages import MESSAGE_TYPES

__all__ = ["CodecError", "encode", "decode"]

_TYPES = {cls.__name__: cls for cls in MESSAGE_TYPES}
_FIELDS = {cls.__name__: {f.name: f.type for f in dataclasses.fields(cls)} for cls in MESSAGE_TYPES}
_TYPE_OF = {e.value: e for e in EntryType}


class CodecError(ValueError):
    """A peer message that is not one of ours."""


def _enc_entries(entries: tuple[Entry, ...]) -> list[list[Any]]:
    return [[e.index, e.term, e.type.value, e.data.hex()] for e in entries]


def encode(msg: Any) -> dict[str, Any]:
    name = type(msg).__name__
    if name not in _TYPES:
        raise CodecError(f"not a raft message: {name}")
    out: dict[str, Any] = {"t": name}
    for f in _FIELDS[name]:
        v = getattr(msg, f)
        if f == "entries":
            v = _enc_entries(v)
        elif f == "snapshot":
            v = {"index": v.index, "term": v.term, "voters": list(v.voters), "learners": list(v.learners),
                 "data": v.data.hex()}
        elif isinstance(v, bytes):
            v = v.hex()
        out[f] = v
    return out


def _int(v: Any, what: str) -> int:
    if type(v) is not int or v < 0:
        raise CodecError(f"{what}: not a non-negative integer")
    return v


def _str_list(v: Any, what: str) -> tuple[str, ...]:
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise CodecError(f"{what}: not a list of strings")
    return tuple(v)


def _hex(v: Any, what: str) -> bytes:
    try:
        return bytes.fromhex(v)
    except (TypeError, ValueError):
        raise CodecError(f"{what}: not hex") from None


def _dec_entries(v: Any) -> tuple[Entry, ...]:
    if not isinstance(v, list):
        raise CodecError("entries: not a list")
    out = []
    for e in v:
        if not (isinstance(e, list) and len(e) == 4 and e[2] in _TYPE_OF):
            raise CodecError("entries: bad entry")
        out.append(Entry(index=_int(e[0], "index"), term=_int(e[1], "term"), type=_TYPE_OF[e[2]],
                         data=_hex(e[3], "data")))
    return tuple(out)


def decode(doc: Any) -> Any:
    """The message ``doc`` encodes; raises CodecError if it is not a well-formed raft message."""
    if not isinstance(doc, dict) or doc.get("t") not in _TYPES:
        raise CodecError("unknown message type")
    name = doc["t"]
    kw: dict[str, Any] = {}
    for f, ann in _FIELDS[name].items():
        if f not in doc:
            continue  # the dataclass default, or a TypeError below for a required field
        v = doc[f]
        if f == "entries":
            v = _dec_entries(v)
        elif f == "snapshot":
            if not isinstance(v, dict):
                raise CodecError("snapshot: not an object")
            v = Snapshot(index=_int(v.get("index"), "index"), term=_int(v.get("term"), "term"),
                         voters=_str_list(v.get("voters"), "voters"), learners=_str_list(v.get("learners", []), "learners"),
                         data=_hex(v.get("data"), "data"))
        elif ann == "bytes":
            v = _hex(v, f)
        elif ann == "bool":
            if type(v) is not bool:
                raise CodecError(f"{f}: not a boolean")
        elif ann == "int":
            v = _int(v, f)
        elif ann == "str":
            if not isinstance(v, str):
                raise CodecError(f"{f}: not a string")
        kw[f] = v
    try:
        return _TYPES[name](**kw)
    except TypeError as e:
        raise CodecError(f"{name}: {e}") from None
