"""The flow runner: walks a published chatbot's snapshot, one turn at a time.

Pure with respect to HTTP and the database: it takes the snapshot, the session state and the
visitor's answer and returns the new state, bot messages, client actions and log entries
(`TurnResult`); `executions.services` locks the session, calls it and persists the result.
Side effects (outgoing HTTP, email) are injected through `RunContext`.
"""

from executions.runner.engine import run_reply, run_start
from executions.runner.errors import NotAwaitingInput, RunnerError, SnapshotError, StateError
from executions.runner.inputs import warm_up
from executions.runner.state import (
    Answer,
    BotMessage,
    Frame,
    InputRequest,
    LogEntry,
    RunContext,
    SessionState,
    TurnResult,
)

__all__ = [
    "Answer",
    "BotMessage",
    "Frame",
    "InputRequest",
    "LogEntry",
    "NotAwaitingInput",
    "RunContext",
    "RunnerError",
    "SessionState",
    "SnapshotError",
    "StateError",
    "TurnResult",
    "run_reply",
    "run_start",
    "warm_up",
]
