"""The flow runner: walks a published chatbot's snapshot, one turn at a time.

Pure with respect to HTTP and the database: it takes the snapshot, the session state and the
visitor's answer and returns the new state, bot messages, client actions and log entries
(`TurnResult`); `executions.services` reads the session, calls it and stores the result.
It does no I/O: a turn that reaches an `http_request` node stops there (`TurnResult.call`)
and `run_resume` continues it with the call's outcome; emails are composed (through
`RunContext.compose_email`) and returned for the caller to queue.
"""

from executions.runner.engine import pending_call, run_reply, run_resume, run_start
from executions.runner.errors import NotAwaitingInput, RunnerError, SnapshotError, StateError
from executions.runner.inputs import warm_up
from executions.runner.state import (
    Answer,
    BotMessage,
    CallOutcome,
    CallPoint,
    Frame,
    InputRequest,
    LogEntry,
    PendingCall,
    RunContext,
    SessionState,
    TurnResult,
)

__all__ = [
    "Answer",
    "BotMessage",
    "CallOutcome",
    "CallPoint",
    "Frame",
    "InputRequest",
    "LogEntry",
    "NotAwaitingInput",
    "PendingCall",
    "RunContext",
    "RunnerError",
    "SessionState",
    "SnapshotError",
    "StateError",
    "TurnResult",
    "pending_call",
    "run_reply",
    "run_resume",
    "run_start",
    "warm_up",
]
