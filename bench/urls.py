import json

from django.db import connection, transaction
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from config.urls import urlpatterns as project_urlpatterns
from executions.models import ChatMessage, ChatSession


class BareView(APIView):
    """A DRF view parsing a JSON body and rendering a JSON answer, no database."""

    authentication_classes = []
    permission_classes = [permissions.AllowAny]
    throttle_classes = []

    def post(self, request):
        return Response({"ok": True, "echo": request.data.get("value")})


_SESSIONS = connection.ops.quote_name(ChatSession._meta.db_table)
_MESSAGES = connection.ops.quote_name(ChatMessage._meta.db_table)
_READ = f"SELECT message_count FROM {_SESSIONS} WHERE id = %s"  # noqa: S608 (model table names)
_SWAP = f"UPDATE {_SESSIONS} SET message_count = message_count + 1 WHERE id = %s AND message_count = %s"  # noqa: S608
_INSERT = (
    f"INSERT INTO {_MESSAGES} (session_id, seq, sender, type, content, node_id, created_at) "  # noqa: S608
    "VALUES (%s, %s, 'user', 'text', %s, '', %s)"
)
_SWAP_AND_INSERT = (
    f"WITH s AS ({_SWAP} RETURNING id) INSERT INTO {_MESSAGES} "  # noqa: S608
    "(session_id, seq, sender, type, content, node_id, created_at) "
    "SELECT id, %s, 'user', 'text', %s, '', %s FROM s"
)


@csrf_exempt
def floor(request, session_id):
    """The durable-turn floor: what any chat turn must cost at least. It parses the JSON body,
    reads the session row once, and commits one compare-and-swap write that inserts a message
    (one statement on PostgreSQL; a short write transaction on SQLite); no runner, no framework."""
    value = json.loads(request.body)["value"]
    pk = ChatSession._meta.pk.get_db_prep_value(session_id, connection)
    content = json.dumps({"text": value})
    with connection.cursor() as cursor:
        cursor.execute(_READ, [pk])
        row = cursor.fetchone()
        if row is None:
            return JsonResponse({"detail": "No such session."}, status=404)
        count = row[0]
        now = timezone.now()
        if connection.vendor == "postgresql":
            cursor.execute(_SWAP_AND_INSERT, [pk, count, count + 1, content, now])
            swapped = cursor.rowcount == 1
        else:
            with transaction.atomic():
                cursor.execute(_SWAP, [pk, count])
                swapped = cursor.rowcount == 1
                if swapped:
                    cursor.execute(_INSERT, [pk, count + 1, content, now])
    if not swapped:
        return JsonResponse({"detail": "Lost the swap."}, status=409)
    body = {"session_id": session_id, "messages": [{"id": f"m{count + 1}", "type": "text", "text": value}]}
    return HttpResponse(json.dumps(body), content_type="application/json")


# After the project's routes, so resolving them costs what resolving a project route costs.
urlpatterns = [
    *project_urlpatterns,
    path("bench/bare/", BareView.as_view()),
    path("bench/floor/<str:session_id>/", floor),
]
