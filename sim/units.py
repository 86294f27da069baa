"""Durations as int nanoseconds: parse ``"200ms"`` and print ``1500000`` as ``"1.5ms"``.

Rules: virtual time is always ``int`` ns; these helpers only translate for humans (scripts, str()).
"""

from __future__ import annotations

import re

from .errors import ConfigError

__all__ = ["format_ns", "parse_ns", "MS", "S", "US"]

US = 1_000
MS = 1_000_000
S = 1_000_000_000

_UNITS = {"ns": 1, "us": US, "ms": MS, "s": S, "m": 60 * S}
_RE = re.compile(r"^([+-]?)(\d+(?:\.\d+)?)(ns|us|ms|s|m)?$")


def parse_ns(text: str | int) -> int:
    """Parse ``"200ms"``, ``"-2s"``, ``"1.5us"`` or a bare int (ns). Raises ConfigError."""
    if isinstance(text, int):
        return text
    m = _RE.match(text.strip())
    if not m:
        raise ConfigError(f"not a duration: {text!r} (use e.g. 200ms, 5s, 10us, 7ns)")
    sign, num, unit = m.groups()
    mult = _UNITS[unit or "ns"]
    if "." in num:
        whole, frac = num.split(".")
        value = int(whole) * mult + int(frac.ljust(18, "0")[:18]) * mult // 10**18
    else:
        value = int(num) * mult
    return -value if sign == "-" else value


def format_ns(ns: int) -> str:
    """Render int ns compactly and exactly: 0 -> "0s", 1500000 -> "1.5ms", 7 -> "7ns"."""
    if ns == 0:
        return "0s"
    sign = "-" if ns < 0 else ""
    a = abs(ns)
    for unit, mult in (("s", S), ("ms", MS), ("us", US)):
        if a >= mult:
            whole, rest = divmod(a, mult)
            if rest == 0:
                return f"{sign}{whole}{unit}"
            frac = str(rest).rjust(len(str(mult)) - 1, "0").rstrip("0")
            return f"{sign}{whole}.{frac}{unit}"
    return f"{sign}{a}ns"
