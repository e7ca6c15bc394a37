"""The compiler's emit stage: checked rules → the durable_rules definition and the Program that runs it."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from policy_engine import engine
from policy_engine.engine_terms import rename_properties, rule_definition, short_keys, term_eq
from policy_engine.features import FeatureSettings
from policy_engine.ir import CompiledRule, Program
from policy_engine.rules.condition_emit import to_durable
from policy_engine.rules.network_problems import fact_rules, network_problems
from policy_engine.rules.problems import Problem
from policy_engine.rules.scopes import all_scope_fields

if TYPE_CHECKING:
    from policy_engine.rules.compiler import Unit


def policy_version(files: dict[str, str]) -> str:
    """Content hash of the rule files (path and text of each), independent of load order."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.encode())
        digest.update(b"\0")
        digest.update(files[path].encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def stage_emit(u: Unit) -> None:
    """Each rule as a durable_rules definition over short keys; the Program, unless the engine would refuse it."""
    definition: dict[str, Any] = {}
    fact_fields: dict[str, set[str]] = {}
    first_rule: dict[str, CompiledRule] = {}  # per fact, in file order: the fact's stage and kind
    for rule, node, _doc, _loc in u.rules:
        definition[rule.name] = rule_definition([term_eq("_f", rule.fact), *to_durable(node)])
        fact_fields.setdefault(rule.fact, set()).update(rule.fields)
        first_rule.setdefault(rule.fact, rule)
    for fact, names in fact_fields.items():
        if len(names) + 3 > engine.MAX_PROPERTIES:
            whose = fact_rules(first_rule[fact].stage, first_rule[fact].kind)
            msg = f"{whose} use {len(names)} fields; the engine takes at most 252 in one fact"
            u.problems.append(Problem(u.shown("."), 1, 1, "too_many_fields", msg))
    keys = short_keys(n for names in fact_fields.values() for n in names)
    definition = {name: rename_properties(rule, keys) for name, rule in definition.items()}
    refused = network_problems(u.rules, definition)
    u.problems += refused
    if not refused:  # else no program: the engine would hang on it (engine_network.py)
        u.program = _program(u, definition, fact_fields, first_rule, keys)


def _program(u: Unit, definition: dict[str, Any], fact_fields: dict[str, set[str]],
             first_rule: dict[str, CompiledRule], keys: dict[str, str]) -> Program:
    """The Program emitted: the engine definition, and what each stage's facts carry."""
    stage_facts: dict[str, tuple[str, ...]] = {}
    stage_fields: dict[str, set[str]] = {}
    for fact, rule in first_rule.items():
        stage_facts[rule.stage] = (*stage_facts.get(rule.stage, ()), fact)
        stage_fields.setdefault(rule.stage, set()).update(fact_fields[fact])
    return Program(
        version=policy_version(u.files),
        files=dict(u.files),
        rules=[r for r, _, _, _ in u.rules],
        definition=definition,
        settings=FeatureSettings(**u.kinds["policy"].features.model_dump()),
        kinds=u.kinds,
        stage_fields={s: tuple(sorted(f)) for s, f in stage_fields.items()},
        fact_fields={f: tuple(sorted(names)) for f, names in fact_fields.items()},
        stage_facts=stage_facts,
        money_fields=frozenset(n for spec in all_scope_fields().values() if spec.money for n in [spec.name]),
        engine_keys=keys,
    )
