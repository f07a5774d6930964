"""The public chat API (docs/chat-api.md): no authentication, throttled per IP, CORS open.

The runner lives in executions, above flows; these views call its services (an upward call
from a view, the one exception to the apps' import order).
"""

import hashlib
import json

from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import quote_etag

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from chatbots.services import chatbot_public_profile
from config.contract import (
    ChatReplySerializer,
    ChatSessionReadSerializer,
    ChatStartSerializer,
    ChatTurnSerializer,
    ChatUploadResultSerializer,
    ChatUploadSerializer,
    validated,
)
from config.schema import ERR_400, ERR_403_ORIGIN, ERR_404, ERR_409, ERR_410, ERR_429
from config.throttling import IPScopedRateThrottle
from executions import services, uploads
from flows.serializers import ChatbotProfileSerializer

SESSION_ERRORS = {404: ERR_404, 409: ERR_409, 410: ERR_410, 429: ERR_429}


class PublicChatView(APIView):
    authentication_classes = []
    permission_classes = []
    throttle_classes = [IPScopedRateThrottle]

    def _ip(self, request) -> str | None:
        return BaseThrottle().get_ident(request)

    def _origin(self, request) -> str | None:
        """The Origin of a cross-origin page calling the API, else None. The hosted chat page
        is this server's own: a bot's allowed embed origins never apply to it."""
        origin = request.headers.get("Origin")
        if origin and origin.rstrip("/") == request.build_absolute_uri("/").rstrip("/"):
            return None
        return origin


class ChatStartView(PublicChatView):
    throttle_scope = "chat_start"

    @extend_schema(
        tags=["chat"],
        summary="Start a chat with a published chatbot",
        request=ChatStartSerializer,
        responses={201: ChatTurnSerializer, 400: ERR_400, 403: ERR_403_ORIGIN, 404: ERR_404, 429: ERR_429},
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
        responses={200: ChatSessionReadSerializer, 404: ERR_404, 429: ERR_429},
    )
    def get(self, request, session_id: str):
        return Response(services.session_read(session_id))


class ChatUploadView(PublicChatView):
    throttle_scope = "chat_reply"
    parser_classes = [MultiPartParser]

    @extend_schema(
        tags=["chat"],
        summary="Upload a file for the pending file_upload input, then reply with its upload_id",
        request={"multipart/form-data": ChatUploadSerializer},
        responses={201: ChatUploadResultSerializer, 400: ERR_400, **SESSION_ERRORS},
    )
    def post(self, request, session_id: str):
        serializer = ChatUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = uploads.upload_create(session_id, upload=serializer.validated_data["file"])
        body = {
            "upload_id": record.token,
            "name": record.name,
            "size": record.size,
            "content_type": record.content_type,
        }
        return Response(body, status=status.HTTP_201_CREATED)


class ChatProfileView(PublicChatView):
    """The public profile a chat widget loads on every page view of an embedding site: cheap
    to revalidate (ETag, 304) and kept apart from the chat's own rate limits."""

    throttle_scope = "chat_profile"

    @extend_schema(
        tags=["chat"],
        summary="A published chatbot's public profile: name, appearance, client behaviour, uploads",
        responses={
            200: ChatbotProfileSerializer,
            304: OpenApiResponse(description="Unchanged since the ETag given in If-None-Match."),
            403: ERR_403_ORIGIN,
            404: ERR_404,
            429: ERR_429,
        },
    )
    def get(self, request, public_id: str):
        profile = chatbot_public_profile(public_id, origin=self._origin(request))
        body = json.dumps(profile, sort_keys=True, separators=(",", ":")).encode()
        response = Response(profile)
        response["ETag"] = quote_etag(hashlib.sha256(body).hexdigest()[:32])
        # Stored but revalidated on every use: an owner's change shows on the next page view.
        response["Cache-Control"] = "public, no-cache"
        patch_vary_headers(response, ["Origin"])
        return get_conditional_response(request, etag=response["ETag"], response=response)
