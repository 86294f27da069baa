"""sim.trace.iter_records decodes lines in batches; what it yields, and where it stops, must be what a reader
of one line at a time gives: the same records, then the same TraceError at the same line."""

from __future__ import annotations

import json

from hypothesis import given, settings, strategies as st

from sim.trace import TraceError, iter_records


def _one_at_a_time(lines: list[str], kinds: set[str] | None) -> tuple[list, tuple[int, str] | None]:
    """The reader's contract, naively: every non-blank line is parsed (as json.loads sees it)."""
    out = []
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        text = line.strip()
        if kinds is not None and text[0] == "{" and text[-1] == "}" \
                and not any(f'"kind":"{k}"' in line.replace('": "', '":"') for k in kinds):
            continue
        try:
            rec = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            return out, (lineno, "not JSON")
        if not isinstance(rec, dict) or not isinstance(rec.get("kind"), str) or type(rec.get("t")) is not int:
            return out, (lineno, "needs int 't'")
        if kinds is None or rec["kind"] in kinds:
            out.append((lineno, rec))
    return out, None


def _batched(lines: list[str], kinds: set[str] | None) -> tuple[list, tuple[int, str] | None]:
    out = []
    try:
        for item in iter_records(lines, kinds):
            out.append(item)
    except TraceError as e:
        return out, (e.lineno, "not JSON" if "not JSON" in str(e) else "needs int 't'")
    return out, None


_GOOD = ['{"kind":"apply","t":%d}\n', '{"kind":"commit","t":%d}\n', '{"kind": "send", "t": %d}\n']
_BAD = ['{"kind":"apply","t":\n', '{"kind":"apply"}\n', "[1,2]\n", '{"kind":"apply","t":1},{"kind":"x","t":2}\n',
        "\xa0{\"kind\":\"apply\",\"t\":1}\n", "\n", "   \n", '{"kind":"commit","t":"1"}\n', "{\n", "]\n"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_GOOD).map(lambda f: f % 5), st.sampled_from(_BAD)), max_size=40),
       st.integers(0, 1200), st.sampled_from([None, {"apply"}, {"commit", "send"}]))
def test_batched_reader_yields_and_stops_as_one_line_at_a_time(tail: list[str], lead: int, kinds) -> None:
    lines = [_GOOD[i % 3] % i for i in range(lead)] + tail  # lead: the bad lines land in any batch, any place
    assert _batched(lines, kinds) == _one_at_a_time(lines, kinds)
