"""Raft peer messages as JSON and as a compact binary batch (the real transport's payload; no pickle).

Rules: ``encode(msg)`` gives a JSON-able dict ``{"t": <class name>, <field>: value, ...}``; bytes are
hex, entries ``[index, term, type, data-hex]``, a snapshot a dict. ``decode`` accepts only the message
types of ``kvraft/raft/messages.py`` and checks every field's type: anything else raises
``CodecError`` (a bad peer message is data: the transport drops it and logs why).

``encode_batch(msgs)`` is one frame's payload: ``BATCH`` (a byte no JSON text starts with), then each
message as a type byte and its fields. The hot ones (AppendEntries and its reply, Heartbeat and its
reply) are packed: ids as a length byte and UTF-8, integers as unsigned 64-bit big-endian, bytes as a
4-byte length and the bytes, entries as a 4-byte count and (index, term, type byte, data) each; any other
message is type 0 and its JSON ``encode`` with a 4-byte length. ``decode_batch`` reads that back, checking
as ``decode`` does (truncated, trailing or unknown bytes raise ``CodecError``).
"""

from __future__ import annotations

import dataclasses
import json
import struct
from typing import Any

from .raft.entry import Entry, EntryType, Snapshot
from .raft.messages import (MESSAGE_TYPES, AppendEntries, AppendEntriesReply, Heartbeat,
                            HeartbeatReply)

__all__ = ["BATCH", "CodecError", "decode", "decode_batch", "encode", "encode_batch"]

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


# ---------------------------------------------------------------------- the binary batch
BATCH = b"\x01"
_APP, _APP_REPLY, _HB, _HB_REPLY = 1, 2, 3, 4
_U32 = struct.Struct(">I")
_APP_HEAD = struct.Struct(">QQQQI")  # term, prev_log_index, prev_log_term, commit, entry count
_ENTRY = struct.Struct(">QQBI")  # index, term, type, data length
_APP_REPLY_BODY = struct.Struct(">QQ?QQ")  # term, index, reject, hint_index, hint_term
_HB_HEAD = struct.Struct(">QQI")  # term, commit, ctx length
_HB_REPLY_HEAD = struct.Struct(">QI")  # term, ctx length
_TYPE_CODE = {t: i for i, t in enumerate(EntryType)}
_CODE_TYPE = list(EntryType)


def _ids(out: bytearray, msg: Any) -> bool:
    frm, to = msg.frm.encode(), msg.to.encode()
    if len(frm) > 255 or len(to) > 255:
        return False
    out += bytes((len(frm),)) + frm + bytes((len(to),)) + to
    return True


def encode_batch(msgs: Any) -> bytes:
    """One frame's payload for ``msgs`` (in order)."""
    out = bytearray(BATCH)
    for m in msgs:
        t = type(m)
        mark = len(out)
        if t is AppendEntries:
            out.append(_APP)
            if _ids(out, m):
                out += _APP_HEAD.pack(m.term, m.prev_log_index, m.prev_log_term, m.commit, len(m.entries))
                for e in m.entries:
                    out += _ENTRY.pack(e.index, e.term, _TYPE_CODE[e.type], len(e.data))
                    out += e.data
                continue
        elif t is AppendEntriesReply:
            out.append(_APP_REPLY)
            if _ids(out, m):
                out += _APP_REPLY_BODY.pack(m.term, m.index, m.reject, m.hint_index, m.hint_term)
                continue
        elif t is Heartbeat:
            out.append(_HB)
            if _ids(out, m):
                out += _HB_HEAD.pack(m.term, m.commit, len(m.ctx)) + m.ctx
                continue
        elif t is HeartbeatReply:
            out.append(_HB_REPLY)
            if _ids(out, m):
                out += _HB_REPLY_HEAD.pack(m.term, len(m.ctx)) + m.ctx
                continue
        del out[mark:]
        doc = json.dumps(encode(m), separators=(",", ":")).encode()
        out += b"\x00" + _U32.pack(len(doc)) + doc
    return bytes(out)


def decode_batch(payload: bytes) -> list[Any]:
    """The messages of an ``encode_batch`` payload; raises CodecError on anything malformed."""
    if payload[:1] != BATCH:
        raise CodecError("not a binary batch")
    view = memoryview(payload)
    off, n, out = 1, len(payload), []
    try:
        while off < n:
            code = payload[off]
            off += 1
            if code == 0:
                (size,) = _U32.unpack_from(payload, off)
                off += 4
                if off + size > n:
                    raise CodecError("message cut short")
                try:
                    doc = json.loads(view[off:off + size].tobytes())
                except ValueError:
                    raise CodecError("message is not JSON") from None
                off += size
                out.append(decode(doc))
                continue
            if code not in (_APP, _APP_REPLY, _HB, _HB_REPLY):
                raise CodecError(f"unknown message code {code}")
            ln = payload[off]
            frm = view[off + 1:off + 1 + ln].tobytes().decode()
            off += 1 + ln
            ln = payload[off]
            to = view[off + 1:off + 1 + ln].tobytes().decode()
            off += 1 + ln
            if off > n:
                raise CodecError("ids cut short")
            if code == _APP:
                term, prev_index, prev_term, commit, count = _APP_HEAD.unpack_from(payload, off)
                off += _APP_HEAD.size
                if count > n:
                    raise CodecError("entries: absurd count")
                entries = []
                for _ in range(count):
                    index, eterm, etype, size = _ENTRY.unpack_from(payload, off)
                    off += _ENTRY.size
                    if etype >= len(_CODE_TYPE) or off + size > n:
                        raise CodecError("entries: bad entry")
                    entries.append(Entry(index=index, term=eterm, type=_CODE_TYPE[etype],
                                         data=view[off:off + size].tobytes()))
                    off += size
                out.append(AppendEntries(frm=frm, to=to, term=term, prev_log_index=prev_index,
                                         prev_log_term=prev_term, entries=tuple(entries), commit=commit))
            elif code == _APP_REPLY:
                term, index, reject, hint_index, hint_term = _APP_REPLY_BODY.unpack_from(payload, off)
                off += _APP_REPLY_BODY.size
                out.append(AppendEntriesReply(frm=frm, to=to, term=term, index=index, reject=reject,
                                              hint_index=hint_index, hint_term=hint_term))
            else:
                if code == _HB:
                    term, commit, size = _HB_HEAD.unpack_from(payload, off)
                    off += _HB_HEAD.size
                else:
                    term, size = _HB_REPLY_HEAD.unpack_from(payload, off)
                    off += _HB_REPLY_HEAD.size
                if off + size > n:
                    raise CodecError("ctx cut short")
                ctx = view[off:off + size].tobytes()
                off += size
                out.append(Heartbeat(frm=frm, to=to, term=term, commit=commit, ctx=ctx) if code == _HB
                           else HeartbeatReply(frm=frm, to=to, term=term, ctx=ctx))
    except (struct.error, IndexError, UnicodeDecodeError):
        raise CodecError("batch cut short or malformed") from None
    return out
