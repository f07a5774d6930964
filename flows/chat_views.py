"""The public chat API (CONTRACT §3): no authentication, throttled per IP, CORS open.

The runner lives in executions, above flows; these views call its services (an upward call
from a view, STYLE.md §5).
"""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from config.contract import (
    ChatReplySerializer,
    ChatSessionReadSerializer,
    ChatStartSerializer,
    ChatTurnSerializer,
    ChatUploadResultSerializer,
    ChatUploadSerializer,
    validated,
)
from config.parsers import SafeMultiPartParser
from config.schema import ERR_400, ERR_404, ERR_409, ERR_410, ERR_429
from config.throttling import IPScopedRateThrottle
from executions import services, uploads

# 403: the page is not among the bot's allowed embed origins.
SESSION_ERRORS = {403: ERR_404, 404: ERR_404, 409: ERR_409, 410: ERR_410, 429: ERR_429}


class PublicChatView(APIView):
    authentication_classes = []
    permission_classes = []
    throttle_classes = [IPScopedRateThrottle]

    def _ip(self, request) -> str | None:
        return BaseThrottle().get_ident(request)

    def _origin(self, request) -> str | None:
        return request.headers.get("Origin")


class ChatStartView(PublicChatView):
    throttle_scope = "chat_start"

    @extend_schema(
        tags=["chat"],
        summary="Start a chat with a published chatbot",
        request=ChatStartSerializer,
        responses={201: ChatTurnSerializer, 400: ERR_400, 403: ERR_404, 404: ERR_404, 429: ERR_429},
    )
    def post(self, request, public_id: str):
        body = validated(ChatStartSerializer, request.data)
        turn = services.session_start(
            public_id=public_id,
            variables=body["variables"],
            user_agent=request.headers.get("User-Agent", ""),
            referrer=request.headers.get("Referer", ""),
            ip=self._ip(request),
            origin=self._origin(request),
        )
        return Response(turn, status=status.HTTP_201_CREATED)


class ChatReplyView(PublicChatView):
    throttle_scope = "chat_reply"

    @extend_schema(
        tags=["chat"],
        summary="Answer the pending input",
        request=ChatReplySerializer,
        responses={200: ChatTurnSerializer, 400: ERR_400, **SESSION_ERRORS},
    )
    def post(self, request, session_id: str):
        body = validated(ChatReplySerializer, request.data)
        turn = services.session_reply(
            session_id,
            value=body["value"],
            node_id=body.get("node_id"),
            origin=self._origin(request),
        )
        return Response(turn)


class ChatSessionView(PublicChatView):
    throttle_scope = "chat_reply"

    @extend_schema(
        tags=["chat"],
        summary="The session with its transcript (for reloads)",
        responses={200: ChatSessionReadSerializer, 403: ERR_404, 404: ERR_404, 429: ERR_429},
    )
    def get(self, request, session_id: str):
        return Response(services.session_read(session_id, origin=self._origin(request)))


class ChatUploadView(PublicChatView):
    throttle_scope = "chat_reply"
    parser_classes = [SafeMultiPartParser]

    @extend_schema(
        tags=["chat"],
        summary="Upload a file for the pending file_upload input, then reply with its upload_id",
        request={"multipart/form-data": ChatUploadSerializer},
        responses={201: ChatUploadResultSerializer, 400: ERR_400, **SESSION_ERRORS},
    )
    def post(self, request, session_id: str):
        serializer = ChatUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = uploads.upload_create(
            session_id, upload=serializer.validated_data["file"], origin=self._origin(request)
        )
        body = {
            "upload_id": record.token,
            "name": record.name,
            "size": record.size,
            "content_type": record.content_type,
        }
        return Response(body, status=status.HTTP_201_CREATED)
