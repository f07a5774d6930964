"""Condition: the first branch whose rules match wins; no match follows `else`.

Operators compare as numbers when both sides parse as numbers ("10" equals 10.0), otherwise
as case-insensitive text. Ordering operators fall back to ISO dates, and are false between
anything else. Regular expressions are RE2 (components.patterns): linear in the subject, so
no pattern can stall the process; one that is invalid or too long once its placeholders are
filled makes the rule false and logs a warning.
"""

import operator
from collections.abc import Callable, Mapping
from typing import Any

from components.catalog import REGEX_OPERATORS
from components.patterns import PatternError, pattern_compile
from executions.runner.inputs import iso_datetime, text_key, to_number
from executions.runner.registry import register
from executions.runner.templating import format_value
from executions.runner.turn import Node, Outcome, Turn

# Only the subject's start is searched.
MAX_REGEX_SUBJECT = 100_000
# RE2's time is linear in the subject, times the pattern's program size at worst (when its
# lazy DFA runs out of memory and it falls back to simulating the NFA, about 25 ns a step). A
# turn may spend this many steps (characters searched x program size, a few seconds at worst,
# far less in practice) on all its rules together, however many conditions and rules it meets.
MAX_REGEX_WORK_PER_TURN = 50_000_000


def _equals(left: Any, right: Any) -> bool:
    a, b = to_number(left), to_number(right)
    if a is not None and b is not None:
        return a == b
    return text_key(left) == text_key(right)


def _contains(left: Any, right: Any) -> bool:
    if isinstance(left, list | tuple):
        return any(_equals(item, right) for item in left)
    return text_key(right) in text_key(left)


def _is_set(value: Any) -> bool:
    return value is not None and value != "" and value != [] and value != {}


def _ordering(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def rule(left: Any, right: Any) -> bool:
        a, b = to_number(left), to_number(right)
        if a is not None and b is not None:
            return compare(a, b)
        a, b = iso_datetime(left), iso_datetime(right)
        if a is not None and b is not None:
            return compare(a, b)
        return False

    return rule


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": _equals,
    "not_equals": lambda left, right: not _equals(left, right),
    "contains": _contains,
    "not_contains": lambda left, right: not _contains(left, right),
    "starts_with": lambda left, right: text_key(left).startswith(text_key(right)),
    "ends_with": lambda left, right: text_key(left).endswith(text_key(right)),
    "greater_than": _ordering(operator.gt),
    "greater_or_equal": _ordering(operator.ge),
    "less_than": _ordering(operator.lt),
    "less_or_equal": _ordering(operator.le),
    "is_set": lambda left, right: _is_set(left),
    "is_empty": lambda left, right: not _is_set(left),
}


def _regex_rule(node: Node, turn: Turn, operator_name: str, left: Any, pattern: Any) -> bool:
    try:
        compiled = pattern_compile(format_value(pattern))
    except PatternError as exc:
        turn.warn(node, f"{exc} The rule counts as false.", pattern=format_value(pattern)[:200])
        return False
    subject = format_value(left)[:MAX_REGEX_SUBJECT]
    work = (len(subject) + 1) * compiled.programsize
    if turn.regex_work + work > MAX_REGEX_WORK_PER_TURN:
        if turn.regex_work <= MAX_REGEX_WORK_PER_TURN:  # said once per turn
            turn.warn(
                node,
                "This turn's regular expressions have searched as much as a turn may; "
                "this rule and the turn's later ones count as false.",
            )
            turn.regex_work = MAX_REGEX_WORK_PER_TURN + 1
        return False
    turn.regex_work += work
    found = compiled.search(subject) is not None
    return found if operator_name == "matches_regex" else not found


def rule_matches(node: Node, turn: Turn, rule: Mapping[str, Any]) -> bool:
    operator_name = rule.get("operator")
    left = turn.variables.get(rule.get("variable") or "")
    right = rule.get("value")
    if isinstance(right, str):
        right = turn.render(right)
    if operator_name in REGEX_OPERATORS:
        return _regex_rule(node, turn, operator_name, left, right)
    compare = OPERATORS.get(operator_name)
    if compare is None:
        turn.warn(node, f"Unknown operator {operator_name!r}; the rule counts as false.")
        return False
    return compare(left, right)


def branch_matches(node: Node, turn: Turn, branch: Mapping[str, Any]) -> bool:
    rules = [rule for rule in branch.get("rules") or [] if isinstance(rule, Mapping)]
    if not rules:
        return False
    if branch.get("match") == "any":
        return any(rule_matches(node, turn, rule) for rule in rules)
    return all(rule_matches(node, turn, rule) for rule in rules)


@register("condition")
class Condition:
    def execute(self, node: Node, turn: Turn) -> Outcome:
        for branch in node.get("branches", []):
            if isinstance(branch, Mapping) and branch.get("id") and branch_matches(node, turn, branch):
                turn.debug(node, f"Branch {branch['id']!r} matched.", branch=branch["id"])
                return Outcome(handle=str(branch["id"]))
        turn.debug(node, "No branch matched; following `else`.", branch="else")
        return Outcome(handle="else")
