"""The chat path and what the owner does with chats, one module per concern:

- `chat`: the public chat — start, reply, read back; a turn stops at each HTTP call and resumes;
- `persistence`: storing a turn in one compare-and-swap write, and reading the row it needs;
- `snapshots`: the published flows a turn runs, cached in the process;
- `visitors`: the page a public request comes from, and the visitor's hashed address;
- `display`: how an answer shows in the transcript; `payload`: the Turn answered;
- `uploads`: files visitors send for a file_upload input;
- `owner`: what the bot's owner does to a session;
- `turnlog`: one structured log line per chat request;
- `retention`: expiry of idle sessions, and forgetting the results a bot does not keep.
"""

from executions.services.chat import session_preview, session_read, session_reply, session_start
from executions.services.owner import session_finish
from executions.services.retention import (
    session_results_forget,
    sessions_expire_idle,
    sessions_results_forget_ended,
)
from executions.services.snapshots import snapshot_cache_usage, snapshot_for_version
from executions.services.turnlog import respond_logged, turn_note
from executions.services.uploads import upload_create, upload_resolve
from executions.services.visitors import ip_hash, session_for_visitor

__all__ = [
    "ip_hash",
    "respond_logged",
    "session_finish",
    "session_for_visitor",
    "session_preview",
    "session_read",
    "session_reply",
    "session_results_forget",
    "session_start",
    "sessions_expire_idle",
    "sessions_results_forget_ended",
    "snapshot_cache_usage",
    "snapshot_for_version",
    "turn_note",
    "upload_create",
    "upload_resolve",
]
