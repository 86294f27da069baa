"""Pure parts of the real server: the peer message codec and the etcd settings table."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kvraft.codec import BATCH, CodecError, decode, decode_batch, encode, encode_batch
from kvraft.etcdconf import ConfError, cluster_id, member_id, parse_args
from kvraft.raft.entry import Entry, EntryType, Snapshot
from kvraft.raft.messages import (AppendEntries, AppendEntriesReply, Heartbeat, HeartbeatReply, InstallSnapshot,
                                  Propose, RequestVote)

ids = st.sampled_from(["8e9e05c52164694d", "a", "b"])
nat = st.integers(0, 2**63)
entries = st.lists(st.builds(Entry, index=nat, term=nat, type=st.sampled_from(list(EntryType)), data=st.binary(max_size=40)),
                   max_size=5).map(tuple)
messages = st.one_of(
    st.builds(RequestVote, frm=ids, to=ids, term=nat, last_log_index=nat, last_log_term=nat, pre_vote=st.booleans()),
    st.builds(AppendEntries, frm=ids, to=ids, term=nat, prev_log_index=nat, prev_log_term=nat, entries=entries, commit=nat),
    st.builds(Heartbeat, frm=ids, to=ids, term=nat, commit=nat, ctx=st.binary(max_size=20)),
    st.builds(Propose, frm=ids, to=ids, term=nat, entries=entries),
    st.builds(InstallSnapshot, frm=ids, to=ids, term=nat,
              snapshot=st.builds(Snapshot, index=nat, term=nat, voters=st.lists(ids, max_size=3).map(tuple),
                                 data=st.binary(max_size=40))),
)

batch_messages = st.one_of(
    messages,
    st.builds(AppendEntriesReply, frm=ids, to=ids, term=nat, index=nat, reject=st.booleans(), hint_index=nat,
              hint_term=nat),
    st.builds(HeartbeatReply, frm=ids, to=ids, term=nat, ctx=st.binary(max_size=20)),
    st.builds(Heartbeat, frm=st.text(max_size=300), to=ids, term=nat),  # an id too long to pack: sent as JSON
)


@settings(max_examples=200, deadline=None)
@given(st.lists(batch_messages, max_size=6))
def test_binary_batches_round_trip_and_every_cut_is_refused_or_a_prefix(msgs) -> None:
    payload = encode_batch(msgs)
    assert decode_batch(payload) == msgs
    for cut in range(1, len(payload)):
        try:
            got = decode_batch(payload[:cut])
        except CodecError:
            continue
        assert got == msgs[:len(got)]  # cut exactly between two messages


@pytest.mark.parametrize("payload", [b"", b"[]", BATCH + b"\x09", BATCH + b"\x00\x00\x00\x00\x02{}",
                                     BATCH + b"\x00\x00\x00\x00\x05junk!",
                                     BATCH + b"\x01\x01a\x01b" + bytes(32) + b"\x00\x00\x00\x01" + bytes(16) + b"\x07"
                                     + bytes(4),  # an entry of type 7
                                     BATCH + b"\x03\x01a\x02\xff\xfe" + bytes(20)])  # an id not UTF-8
def test_binary_batches_refuse_what_is_malformed(payload) -> None:
    with pytest.raises(CodecError):
        decode_batch(payload)


@settings(max_examples=200, deadline=None)
@given(messages)
def test_codec_round_trips_every_message(msg) -> None:
    import json
    assert decode(json.loads(json.dumps(encode(msg)))) == msg


@pytest.mark.parametrize("doc", [None, {}, {"t": "Pickle"}, {"t": "Heartbeat", "frm": "a", "to": "b", "term": -1},
                                 {"t": "Heartbeat", "frm": "a", "to": "b", "term": 1, "ctx": "zz"},
                                 {"t": "AppendEntries", "frm": "a", "to": "b", "term": 1, "prev_log_index": 0,
                                  "prev_log_term": 0, "entries": [[1, 1, "evil", ""]]},
                                 {"t": "RequestVote", "frm": "a", "to": "b", "term": 1}])
def test_codec_refuses_what_is_not_a_well_formed_message(doc) -> None:
    with pytest.raises(CodecError):
        decode(doc)


def test_ids_are_etcds() -> None:
    # etcd's defaults: member 8e9e05c52164694d, cluster cdf818194e3a8c32
    m = member_id(["http://localhost:2380"], "etcd-cluster")
    assert f"{m:x}" == "8e9e05c52164694d" and f"{cluster_id([m]):x}" == "cdf818194e3a8c32"


def test_flags_override_env_and_a_config_file_replaces_both(tmp_path: Path) -> None:
    env = {"ETCD_NAME": "e", "ETCD_INITIAL_ADVERTISE_PEER_URLS": "http://127.0.0.1:2", "ETCD_SNAPSHOT_COUNT": "5"}
    c = parse_args(["--snapshot-count=7", "-heartbeat-interval", "10", "--force-new-cluster"], env)
    assert (c.name, c.snapshot_count, c.heartbeat_ms, c.force_new_cluster) == ("e", 7, 10, True)
    assert c.initial_cluster == {"e": c.initial_advertise_peer_urls}
    y = tmp_path / "c.yml"
    y.write_text("name: y\ndata-dir: /tmp/y\nsnapshot-count: 9\ninitial-advertise-peer-urls: http://127.0.0.1:3\n"
                 "initial-cluster: y=http://127.0.0.1:3\nclient-transport-security:\n  client-cert-auth: true\n")
    c = parse_args(["--config-file", str(y)], env)
    assert (c.name, str(c.data_dir), c.snapshot_count, c.tls["client-cert-auth"]) == ("y", "/tmp/y", 9, True)


@pytest.mark.parametrize("argv", [["--nope"], ["--listen-client-urls", "ftp://x:1"], ["--listen-client-urls", "http://x"],
                                  ["--election-timeout", "10"], ["--name"], ["--initial-cluster", "a=http://1.2.3.4:5"],
                                  ["--force-new-cluster=maybe"], ["stray"]])
def test_bad_settings_are_one_line_errors(argv) -> None:
    with pytest.raises(ConfError) as e:
        parse_args(argv, {})
    assert "\n" not in str(e.value)
