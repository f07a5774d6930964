"""Regular expressions of condition rules (`matches_regex`), in RE2 syntax.

RE2 matches in time linear in the subject and never backtracks, so no pattern, however
hostile, can hold a process (a backtracking engine holds the GIL for as long as a pattern
takes, and its timeouts do not fire during the first search of a fresh pattern). What RE2
cannot do in linear time (backreferences, lookarounds) it refuses to compile; graphs are
checked when saved and published, so such a pattern never reaches a published bot.
"""

import functools

import re2

from components.templating import PLACEHOLDER_RE

MAX_PATTERN_LENGTH = 1000
# Instructions of the compiled program: `.{0,1000}` is short to write and 9,000 instructions
# long; a search may cost the subject's length times this (see handlers.condition).
MAX_PROGRAM_SIZE = 5000
# Memory RE2 may use for one pattern (its program and lazy DFA): enough for counted
# repetitions to run as a DFA, so searches stay linear in practice.
MAX_PATTERN_MEMORY = 8 << 20


class PatternError(ValueError):
    """The pattern is too long or not valid RE2; the message says which, for the owner."""


def _options() -> re2.Options:
    options = re2.Options()
    options.max_mem = MAX_PATTERN_MEMORY
    options.log_errors = False  # a bad pattern is the owner's input, not our error
    return options


@functools.lru_cache(maxsize=16)  # x MAX_PATTERN_MEMORY at most
def pattern_compile(pattern: str):
    """The compiled pattern (cached per process). Raises PatternError."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise PatternError(f"A regular expression holds at most {MAX_PATTERN_LENGTH} characters.")
    try:
        compiled = re2.compile(pattern, _options())
    except re2.error as exc:
        reason = exc.args[0] if exc.args else "invalid"
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", "replace")
        raise PatternError(f"Not a valid regular expression (RE2 syntax): {reason}.") from None
    if compiled.programsize > MAX_PROGRAM_SIZE:
        raise PatternError(
            "This regular expression is too complex (large counted repetitions such as .{0,1000}); simplify it."
        )
    return compiled


def pattern_template_error(template: str) -> str | None:
    """Why a rule's pattern, as written in the graph, can never work (None when it can).

    `{{placeholders}}` are filled when the rule runs; here each stands for a plain word, so the
    rest of the pattern is checked as it will be compiled."""
    try:
        pattern_compile(PLACEHOLDER_RE.sub("x", template))
    except PatternError as exc:
        return str(exc)
    return None
