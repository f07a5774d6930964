"""Domain errors of the flow runner. Plain Python: the service maps them to HTTP statuses.

An invalid answer is not an error (it is a normal retry turn), and neither is a problem met
while walking a published flow (the session fails with a message and an error log). These
exceptions are for calls the runner cannot honour at all.
"""


class RunnerError(Exception):
    """Base class of every runner error."""


class NotAwaitingInput(RunnerError):
    """`run_reply` on a session that is not active or has no pending input (→ 409)."""


class SnapshotError(RunnerError):
    """The snapshot (or a state that should fit it) is malformed: no main flow, no start node,
    a pending node that is not in it… A bug in the compiler or the service, never the visitor."""


class StateError(RunnerError):
    """A serialised session state that cannot be read back."""


class RegistryError(RunnerError):
    """A handler registration was refused (unknown type, duplicate, wrong interface)."""
