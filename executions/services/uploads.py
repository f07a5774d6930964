"""Files visitors upload to a pending file_upload input.

The file goes up first (`upload_create`), the reply then names it by token; the runner
checks its type and size against the node's config like any other answer. Owners download
uploads through the authenticated API (as attachments), never from a public URL.
"""

import mimetypes
import re
import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse

from executions.exceptions import SessionClosed, UploadRefused
from executions.models import ChatSession, ChatUpload
from executions.services.turnlog import turn_note
from executions.services.visitors import session_for_visitor

SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


def _clean_name(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = SAFE_NAME.sub("_", name).strip(" .")
    return (name or "file")[:255]


def upload_create(session_id, *, upload, origin: str | None = None) -> ChatUpload:
    """Store a file for the session's pending file_upload input.

    One pending upload per input: a new one replaces the file uploaded earlier while the same
    input waits (its file is deleted). A session holds at most CHAT_UPLOAD_SESSION_MAX_MB of
    files. Raises SessionNotFound, OriginNotAllowed, SessionClosed (not active, or the pending
    input takes no file) and UploadRefused (too large, or over the session's total).
    """
    found = session_for_visitor(session_id, "id", "chatbot_id", origin=origin)
    turn_note(chatbot_id=found.chatbot_id, session_id=str(found.pk))
    name = _clean_name(upload.name or "file")
    with transaction.atomic():
        # Uploads of one session take turns, so two at once cannot both pass the total's check.
        session = (
            ChatSession.objects.select_for_update(no_key=True)
            .only("id", "status", "state", "last_activity_at")
            .get(pk=found.pk)
        )
        pending = (session.state or {}).get("input") or {}
        if session.status != ChatSession.Status.ACTIVE or pending.get("type") != "file_upload":
            raise SessionClosed("This conversation is not waiting for a file.")
        options = pending.get("options") or {}
        limit_mb = min(float(options.get("max_size_mb") or settings.CHAT_UPLOAD_MAX_MB), settings.CHAT_UPLOAD_MAX_MB)
        if upload.size > limit_mb * 1024 * 1024:
            raise UploadRefused(f"The file is larger than {limit_mb:g} MB.")
        node_id = pending.get("node_id", "")
        kept = ChatUpload.objects.filter(session=session)
        # Sent while this input waits (since the last turn) and not yet named in a reply.
        replaced = kept.filter(node_id=node_id, created_at__gte=session.last_activity_at)
        held = kept.exclude(pk__in=replaced.values("pk")).aggregate(total=Sum("size"))["total"] or 0
        cap = settings.CHAT_UPLOAD_SESSION_MAX_MB * 1024 * 1024
        if held + upload.size > cap:
            raise UploadRefused(
                f"This conversation already holds {held / 1048576:.1f} MB of files; "
                f"at most {settings.CHAT_UPLOAD_SESSION_MAX_MB} MB in all."
            )
        replaced.delete()  # their files go once this commits (executions.files)
        record = ChatUpload(
            session=session,
            token=secrets.token_urlsafe(24),
            node_id=node_id,
            name=name,
            size=upload.size,
            content_type=mimetypes.guess_type(name)[0] or "application/octet-stream",
        )
        record.file.save(record.token, upload, save=False)
        record.save()
    return record


def upload_resolve(session: ChatSession, value: Any) -> Any:
    """Turn an upload token given as a file_upload answer into the dict the runner checks.
    Other answers pass through unchanged (an unknown token fails validation as a non-file)."""
    pending = (session.state or {}).get("input") or {}
    if pending.get("type") != "file_upload" or not isinstance(value, str) or not value:
        return value
    record = ChatUpload.objects.filter(session=session, token=value).first()
    if record is None:
        return value
    return {
        "url": reverse("executions:upload-download", args=[record.pk]),
        "name": record.name,
        "size": record.size,
        "content_type": record.content_type,
    }
