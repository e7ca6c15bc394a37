"""Rule and case files read once per process: a text parsed before is not parsed again.

Reading YAML with every key's position (loader.parse_document, ruamel's pure-Python parser) is ~90% of
a compile of the shipped rules (~0.25 of ~0.28 s) and all of reading their case files (~0.9 s). A process often reads
the same text more than once: `simulate` compiles the live rules and a candidate copied from them that differs in
one file, then runs the candidate's cases; `lint` and `test` read a directory twice or more; a program that calls
`load_policy` again (the tests, a notebook) reads files it has read. The result is kept, keyed by the text and the
constructor, as a pickle: each caller gets objects of its own (a caller may change a document's data), made in a
few percent of the parse's time. The file's path is not in the key: a copy of a file elsewhere reads the same, and
only the path its document and problems name differs (no problem's message holds the path). A kept read is charged
to the reader's node budget (node_budget.py) the nodes its parse made, so the bound on a rule set's files together
holds whether or not they were read before; a file refused for the budget is never kept (where it ran out depends on
the files before it).
"""

from __future__ import annotations

import dataclasses
import hashlib
import pickle
import threading
from collections import OrderedDict
from typing import NamedTuple

from policy_engine.rules.loader import Document, parse_document
from policy_engine.rules.node_budget import NodeBudget
from policy_engine.rules.problems import Problem
from policy_engine.rules.yaml_constructor import RuleConstructor

MAX_KEPT_BYTES = 8 << 20
"""Pickled results kept at most, the least recently read dropped first: the shipped rules and cases come to ~0.3 MB."""

Parsed = tuple[Document | None, list[Problem]]
_Key = tuple[str, type[RuleConstructor]]


class _Kept(NamedTuple):
    """A read kept: the path it was read at, the pickled result, the nodes it made (charged to each reader's budget)."""

    read_at: str
    data: bytes
    nodes: int


_kept: OrderedDict[_Key, _Kept] = OrderedDict()
_kept_bytes = 0
_lock = threading.Lock()  # a service compiles on threads


def parse_file(path: str, text: str, budget: NodeBudget,
               constructor: type[RuleConstructor] = RuleConstructor) -> Parsed:  # fmt: skip
    """parse_document(path, text, constructor, budget=budget), from this process's earlier read of the same text if
    there was one. A kept read is charged to `budget` the nodes it made, as the parse would be; one that makes more
    than `budget` has left is parsed again, so the refusal says where this rule set's files ran past the bound."""
    key = (hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest(), constructor)
    with _lock:
        kept = _kept.get(key)
        if kept is not None:
            _kept.move_to_end(key)
    if kept is None or kept.nodes > budget.left:
        left = budget.left
        result = parse_document(path, text, constructor, budget=budget)
        if result[0] is not None:  # a refusal depends on the files before it (the budget they left): never kept
            _keep(key, _Kept(path, pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL), left - budget.left))
        return result
    budget.left -= kept.nodes
    result = pickle.loads(kept.data)
    return result if kept.read_at == path else _moved(result, kept.read_at, path)


def _moved(result: Parsed, read_at: str, path: str) -> Parsed:
    """A result read at `read_at`, naming `path` instead."""

    def at(problem: Problem) -> Problem:
        return dataclasses.replace(problem, path=path) if problem.path == read_at else problem

    doc, problems = result
    if doc is not None:
        doc.path = path
        doc.read_past = {loc: at(problem) for loc, problem in doc.read_past.items()}
    return doc, [at(problem) for problem in problems]


def _keep(key: _Key, kept: _Kept) -> None:
    global _kept_bytes
    if len(kept.data) > MAX_KEPT_BYTES:
        return
    with _lock:
        if key in _kept:
            return
        _kept[key] = kept
        _kept_bytes += len(kept.data)
        while _kept_bytes > MAX_KEPT_BYTES:
            _, dropped = _kept.popitem(last=False)
            _kept_bytes -= len(dropped.data)


def forget_parsed_files() -> None:
    """Drop every kept result."""
    global _kept_bytes
    with _lock:
        _kept.clear()
        _kept_bytes = 0
