"""A rule set the loader takes is one GetPolicy can describe within gRPC's reply bound: at most MAX_RULES rules
(the first one past it named at its file and line), and rule files at paths of at most MAX_PATH_BYTES (GetPolicy
names a rule's file with each rule). tests/integration/test_get_policy_worst_case.py measures the reply."""

from __future__ import annotations

import shutil
from pathlib import Path

from policy_engine.rules.compiler import lint
from policy_engine.rules.loader import MAX_PATH_BYTES, MAX_RULES, read_rule_files, read_rule_files_in_part
from tests.many_rules import alike_rules_file

SHIPPED = Path(__file__).resolve().parents[2] / "rules"


def _with_alike_rules(added: int) -> dict[str, str]:
    """The shipped rule files and `added` alike warning signs, 500 in zz_a.yaml, the rest in zz_b.yaml."""
    files = read_rule_files(SHIPPED)
    files["zz_a.yaml"] = alike_rules_file("a", min(added, 500))
    files["zz_b.yaml"] = alike_rules_file("b", added - 500, start=500)
    return files


def test_a_thousand_rules_are_taken_and_the_first_past_them_is_named_at_its_file_and_line() -> None:
    past = MAX_RULES - 82  # the shipped rules are 82: b.r<past> is rule number MAX_RULES + 1, at line 6 + past - 500

    taken = [p for p in lint(_with_alike_rules(past), "rules") if p.code == "too_many_rules"]
    refused = [p for p in lint(_with_alike_rules(past + 1), "rules") if p.code == "too_many_rules"]

    assert taken == []
    assert [(p.path, p.line, p.col) for p in refused] == [("rules/zz_b.yaml", 6 + past - 500, 5)]
    assert refused[0].message.startswith(f"rule b.r{past}: the rule files have {MAX_RULES + 1} rules; at most "
                                         f"{MAX_RULES} are taken and this one is number {MAX_RULES + 1}")


def test_a_rule_file_at_a_path_past_255_bytes_is_not_read_and_says_why(tmp_path: Path) -> None:
    rules = shutil.copytree(SHIPPED, tmp_path / "rules")
    folder = rules / ("长" * 80)  # 240 bytes in UTF-8
    folder.mkdir()
    (folder / "zz_ok.yaml").write_text(alike_rules_file("ok", 1))  # 240 + 1 + 10 bytes: read
    (folder / "zz_long_ab.yaml").write_text(alike_rules_file("long", 1))  # 240 + 1 + 15 = 256 bytes: not read

    files, problems = read_rule_files_in_part(rules)

    assert f"{folder.name}/zz_ok.yaml" in files and f"{folder.name}/zz_long_ab.yaml" not in files
    assert [(p.path, p.line, p.code) for p in problems] == [(str(folder / "zz_long_ab.yaml"), 1, "unreadable")]
    assert problems[0].message.startswith(f"a path of 256 bytes under the rules directory; at most {MAX_PATH_BYTES}")
