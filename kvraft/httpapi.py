# Over 400 lines: one aiohttp application, every etcd v2 route beside the others; /v2/members is the next to split out.
"""The client HTTP API (aiohttp): etcd v2's /v2/keys, /v2/members, /v2/machines, /v2/stats, /health, /version.

Rules:
- ``/v2/keys`` is answered by the very code the simulator runs: ``kvraft.store.parse_request`` validates
  (a bad request is answered here, as etcd would), then the request goes to the ``Member`` as the
  ``ClientRequest`` a simulated client sends, and its ``ClientReply`` becomes the HTTP answer
  (status, headers and body as they are, plus ``X-Etcd-Cluster-Id``).
- Writes carry a (client id, seq) from a pool of per-process client slots: one write in flight per slot,
  so the store's per-client de-duplication stays bounded and never refuses an older seq.
- With the hidden ``--unsafe-client-ids`` (the live test harness only; etcd's v2 API has no request ids), a
  write may name its own (client id, seq) in ``X-Raftsim-Client-Id`` / ``X-Raftsim-Seq``, as a simulated
  client's ``ClientRequest`` does: a client that retries a timed-out write with the same pair has it applied
  once (the store's de-duplication, or bug B10's lack of it). A malformed pair is a 400, one line.
- "No leader known" answers are retried inside the request timeout, then 500 / error 300 as etcd's.
- Watches stream: as etcd, a watch that has to wait sends its head (status and headers, chunked) at once,
  then the event (long poll: one, then the end; ``stream=true``: each as it comes); a watch answered at once
  (an event already in the history, an error) is a plain response. A client that goes away cancels its
  watcher.
- Membership changes go to the leader: a follower forwards ``POST/DELETE/PUT /v2/members`` to the
  leader's client URL (as etcd forwards proposals), and relays the answer.
- Form bodies over 10 MB get etcd's 400 / error 210 "http: POST too large"; nothing here answers a traceback.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import ssl
import time
from typing import TYPE_CHECKING, Any

from aiohttp import ClientSession, ClientTimeout, web
from aiohttp.client_exceptions import ClientError

from .api import STATUS_RETRY, ClientReply, ClientRequest
from .leanhttp import LeanConnection
from .etcdconf import CLUSTER_VERSION, ETCD_VERSION, Url, member_id, parse_urls
from .cluster import encode_attrs, encode_update
from .member import TIMED_OUT
from .stats import FollowerStats, go_duration, self_rates
from .raft.entry import ConfChange, ConfChangeType
from .store.expiry import EPOCH_UNIX_NS
from .store.errors import INVALID_FORM, EtcdError
from .store.render import render_error
from .store.request import RequestKind, parse_query, parse_request

if TYPE_CHECKING:
    from .daemon import Daemon

__all__ = ["HttpApi"]

log = logging.getLogger("kvraft.http")

JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
CORS = {"Access-Control-Allow-Headers": "accept, content-type, authorization",
        "Access-Control-Allow-Methods": "POST, GET, OPTIONS, PUT, DELETE", "Access-Control-Allow-Origin": "*"}
FORM = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 10 << 20


def _json(status: int, doc: Any, headers: dict[str, str] | None = None) -> web.Response:
    body = json.dumps(doc, separators=(",", ":")).encode() if doc is not None else b""
    return web.Response(status=status, body=body, headers={**CORS, "Content-Type": JSON, **(headers or {})})


class _Head:
    """The head of a watch that waits (``Member.on_watch_waiting``), delivered to the request's endpoint."""

    __slots__ = ("resp",)

    def __init__(self, resp: Any) -> None:
        self.resp = resp


