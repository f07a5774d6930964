"""Published snapshots, from a cache in this process: a turn reads its flow without a query."""

import json
import threading
from collections import OrderedDict
from uuid import UUID

from django.conf import settings

from chatbots.models import ChatbotVersion
from executions.models import ChatSession

_SNAPSHOTS: "OrderedDict[UUID, tuple[dict, int]]" = OrderedDict()  # uid -> (snapshot, JSON bytes)
_SNAPSHOTS_LOCK = threading.Lock()
_snapshots_bytes = 0


def snapshot_for_version(version_uid: UUID) -> dict:
    """The immutable snapshot of a version, from this process's cache (no query when cached).

    Keyed by the version's uid, which is never reused, so an entry can never go stale. The
    cache holds at most SNAPSHOT_CACHE_SIZE snapshots and SNAPSHOT_CACHE_MB of them (as JSON),
    least recently used out first."""
    global _snapshots_bytes
    with _SNAPSHOTS_LOCK:
        entry = _SNAPSHOTS.get(version_uid)
        if entry is not None:
            _SNAPSHOTS.move_to_end(version_uid)
            return entry[0]
    snapshot = ChatbotVersion.objects.values_list("snapshot", flat=True).get(uid=version_uid)
    size = len(json.dumps(snapshot, separators=(",", ":")))
    budget = settings.SNAPSHOT_CACHE_MB * 1024 * 1024
    if size > budget:
        return snapshot  # used for this turn, never kept: one bot must not empty the cache for all
    with _SNAPSHOTS_LOCK:
        if version_uid not in _SNAPSHOTS:
            _SNAPSHOTS[version_uid] = (snapshot, size)
            _snapshots_bytes += size
        while _SNAPSHOTS and (len(_SNAPSHOTS) > settings.SNAPSHOT_CACHE_SIZE or _snapshots_bytes > budget):
            _, (_, dropped) = _SNAPSHOTS.popitem(last=False)
            _snapshots_bytes -= dropped
    return snapshot


def snapshot_cache_usage() -> tuple[int, int]:
    """(snapshots, JSON bytes) held by this process's snapshot cache."""
    with _SNAPSHOTS_LOCK:
        return len(_SNAPSHOTS), _snapshots_bytes


def session_snapshot(session: ChatSession) -> dict:
    """The snapshot a session runs: its version's (cached), or the draft stored on a preview."""
    if session.is_preview:  # the draft it runs is stored on the session; not read on the hot path
        return ChatSession.objects.values_list("preview_snapshot", flat=True).get(pk=session.pk)
    return snapshot_for_version(session.version_uid)
