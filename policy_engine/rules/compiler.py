"""Rule files → a Program on durable_rules, as a table of named stages that collect every problem.

parse → schema → assemble → typecheck → analyse → titles → emit → probe. A stage runs only when the ones
before it found no errors it depends on, so one run reports everything that can be known. The emit
stage is in emit.py, the conditions of a file that failed its schema in raw_conditions.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from policy_engine import engine
from policy_engine.effects import reason_code
from policy_engine.evaluator import Policy
from policy_engine.features import FEATURE_BY_NAME
from policy_engine.ir import CompiledRule, Program
from policy_engine.rules import analysis
from policy_engine.rules.condition_emit import referenced_fields
from policy_engine.rules.conditions import Checker, Node
from policy_engine.rules.day_titles import day_title_problems
from policy_engine.rules.emit import policy_version, stage_emit
from policy_engine.rules.full_width import name_slips
from policy_engine.rules.kinds import kind_without_file, no_kind_problem, no_rule_files, second_file_problem
from policy_engine.rules.loader import MAX_RULES, Document, NodeBudget
from policy_engine.rules.parsed_files import parse_file
from policy_engine.rules.percent_titles import percent_title_problems
from policy_engine.rules.problems import PolicyLoadError, Problem
from policy_engine.rules.raw_conditions import raw_condition_problems
from policy_engine.rules.schema import OPTIONAL_KINDS, SINGLE_KINDS, validate_document
from policy_engine.rules.scopes import KIND_TABLES, all_scope_fields, scope_for
from policy_engine.rules.thousands_points import setting_warnings
from policy_engine.rules.titles import title_problems


@dataclass
class Unit:
    """The compilation state shared by the stages."""

    files: dict[str, str]
    source_dir: str
    docs: dict[str, Document] = field(default_factory=dict)
    models: dict[str, Any] = field(default_factory=dict)  # path -> validated file model
    kinds: dict[str, Any] = field(default_factory=dict)  # kind -> model (lists for multi-file kinds)
    rules: list[tuple[CompiledRule, Node | None, Document, tuple[Any, ...]]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # said by lint; they never refuse the rule set
    unsound: set[str] = field(default_factory=set)  # rules whose condition has a problem: not what was written
    program: Program | None = None
    unread: bool = False
    """Some rule file was not read (past a bound): the checks across files wait, and UNREAD_NOTE says so."""

    def shown(self, path: str) -> str:
        """The path as printed in problems: under the rules directory when there is one."""
        return f"{self.source_dir.rstrip('/')}/{path}" if self.source_dir else path

    def directory(self) -> str:
        """The rules directory as printed where a problem belongs to no one file (`rules`, not `rules/.`)."""
        return self.source_dir.rstrip("/") or self.source_dir or "."


def stage_parse(u: Unit) -> None:
    budget = NodeBudget()  # all the files together: aliases in each of 200 files multiplied a per-file bound
    for path, text in sorted(u.files.items()):
        doc, problems = parse_file(u.shown(path), text, budget)
        u.problems += problems
        if doc is not None:
            u.docs[path] = doc
        if budget.spent:  # as past the bytes bound: the files after it are not read
            u.unread = True
            break


def stage_schema(u: Unit) -> None:
    for path, doc in u.docs.items():
        no_kind = no_kind_problem(doc)
        model, problems = (None, [no_kind]) if no_kind else validate_document(doc)
        u.problems += problems
        if model is not None:
            u.models[path] = model
            u.warnings += setting_warnings(doc, type(model))
        elif problems:  # the file's conditions are still checked: every problem in one lint run
            u.problems += raw_condition_problems(doc)


def stage_assemble(u: Unit) -> None:
    seen: dict[str, str] = {}
    # Top-level files first, so that a copy in a sub-folder is the second file, where the problem is
    # said; its rows are read no further: in the first's table they were duplicate ids shadowing themselves.
    for path, model in sorted(u.models.items(), key=lambda item: (item[0].count("/"), item[0])):
        kind = model.kind
        if kind in SINGLE_KINDS and kind in u.kinds:
            sub_folder = "/" in seen[kind] or "/" in path
            u.problems.append(second_file_problem(u.docs[path], kind, u.shown(seen[kind]), sub_folder))
            del u.models[path]
        elif kind in SINGLE_KINDS:
            u.kinds[kind] = model
            seen[kind] = path
    for model in u.models.values():
        if model.kind not in SINGLE_KINDS:
            u.kinds.setdefault(model.kind, []).append(model)
    if not u.problems and not u.files:
        u.problems.append(no_rule_files(u.directory()))
    elif not u.problems:
        for kind in sorted(SINGLE_KINDS - OPTIONAL_KINDS - set(u.kinds)):
            u.problems.append(kind_without_file(kind, u.files, u.shown, u.directory()))


def stage_typecheck(u: Unit) -> None:
    ids: dict[str, tuple[str, Any]] = {}
    counter = 0
    for path, model in u.models.items():
        doc = u.docs[path]
        for table, stage, kind, loc, spec in KIND_TABLES[model.kind](model):
            checker = Checker(scope_for(stage), dict(FEATURE_BY_NAME, **all_scope_fields()), doc.problem, kind=kind,
                              points=doc.points)
            node = checker.parse(spec.when, (*loc, "when"))
            u.problems += checker.problems
            if checker.problems:
                u.unsound.add(f"r{counter}")
            else:
                u.warnings += checker.warnings
            if spec.id in ids:
                first_path, first_loc = ids[spec.id]
                line, _ = u.docs[first_path].where(first_loc)
                msg = (f'duplicate rule id "{spec.id}" (first at {u.shown(first_path)}:{line}): an id names one rule'
                       " across all rule files (decisions, logs and tests refer to it); give one of the two another id")
                u.problems.append(doc.problem((*loc, "id"), "duplicate_id", msg))
            ids.setdefault(spec.id, (path, (*loc, "id")))
            fields = tuple(sorted(referenced_fields(node)))
            line, _ = doc.where(loc)
            where = f"{doc.path}:{line}"
            rule = CompiledRule(f"r{counter}", spec.id, kind, stage, table, counter, fields, spec, where,
                                code=reason_code(kind, table, spec), message=f"{spec.title.en} ({spec.title.zh})",
                                file=path, line=line, file_kind=model.kind)
            counter += 1
            u.rules.append((rule, node, doc, loc))
    u.problems += too_many_rules(u.rules)


def too_many_rules(rules: list[tuple[CompiledRule, Any, Document, tuple[Any, ...]]]) -> list[Problem]:
    """`too_many_rules` at the first rule past MAX_RULES, in file order (said once: the others follow it)."""
    if len(rules) <= MAX_RULES:
        return []
    rule, _node, doc, loc = rules[MAX_RULES]
    return [doc.problem(loc, "too_many_rules", f"rule {rule.id}: the rule files have {len(rules)} rules; at most "
                        f"{MAX_RULES} are taken and this one is number {MAX_RULES + 1} (GetPolicy describes every "
                        "rule in one reply): merge rules that differ only in a threshold into a scorecard or limit "
                        "table")]


def stage_analyse(u: Unit) -> None:
    u.problems += analysis.analyse(u.rules, u.kinds, u.docs, u.models, frozenset(u.unsound))


def stage_titles(u: Unit) -> None:
    unsound = frozenset(u.unsound)
    u.problems += title_problems(u.rules) + day_title_problems(u.rules, unsound)
    u.problems += percent_title_problems(u.rules, unsound)


STAGES: list[tuple[str, Callable[[Unit], None], bool]] = [
    # (name, stage, whole): a `whole` stage concludes from every file together, so it waits until
    # each reads. The others hold whatever an unread file says: a file's YAML, schema and conditions
    # are its own, a duplicate kind or id stays one, and a kind with no file is said only when no
    # other problem was found (stage_assemble).
    ("parse", stage_parse, False),
    ("schema", stage_schema, False),
    ("assemble", stage_assemble, False),
    ("typecheck", stage_typecheck, False),
    ("analyse", stage_analyse, True),
    # After analyse: a stale title is each row's own (so it is said while another file is unread) and
    # leaves the program whole, so the engine probe still runs and reports the invariants beside it.
    ("titles", stage_titles, False),
    ("emit", stage_emit, True),
]


UNREAD_NOTE = ("not every rule file could be read: each file read was checked on its own; the checks across files "
               "(a kind with no file, a grade without a limit or review row, shadowed rows, bands, invariants) wait "
               "until every file reads")
"""Said once, after the problems, when some rule file could not be read (the whole-policy stages did not run)."""


def compile_policy(files: dict[str, str], source_dir: str = "", unread: list[Problem] | None = None) -> Policy:
    """Run every stage; raise PolicyLoadError with all problems, else return a ready Policy.

    Analysis problems (shadowed, bands, …) do not stop the engine probe, so a lint run also
    reports grade coverage and invariants; only a file that does not parse or type-check does.
    `unread` are the rule files that could not be read (`read_rule_files_in_part`): the files read
    are still checked each on its own, and the policy is refused.
    """
    u = Unit(files, source_dir, problems=list(unread or ()), unread=bool(unread))
    fatal = False
    for name, run, whole in STAGES:
        fatal = fatal or (name == "analyse" and bool(u.problems))
        if (u.unread and whole) or (fatal and name == "emit"):
            continue
        run(u)
    if fatal or u.program is None:
        raise _refused(u, u.problems, note=UNREAD_NOTE if u.unread else "")
    u.program.warnings = tuple(sorted(set(u.warnings)))  # each once, as the problems
    try:
        policy = Policy(u.program)
    except engine.EngineError as exc:
        raise _refused(u, [*u.problems, Problem(u.shown("."), 1, 1, "engine_rejected", str(exc))]) from exc
    problems = u.problems + analysis.probe_invariants(policy, u.rules)
    if problems:
        policy.close()
        raise _refused(u, problems)
    return policy


def _refused(u: Unit, problems: list[Problem], note: str = "") -> PolicyLoadError:
    """The error refusing the rule set, each problem said once (aliases repeat one at the same place, word for word),
    a full-width mark typed for YAML's said as such (full_width.py)."""
    once = list(dict.fromkeys(problems))
    version = "" if u.unread else policy_version(u.files)  # a file not read: the hash of the rest is no one's
    return PolicyLoadError(name_slips(once, {u.shown(path): text for path, text in u.files.items()}), note=note,
                           version=version)


def lint(files: dict[str, str], source_dir: str = "") -> list[Problem]:
    """Every problem in a set of rule files (empty when it compiles cleanly)."""
    try:
        compile_policy(files, source_dir).close()
    except PolicyLoadError as exc:
        return exc.problems
    return []
