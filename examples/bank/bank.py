"""A raftsim plugin: a bank-transfer workload, its invariant checker (the total balance is conserved) and a
scenario that runs them under partitions. Use it with ``--plugin bank`` (this directory on PYTHONPATH).

The bank is one etcd key holding every account's balance as a JSON list. A transfer reads it and writes
the new balances with compareAndSwap on the index it read, so every state the key ever holds has the
same total; a ``balances`` read that sees another total is a violation. ``SPLIT_TRANSFERS = True`` plants
a bug: a transfer writes the debit and the credit separately, so a read between them sees money missing.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from typing import Any

import raftsim
from raftsim import nemesis as N

ACCOUNTS = 4
OPENING = 100  # each account's opening balance
KEY = "/bank/balances"
SPLIT_TRANSFERS = False  # the planted bug (see the module docstring)


@raftsim.workload("bank")
class BankWorkload(raftsim.Workload):
    """Clients transfer money between accounts and read every balance."""

    prefix = "/bank"

    def next_op(self, slot: int, rng: Any) -> tuple[str, str, Any]:
        if rng.random() < 0.5:
            return "balances", KEY, None
        src, dst = rng.sample(range(ACCOUNTS), 2)
        return "transfer", KEY, [src, dst, rng.randrange(1, 30)]

    def final_ops(self) -> list[tuple[str, str]]:
        return [("balances", KEY)]

    def execute(self, client: Any, f: str, key: str, value: Any, rng: Any) -> Generator[Any, Any, Any]:
        state, index = yield from self._read(client)
        if f == "balances":
            return raftsim.KvOutcome("info", error="timeout") if state is None else raftsim.KvOutcome("ok", state)
        if state is None:  # the read failed: nothing was written
            return raftsim.KvOutcome("fail", value, error="read-failed")
        src, dst, amount = value
        new = list(state)
        amount = min(amount, new[src])
        new[src] -= amount
        if SPLIT_TRANSFERS:  # the bug: the debit is visible before the credit
            out = yield from self._write(client, new, index)
            if out.type != "ok":
                return out
            index = out.extra["index"]
        new[dst] += amount
        return (yield from self._write(client, new, index))

    def _read(self, client: Any) -> Generator[Any, Any, tuple[list[int] | None, int | None]]:
        reply = yield from self.request(client, "GET", KEY, {"quorum": "true"})
        if reply is None:
            return None, None
        if reply.status == 404:
            return [OPENING] * ACCOUNTS, None
        if reply.status != 200:
            return None, None
        node = json.loads(reply.body)["node"]
        return json.loads(node["value"]), node["modifiedIndex"]

    def _write(self, client: Any, balances: list[int], index: int | None) -> Generator[Any, Any, Any]:
        cond = {"prevIndex": str(index)} if index is not None else {"prevExist": "false"}
        reply = yield from self.request(client, "PUT", KEY, {"value": json.dumps(balances), **cond})
        if reply is None:
            return raftsim.KvOutcome("info", balances, error="timeout")
        if reply.status in (200, 201):
            return raftsim.KvOutcome("ok", balances, extra={"index": json.loads(reply.body)["node"]["modifiedIndex"]})
        if reply.status == 412:  # compare failed: another transfer came first
            return raftsim.KvOutcome("fail", balances, error="compare-failed")
        return raftsim.KvOutcome("info", balances, error=f"http-{reply.status}")


@raftsim.checker(workloads=("bank",))
class BankTotalChecker:
    """Every balances read sums to the opening total: transfers move money, never make or lose it."""

    name = "bank-total"

    def check(self, run: raftsim.RunFiles) -> raftsim.CheckResult:
        want = ACCOUNTS * OPENING
        reads = 0
        for n, line in enumerate(run.history.read_text(encoding="utf-8").splitlines(), 1):
            op = json.loads(line)
            if op.get("f") != "balances" or op.get("type") != "ok":
                continue
            reads += 1
            if sum(op["value"]) != want:
                return raftsim.CheckResult(
                    checker=self.name, verdict=raftsim.Verdict.ILLEGAL,
                    summary=f"read at t={op['time'] / 1e9:.3f}s (history line {n}) saw balances {op['value']} "
                            f"totalling {sum(op['value'])}; transfers conserve {want}",
                    details={"line": n, "value": op["value"]})
        if reads == 0:
            return raftsim.CheckResult(checker=self.name, verdict=raftsim.Verdict.NOT_EXERCISED,
                                       summary="no balances read completed", details={"skipped": "no reads"})
        return raftsim.CheckResult(checker=self.name, verdict=raftsim.Verdict.OK,
                                   summary=f"{reads} balances reads, every total {want}")


@raftsim.scenario("bank-partition", "Bank transfers while majority partitions come and go.",
                  workload="bank", clients=4, keys=1, duration_s=3.0, recover_s=2.0)
def bank_partition(p: Any) -> raftsim.Plan:
    return raftsim.Plan(N.cycle(1.5, N.partition("majority"), N.do_heal(), start_s=0.5))
