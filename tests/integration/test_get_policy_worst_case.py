"""GetPolicy's largest reply for a rule set the loader takes, through a real server: the most rules (MAX_RULES)
with the longest ids, codes, titles and sources the schema allows (in 4-byte characters, repeated by YAML aliases),
each in a file at a path of MAX_PATH_BYTES, the most files (MAX_FILES), 1 MiB of them (include_files), 1 MiB of
lint warnings, then a refused reload with 1 MiB of problems: it stays within the service's 8-MiB reply bound."""

from __future__ import annotations

import signal
from pathlib import Path

from adapters.grpc.gen.credit_policy.v1 import credit_policy_pb2 as pb
from adapters.grpc.server_build import MAX_MESSAGE_BYTES
from policy_engine.rules.loader import MAX_FILES, MAX_PATH_BYTES, MAX_RULES, MAX_TOTAL_BYTES
from tests.integration.conftest_grpc import TIMEOUT, copy_rules, start_server_process

WIDE = "\U00020000"  # 𠀀: 4 bytes in UTF-8, a character the titles' pattern takes
HEAD = ("kind: warning_signs\ntitle: {zh: 多, en: Many}\nsource: audit\n"
        "combine: {downgrade: sum, max_downgrade: 4, cap_grade: worst, limit_factor: min}\nrules:")
SHIPPED_RULES = 82
PROBLEMS = 4000
WARNED = 45  # rules also comparing a ratio with 100 whole percentages: 4,500 likely_percent warnings, past 1 MiB


def _widest_rules(first: int, count: int) -> str:
    """`count` rules with 80-character ids, 60-character codes and the longest titles and source, the first
    written out and the others merging it (`<<: *w`), so each costs ~110 bytes of YAML."""
    widest = (f"code: {'C' * 60}, title: {{zh: {WIDE * 200}, en: {WIDE * 200}}}, source: {WIDE * 500}, "
              "effects: {downgrade: 1}")
    percents = "{order_trend_ratio: {not_in: [" + ", ".join(str(50 + i) for i in range(100)) + "]}}"
    lines = []
    for i in range(first, first + count):
        rid = f"w{i:04d}_".ljust(80, "x")
        also = percents if i < WARNED else "{signal: bad_rumours}"
        when = f"{{all: [{{dbt_open_max: {{eq: {1000 + i // 150}}}}}, {also}]}}"
        lines.append(f"  - &w {{id: {rid}, {widest}, when: {when}}}" if i == first else
                     f"  - {{<<: *w, id: {rid}, when: {when}}}")
    return HEAD + "\n" + "\n".join(lines) + "\n"


def _worst_rules_dir(rules: Path) -> Path:
    """The shipped rules and, in a folder making every path MAX_PATH_BYTES long, the rules up to MAX_RULES, empty
    warning_signs files up to MAX_FILES, and `pad.yaml...` padding the whole to MAX_TOTAL_BYTES with a comment."""
    folder = rules / ("d" * (MAX_PATH_BYTES - len("/zz_000.yaml")))
    folder.mkdir()
    added = MAX_RULES - SHIPPED_RULES
    (folder / "zz_000.yaml").write_text(_widest_rules(0, 500))
    (folder / "zz_001.yaml").write_text(_widest_rules(500, added - 500))
    shipped_files = len(list(rules.glob("*.yaml")))
    for n in range(2, MAX_FILES - shipped_files):
        (folder / f"zz_{n:03d}.yaml").write_text(HEAD + " []\n")
    used = sum(p.stat().st_size for p in rules.rglob("*.yaml") if "tests" not in p.parts)
    pad = folder / f"zz_{MAX_FILES - shipped_files - 1:03d}.yaml"
    pad.write_text(pad.read_text() + "#" * (MAX_TOTAL_BYTES - used - 1) + "\n")
    return pad


def test_get_policy_of_the_largest_rule_set_the_loader_takes_stays_within_8_mib(tmp_path: Path) -> None:
    rules = copy_rules(tmp_path / "rules")
    pad = _worst_rules_dir(rules)
    server = start_server_process(rules, tmp_path / "server.log", workers=0)
    try:
        stub = server.stub([("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)])
        served = stub.GetPolicy(pb.GetPolicyRequest(include_files=True), timeout=TIMEOUT)
        seen = len(server.events())
        # 4,000 unknown keys, each problem ~370 bytes (its path, the key echoed cut to 64 characters): 1.5 MB of
        # problems, past the 1 MiB kept (2,000 keys of 195 characters did it while a message echoed a key whole).
        pad.write_text(HEAD + " []\n" + "".join(f"k{i:04d}{'k' * 60}: 1\n" for i in range(PROBLEMS)))
        server.proc.send_signal(signal.SIGHUP)
        server.wait_for_event("policy reload refused", after=seen)
        after = stub.GetPolicy(pb.GetPolicyRequest(include_files=True), timeout=TIMEOUT)
    finally:
        server.stop()

    assert (len(served.rules), len(served.file_names), served.warning_count) == (MAX_RULES, MAX_FILES, WARNED * 100)
    assert sum(len(t.encode()) for t in served.files.values()) == MAX_TOTAL_BYTES
    assert after.last_refused.problem_count == PROBLEMS > len(after.last_refused.problems)
    assert after.version == served.version
    sizes = {"served": served.ByteSize(), "refused after": after.ByteSize(),
             "last_refused": after.last_refused.ByteSize(), "rules": sum(r.ByteSize() + 3 for r in served.rules),
             "warnings": sum(w.ByteSize() + 3 for w in served.warnings)}
    print(f"GetPolicy's worst case (bytes): {sizes}")
    assert 6_000_000 < sizes["refused after"] < MAX_MESSAGE_BYTES