class HttpApi:
    """The client listeners of one Daemon."""

    def __init__(self, daemon: "Daemon") -> None:
        self.d = daemon
        self.runners: list[web.AppRunner] = []
        self.servers: list[asyncio.AbstractServer] = []
        self.max_form_bytes = MAX_FORM_BYTES
        self._rid = itertools.count(1)
        self._slots: list[list[Any]] = []  # free write slots: [client_id, last seq]
        self._nslots = 0
        self._boot = f"{daemon.id}/{daemon.runtime.now() if daemon.runtime else 0}"
        self._session: ClientSession | None = None
        if daemon.member is not None and daemon.runtime is not None:
            rt = daemon.runtime
            daemon.member.on_watch_waiting = lambda src, rid, head: rt.send(src, _Head(head))
        # Go's ParseForm reads at most 10 MB of form body (etcd's v2 API has no other limit): above, error 210.
        app = web.Application(client_max_size=MAX_FORM_BYTES, middlewares=[self._guard])
        app.router.add_route("*", "/v2/keys{tail:.*}", self.keys)
        app.router.add_route("*", "/v2/members{tail:.*}", self.members)
        app.router.add_route("*", "/v2/machines", self.machines)
        app.router.add_route("*", "/v2/stats/{what}", self.stats)
        app.router.add_route("*", "/health", self.health)
        app.router.add_route("*", "/version", self.version)
        app.router.add_route("GET", "/metrics", self.metrics)
        app.router.add_route("*", "/{tail:.*}", self.not_found)
        self.app = app

    async def listen(self, url: Url, ctx: ssl.SSLContext | None) -> None:
        """Serve ``url``: each connection starts on the lean path, which hands aiohttp what it does not answer."""
        runner = web.AppRunner(self.app, access_log=None, handler_cancellation=True, shutdown_timeout=1.0)
        await runner.setup()
        aio = runner.server
        assert aio is not None
        loop = asyncio.get_running_loop()
        self.servers.append(await loop.create_server(lambda: LeanConnection(self, aio), url.host, url.port,
                                                     ssl=ctx, backlog=1024))
        self.runners.append(runner)

    async def close(self) -> None:
        for srv in self.servers:
            srv.close()
        if self._session is not None:
            await self._session.close()
        for r in self.runners:
            await r.cleanup()

    @property
    def cid_header(self) -> dict[str, str]:
        return {"X-Etcd-Cluster-Id": self.d.cluster_id}

    @web.middleware
    async def _guard(self, request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            resp = await handler(request)
            if resp.status >= 500 and request.path != "/health":
                log.warning("%s %s answered %d", request.method, request.path, resp.status)
            return resp
        except web.HTTPRequestEntityTooLarge:
            err = render_error(EtcdError(INVALID_FORM, "http: POST too large", 0))
            return web.Response(status=err.status, body=err.body,
                                headers={**CORS, **err.headers, **self.cid_header, "Connection": "close"})
        except web.HTTPException:
            raise
        except (ConnectionError, asyncio.CancelledError):
            raise
        except Exception as e:  # never a traceback to the client: etcd's 500 shape, one log line
            log.warning("%s %s: %s: %s", request.method, request.path, type(e).__name__, e)
            return _json(500, {"message": "internal error"}, self.cid_header)

    # ------------------------------------------------------------------ talking to the member
    def _slot(self) -> list[Any]:
        if self._slots:
            return self._slots.pop()
        self._nslots += 1
        return [f"{self._boot}/{self._nslots}", 0]

    @staticmethod
    def _client_pair(header: Any) -> tuple[str, int] | str | None:
        """The write's own (client id, seq) from the harness's headers (``header(name)``); None if absent; a
        message if bad."""
        cid, seq = header("X-Raftsim-Client-Id"), header("X-Raftsim-Seq")
        if cid is None and seq is None:
            return None
        if not cid or len(cid) > 200 or not cid.startswith("live/") or not (seq or "").isdigit() or int(seq or 0) < 1:
            return "X-Raftsim-Client-Id must be live/<id> (<= 200 chars) and X-Raftsim-Seq an int >= 1"
        return cid, int(seq or 0)

    async def _ask(self, method: str, path: str, params: tuple[tuple[str, str], ...], write: bool,
                   stream_to: web.StreamResponse | None = None, request: web.Request | None = None,
                   pair: tuple[str, int] | None = None) -> Any:
        """Send one keys request to the member; returns the reply (or streams a watch to the client)."""
        rt, m = self.d.runtime, self.d.member
        assert rt is not None and m is not None
        q: asyncio.Queue[ClientReply] = asyncio.Queue()
        ep = rt.open_endpoint(q.put_nowait)
        own = write and pair is not None  # the client's own (id, seq): not a pooled slot
        slot = list(pair) if own else self._slot() if write else ["-", 0]  # type: ignore[arg-type]
        if write and not own:
            slot[1] += 1
        rid = next(self._rid)
        req = ClientRequest(frm=ep, to=rt.node_id, id=rid, client_id=slot[0], seq=slot[1], method=method,
                            path=path, params=params)
        deadline = rt.loop.time() + m.config.request_timeout_ns / 1e9 + 1.0
        try:
            while True:
                rt.deliver(ep, req)
                reply = await q.get()
                if isinstance(reply, _Head):
                    return await self._stream(reply.resp, q, request, stream=stream_to is not None)
                if reply.status != STATUS_RETRY:
                    break
                if rt.loop.time() > deadline:
                    return render_error(TIMED_OUT)
                await asyncio.sleep(0.05)
            if stream_to is None:
                return reply
            resp = await self._stream(reply, q, request, stream=True)
            await resp.write(reply.body)
            return await self._events(resp, q, stream=True)
        finally:
            rt.close_endpoint(ep)
            if write and not own:
                self._slots.append(slot)
            w = m._watches.pop((ep, rid), None)  # a watch the client left: stop it
            if w is not None:
                w.cancel()

    async def _stream(self, head: Any, q: "asyncio.Queue[Any]", request: Any, *, stream: bool) -> web.StreamResponse:
        """Send a watch's head now (chunked); for a head from ``on_watch_waiting``, then its events."""
        hdrs = head.headers.items() if isinstance(head.headers, dict) else head.headers
        resp = web.StreamResponse(status=head.status, headers={**CORS, **dict(hdrs), **self.cid_header})
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        await resp.drain()  # etcd: "Ensure headers are flushed early, in case of long polling"
        if isinstance(head, ClientReply):
            return resp
        return await self._events(resp, q, stream=stream)

    async def _events(self, resp: web.StreamResponse, q: "asyncio.Queue[Any]", *, stream: bool) -> web.StreamResponse:
        while True:
            nxt = await q.get()
            if isinstance(nxt, _Head):
                continue
            await resp.write(nxt.body)
            if not stream:
                await resp.write_eof()
                return resp

    # ------------------------------------------------------------------ /v2/keys
    async def keys(self, request: web.Request) -> web.StreamResponse:
        method = request.method
        raw_q = request.rel_url.raw_query_string
        body = b""
        if method in ("PUT", "POST") and request.content_type == FORM:
            body = await request.read()
        parsed = parse_request(method, request.path, raw_q, body)
        if getattr(parsed, "kind", None) is RequestKind.WATCH:
            got = await self._ask(method, request.path, _params(body, raw_q), False,
                                  stream_to=web.StreamResponse() if parsed.stream else None, request=request)
            if isinstance(got, web.StreamResponse):
                return got
            return web.Response(status=got.status, body=got.body, headers=self._reply_headers(got))
        status, headers, out = await self.answer(method, request.path, raw_q, body, parsed, request.headers.get)
        return web.Response(status=status, body=out, headers=headers)

    async def answer(self, method: str, path: str, raw_q: str, body: bytes, parsed: Any,
                     header: Any) -> tuple[int, dict[str, str], bytes]:
        """A ``/v2/keys`` request that is not a watch: (status, headers, body). aiohttp's route and the lean
        path (``kvraft/leanhttp.py``) both answer with it. ``parsed`` is ``parse_request``'s answer,
        ``header(name)`` a request header or None."""
        if not hasattr(parsed, "kind"):
            return parsed.status, {**CORS, **parsed.headers, **self.cid_header}, parsed.body
        pair = self._client_pair(header) if self.d.cfg.client_ids else None
        if isinstance(pair, str):
            return 400, {**CORS, "Content-Type": JSON, **self.cid_header}, json.dumps({"message": pair}, separators=(",", ":")).encode()
        got = await self._ask(method, path, _params(body, raw_q), parsed.kind is RequestKind.WRITE, pair=pair)
        return got.status, self._reply_headers(got), got.body

    def _reply_headers(self, got: Any) -> dict[str, str]:
        return {**CORS, **dict(got.headers.items() if isinstance(got.headers, dict) else got.headers), **self.cid_header}

    # ------------------------------------------------------------------ /v2/members
    async def _forward(self, request: web.Request) -> web.Response:
        """Relay a membership change to the leader's client URL; retried (a new leader) within the timeout."""
        m = self.d.member
        assert m is not None
        if self._session is None:
            self._session = ClientSession(timeout=ClientTimeout(total=15))
        body = await request.read()
        end = asyncio.get_running_loop().time() + m.config.request_timeout_ns / 1e9
        while True:
            url = self.d.leader_client_url()
            if m.is_leader:
                return await self.members(request)
            if url is not None:
                try:
                    async with self._session.request(request.method, url + request.path_qs, data=body,
                                                     headers={"Content-Type": request.headers.get("Content-Type", "")}) as r:
                        return web.Response(status=r.status, body=await r.read(),
                                            headers={**CORS, "Content-Type": r.headers.get("Content-Type", JSON),
                                                     **self.cid_header})
                except (ClientError, asyncio.TimeoutError, OSError):
                    pass
            if asyncio.get_running_loop().time() > end:
                return self._timed_out("forward: no leader reachable", self.cid_header)
            await asyncio.sleep(0.1)

    def _applied_here(self) -> Any:
        """A condition: everything in this member's log now (a conf change just proposed) is applied here.
        A configuration is in force once appended, but etcd answers a change once it is committed and applied."""
        m = self.d.member
        assert m is not None and m.server.node is not None
        at = m.server.node.log.last_index
        return lambda: m.server.applied_index >= at

    def _timed_out(self, why: str, h: dict[str, str]) -> web.Response:
        log.warning("members API: %s: answered 500", why)
        return _json(500, {"message": "etcdserver: request timed out"}, h)

    async def _until(self, cond: Any, timeout_s: float) -> bool:
        """Poll ``cond()`` every 20 ms (a conf change is refused while another is pending: retried too)."""
        end = asyncio.get_running_loop().time() + timeout_s
        while not cond():
            if asyncio.get_running_loop().time() > end:
                return False
            await asyncio.sleep(0.02)
        return True

    async def members(self, request: web.Request) -> web.StreamResponse:
        m = self.d.member
        assert m is not None
        tail = request.match_info["tail"].strip("/")
        h = self.cid_header
        if request.method == "GET":
            if tail == "":
                return _json(200, {"members": m.members()}, h)
            if tail == "leader":
                lead = [x for x in m.members() if x["id"] == m.leader_id]
                return _json(200, lead[0], h) if lead else _json(503, {"message": "During election"}, h)
            return web.Response(status=405, text="Method Not Allowed\n", headers={"Allow": "GET,POST"})
        if request.method not in ("POST", "DELETE", "PUT"):
            return web.Response(status=405, text="Method Not Allowed\n", headers={"Allow": "GET,POST,PUT,DELETE"})
        if request.method == "DELETE" and tail == "":
            return web.Response(status=405, text="Method Not Allowed\n", headers={"Allow": "GET,POST"})
        if request.method in ("POST", "PUT"):
            if request.content_type != JSON:
                return _json(415, {"message": f"Bad Content-Type {request.content_type}, accept application/json"}, h)
            raw = await request.read()
            try:
                doc = json.loads(raw)
            except ValueError:
                return _json(400, {"message": _go_json_error(raw)}, h)
            got = doc.get("peerURLs") if isinstance(doc, dict) else None
            if not isinstance(got, list) or not all(isinstance(u, str) for u in got):
                return _json(400, {"message": "json: cannot unmarshal peerURLs"}, h)
            for u in got:
                if not (u.startswith("http://") or u.startswith("https://")):
                    return _json(400, {"message": f"URL scheme must be http, https, unix, or unixs: {u}"}, h)
            try:
                urls = [str(x) for x in parse_urls(",".join(got), "peerURLs")]
            except ValueError:
                return _json(400, {"message": f"URL address does not have the form \"host:port\": {','.join(got)}"}, h)
            used = {u for x in m.members() if x["id"] != tail for u in x["peerURLs"]}
            if used & set(urls):
                return _json(409, {"message": "membership: peerURL exists"}, h)
        timeout = m.config.request_timeout_ns / 1e9
        await self._until(lambda: m.leader_id is not None, timeout)  # an election in progress: wait for it
        if not m.is_leader:
            return await self._forward(request)
        voters = lambda: set(m.server.voters) | set(m.server.learners)  # noqa: E731
        if request.method == "POST" and tail == "":
            now_s = int(self.d.runtime.now() // 1_000_000_000) if self.d.runtime else 0
            mid = f"{member_id(sorted(urls), str(self.d.cfg.initial_cluster_token), now_s):x}"
            if mid in voters():
                return _json(409, {"message": "membership: ID exists"}, h)
            m.server.propose(encode_attrs(mid, name="", peerURLs=sorted(urls), clientURLs=[]))
            add = ConfChange(type=ConfChangeType.ADD_NODE, node_id=mid)
            if not await self._until(lambda: m.server.propose_conf_change(add), timeout) \
                    or not await self._until(self._applied_here(), timeout) \
                    or not await self._until(lambda: mid in voters() and mid in m.attrs, timeout):
                return self._timed_out("add: not committed in time", h)
            return _json(201, {"id": mid, "name": "", "peerURLs": sorted(urls), "clientURLs": []}, h)
        if tail not in voters():
            gone = tail in m.removed or tail in m.attrs  # the table keeps every member ever added
            if gone and request.method == "PUT":
                return _json(500, {"message": "Internal Server Error"}, h)
            if gone:
                return _json(410, {"message": f"Member permanently removed: {tail}"}, h)
            return _json(404, {"message": f"No such member: {tail}"}, h)
        if request.method == "DELETE":
            rm = ConfChange(type=ConfChangeType.REMOVE_NODE, node_id=tail)
            if not await self._until(lambda: m.server.propose_conf_change(rm), timeout) \
                    or not await self._until(self._applied_here(), timeout) \
                    or not await self._until(lambda: tail not in voters(), timeout):
                return self._timed_out("remove: not committed in time", h)
            return web.Response(status=204, headers={**CORS, **h})
        m.server.propose(encode_update(tail, sorted(urls)))
        if not await self._until(lambda: m.attrs.get(tail, {}).get("peerURLs") == sorted(urls), timeout):
            return self._timed_out("update: not committed in time", h)
        return web.Response(status=204, headers={**CORS, **h})

    # ------------------------------------------------------------------ the rest
    async def machines(self, request: web.Request) -> web.Response:
        m = self.d.member
        assert m is not None
        urls = sorted(u for x in m.members() for u in x["clientURLs"])
        return web.Response(text=", ".join(urls), headers={**CORS, "Content-Type": TEXT})

    async def stats(self, request: web.Request) -> web.Response:
        m, d = self.d.member, self.d
        assert m is not None and d.runtime is not None
        what = request.match_info["what"]
        t = d.transport
        if what == "self":
            lead = m.leader_id or ""
            doc = {"name": d.cfg.name, "id": d.id, "state": "StateLeader" if m.is_leader else "StateFollower",
                   "startTime": _rfc3339(d.started_ns),
                   "leaderInfo": {"leader": lead, "uptime": go_duration(d.runtime.now() - d.started_ns),
                                  "startTime": _rfc3339(d.started_ns)}}
            if t is not None:
                # The rates' samples are stamped by the peer links on the monotonic clock: read it the same way.
                doc.update(self_rates(t.recv_rate, t.send_rate, t.recv_append, t.send_append,
                                      time.monotonic_ns()))  # det-ok: real server only
            return _json(200, doc)
        if what == "leader":
            if not m.is_leader:
                return _json(403, {"message": "not current leader"})
            links = t.links if t else {}
            fol = {x: (links[x].stats if x in links else FollowerStats()).as_json()
                   for x in sorted(set(m.server.voters) | set(m.server.learners)) if x != d.id}
            return _json(200, {"leader": d.id, "followers": fol})
        if what == "store":
            return _json(200, m.store.stats.as_json(m.store.watcher_count))
        return web.Response(status=404, text="404 page not found\n", headers={"Content-Type": TEXT})

    async def health(self, request: web.Request) -> web.Response:
        if request.method != "GET":
            return web.Response(status=405, text="Method Not Allowed\n", headers={"Allow": "GET", "Content-Type": TEXT})
        m = self.d.member
        assert m is not None
        ok = False
        if m.leader_id is not None and m.publisher.published:
            fut: asyncio.Future[int] = asyncio.get_running_loop().create_future()
            ctx = f"health/{self._boot}/{next(self._rid)}".encode()
            if m.server.read_index(ctx, lambda i: fut.done() or fut.set_result(i)):
                try:
                    await asyncio.wait_for(fut, 1.0)
                    ok = True
                except asyncio.TimeoutError:
                    pass
        body = b'{"health":"true"}' if ok else b'{"health":"false"}'
        return web.Response(status=200 if ok else 503, body=body, headers={**CORS, "Content-Type": TEXT})

    async def not_found(self, request: web.Request) -> web.Response:
        return web.Response(status=404, body=b"404 page not found\n", headers={"Content-Type": TEXT})

    async def metrics(self, request: web.Request) -> web.Response:
        """A few of etcd's Prometheus metrics, under etcd's names (text format): the WAL's fsyncs."""
        w = self.d.wal
        n, s = (w.fsyncs, w.fsync_s) if w is not None else (0, 0.0)
        name = "etcd_disk_wal_fsync_duration_seconds"
        text = (f"# HELP {name} The latency distributions of fsync called by WAL.\n# TYPE {name} histogram\n"
                f'{name}_bucket{{le="+Inf"}} {n}\n{name}_sum {s}\n{name}_count {n}\n')
        return web.Response(text=text, headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})

    async def version(self, request: web.Request) -> web.Response:
        return _json(200, {"etcdserver": ETCD_VERSION, "etcdcluster": CLUSTER_VERSION})


def _params(body: bytes, raw_q: str) -> tuple[tuple[str, str], ...]:
    """A keys request's parameters as the member takes them: the form body's, then the query's; first value each."""
    form = parse_query(body.decode("utf-8", "surrogateescape")) if body else {}
    for k, v in parse_query(raw_q).items():
        form.setdefault(k, []).extend(v)
    return tuple(sorted((k, v[0]) for k, v in form.items() if v))


def _go_json_error(raw: bytes) -> str:
    """Go's encoding/json message for the usual malformed bodies (H32)."""
    text = raw.decode("utf-8", "replace").lstrip()
    if text.startswith("{"):
        rest = text[1:].lstrip()
        if rest and rest[0] not in "\"}":
            return f"invalid character '{rest[0]}' looking for beginning of object key string"
    if not text:
        return "unexpected end of JSON input"
    return f"invalid character '{text[0]}' looking for beginning of value"


def _rfc3339(ns: int) -> str:
    """A runtime clock reading (ns since the store's EPOCH) as RFC 3339 UTC."""
    import datetime

    ns += EPOCH_UNIX_NS
    dt = datetime.datetime.fromtimestamp(ns // 1_000_000_000, datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + f".{ns % 1_000_000_000:09d}Z"
