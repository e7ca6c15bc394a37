"""How a rule file's YAML becomes data: round-trip construction (every key keeps its line and column) with the
few changes that let lint name each problem where it is written."""

from __future__ import annotations

import warnings
from typing import Any

from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import ReusedAnchorWarning
from ruamel.yaml.nodes import ScalarNode

from policy_engine.domain.amounts import POINT_GROUPED
from policy_engine.rules.split_numbers import SplitNumber, rejoin_split_items, rejoin_split_numbers
from policy_engine.rules.yaml_slips import duplicate_key

# An anchor defined twice is YAML (an alias names the latest), but ruamel says so as a Python warning on stderr, before
# lint's problems: its own source path and line, and "<unicode string>" for the file.
warnings.filterwarnings("ignore", category=ReusedAnchorWarning)

MAX_INT_DIGITS = 100
"""Digits of a whole number in a rule or case file: money has at most 16 before its point."""

SELF_ALIAS = ("an alias of this anchor inside its own value (`&x` here, `*x` within it): the value would contain "
              "itself; write out what the alias stands for, or alias a value outside this one")
SELF_ALIAS_USED = ("an alias inside the value of its own anchor (`*x` here, within `&x`): the value would contain "
                   "itself; write out what the alias stands for, or alias a value outside this one")

COMPLEX_KEY = ("a { } or [ ] where a key goes: a key is a plain word, such as `all:` or a field's name; if `{{` was "
               "written, remove one pair of braces")


class _BeingBuilt(dict[Any, Any]):
    """ruamel's `recursive_objects`, the nodes being built: it reads one only when the node is reached again while
    being built (an alias inside its own anchor), and built it as null, silently; that is an error at the anchor.
    Not an override of construct_object: a frame more for each level of nesting took ~5 levels off the deepest
    condition the reader takes (tests/unit/test_rule_condition_bounds.py)."""

    def __getitem__(self, node: Any) -> Any:
        raise ConstructorError(problem=SELF_ALIAS, problem_mark=node.start_mark)


class RuleConstructor(RoundTripConstructor):
    """Round-trip construction, except that an unquoted date stays the text it was written as: the
    schema checks it like any other date and names its line (ruamel's own date construction raised a
    bare ValueError for `2026-02-30`, with no position, out of the whole load). A number a thousands
    separator split inside { } or [ ] is put back together (split_numbers.rejoin_split_numbers and
    rejoin_split_items) and remembered, and so is the text of a number whose point may separate thousands
    (`1.000`), which the float read from it no longer shows."""

    numbers_as_text = False
    """Whether a rejoined number is text, as money is in rule test cases."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.rejoined: dict[tuple[int, int], SplitNumber] = {}
        self.pointed: dict[tuple[int, int], str] = {}
        self.recursive_objects = _BeingBuilt()

    def flatten_mapping(self, node: Any) -> Any:
        """The first step of building the mapping `node` (merge keys): its split numbers are rejoined first."""
        for joined, split in rejoin_split_numbers(node, self.numbers_as_text):
            self.rejoined[(joined.start_mark.line, joined.start_mark.column)] = split
        return super().flatten_mapping(node)

    def construct_rt_sequence(self, node: Any, seqtyp: Any, deep: bool = False) -> Any:
        """The items of the sequence `node`, its split numbers rejoined first."""
        for joined, split in rejoin_split_items(node, self.numbers_as_text):
            self.rejoined[(joined.start_mark.line, joined.start_mark.column)] = split
        return super().construct_rt_sequence(node, seqtyp, deep)

    def construct_yaml_int(self, node: Any) -> Any:
        """A whole number, refused where it is written when longer than any setting needs: Python's own
        error for 5,000 digits had no position and told the reader to call sys.set_int_max_str_digits()."""
        digits = sum(ch.isdigit() for ch in node.value)
        if digits > MAX_INT_DIGITS:
            raise ConstructorError(problem=f"a whole number of {digits} digits; at most {MAX_INT_DIGITS} are read",
                                   problem_mark=node.start_mark)
        return super().construct_yaml_int(node)

    def construct_yaml_float(self, node: Any) -> Any:
        """A number with a point; one written as `1.000` is remembered as written (amounts.POINT_GROUPED)."""
        if node.style is None and POINT_GROUPED.fullmatch(node.value):
            self.pointed[(node.start_mark.line, node.start_mark.column)] = node.value
        return super().construct_yaml_float(node)

    def check_mapping_key(self, node: Any, key_node: Any, mapping: Any, key: Any, value: Any) -> bool:
        """Whether `key` is new in `mapping`; a key written twice is an error (yaml_slips words it), and so is
        a mapping or list where a key goes (`when: {{all: …}}`), which no rule file has and whose lookup crashed."""
        if not isinstance(key_node, ScalarNode):
            raise ConstructorError(problem=COMPLEX_KEY, problem_mark=key_node.start_mark)
        if key in mapping:
            raise duplicate_key(node, key_node, mapping, key, value)
        return True


RuleConstructor.add_constructor("tag:yaml.org,2002:timestamp", lambda self, node: self.construct_scalar(node))
RuleConstructor.add_constructor("tag:yaml.org,2002:int", RuleConstructor.construct_yaml_int)
RuleConstructor.add_constructor("tag:yaml.org,2002:float", RuleConstructor.construct_yaml_float)


class CaseConstructor(RuleConstructor):
    """For rule test cases, whose money is a decimal string ("125000.00"): a rejoined number is its text."""

    numbers_as_text = True
