"""The public chat API (docs/chat-api.md): no authentication, throttled per IP, CORS open.

The runner lives in executions, above flows; these views call its services (an upward call
from a view, the one exception to the apps' import order).

Start, reply and the session read are the product's hot path, and DRF's dispatch (a Request
wrapper, content negotiation, authentication and permission passes, a Response finalised per
request) costs more than the turn's own Python. DRF still describes them (the OpenAPI schema,
OPTIONS), but their requests take a lean path with the same rules and answers: a JSON body
through the project's parser, the IP throttle, the same serializers' validation, the same
exception handler for errors, the same renderer for the body.
"""

import functools
import hashlib
import io
import json

from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import quote_etag

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
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
from config.exceptions import api_exception_handler
from config.parsers import SafeJSONParser, SafeMultiPartParser
from config.schema import ERR_400, ERR_403_ORIGIN, ERR_404, ERR_409, ERR_410, ERR_429
from config.throttling import IPScopedRateThrottle
from executions import services
from flows.serializers import ChatbotProfileSerializer

REPLY_409 = OpenApiResponse(
    ERR_409.response,
    description=(
        "The input was already answered (a double submit, a stale tab), the conversation is over, or "
        "an HTTP request of the conversation is under way: then `Retry-After` says in how many seconds "
        "to try again."
    ),
)
# 403: the page is not among the bot's allowed embed origins.
SESSION_ERRORS = {403: ERR_403_ORIGIN, 404: ERR_404, 409: REPLY_409, 410: ERR_410, 429: ERR_429}

_PARSER = SafeJSONParser()
_RENDERER = JSONRenderer()


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


class LeanChatView(PublicChatView):
    """A public chat view whose `serve(request, data, **kwargs) -> (status, body, headers)`
    answers its `serve_methods` on the lean path; other methods (HEAD, OPTIONS, a method it
    does not take) go through DRF as usual, `get`/`post` calling `serve` there too."""

    serve_methods = ("POST",)
    turn_kind: str  # its name in the chat request log (executions.services.turnlog)

    def _through_drf(self, request, **kwargs) -> Response:
        status_code, body, headers = self.serve(request, request.data, **kwargs)
        return Response(body, status=status_code, headers=headers)

    def dispatch(self, request, *args, **kwargs):
        if request.method not in self.serve_methods:
            return super().dispatch(request, *args, **kwargs)
        return services.respond_logged(self.turn_kind, functools.partial(self._serve_lean, request, *args, **kwargs))

    def _serve_lean(self, request, *args, **kwargs) -> HttpResponse:
        self.args, self.kwargs, self.request = args, kwargs, request
        try:
            throttle = IPScopedRateThrottle()
            if not throttle.allow_request(request, self):
                raise exceptions.Throttled(throttle.wait())
            data = _json_body(request) if request.method == "POST" else None
            status_code, body, headers = self.serve(request, data, **kwargs)
        except Exception as exc:
            services.turn_note(error=type(exc).__name__)
            response = api_exception_handler(exc, {"view": self, "request": request, "args": args, "kwargs": kwargs})
            if response is None:
                raise  # a bug: the error middleware answers 500 and logs it
            headers = {name: value for name, value in response.items() if name.lower() != "content-type"}
            status_code, body = response.status_code, response.data
        response = HttpResponse(_RENDERER.render(body), status=status_code, content_type="application/json")
        for name, value in (headers or {}).items():
            response[name] = value
        return response


def _json_body(request):
    """The request's JSON body as DRF would parse it: nothing sent reads as {}; another media
    type is a 415; the project's parser refuses malformed or hostile JSON with a 400."""
    body = request.body
    if not body:
        return {}
    media_type = request.content_type or ""
    if media_type != "application/json":
        raise exceptions.UnsupportedMediaType(request.META.get("CONTENT_TYPE", ""))
    return _PARSER.parse(io.BytesIO(body), media_type, {"encoding": request.encoding or "utf-8"})


class ChatStartView(LeanChatView):
    throttle_scope = "chat_start"
    turn_kind = "start"

    @extend_schema(
        tags=["chat"],
        summary="Start a chat with a published chatbot",
        request=ChatStartSerializer,
        responses={201: ChatTurnSerializer, 400: ERR_400, 403: ERR_403_ORIGIN, 404: ERR_404, 429: ERR_429},
    )
    def post(self, request, public_id: str):
        return self._through_drf(request, public_id=public_id)

    def serve(self, request, data, *, public_id: str):
        body = validated(ChatStartSerializer, data)
        turn = services.session_start(
            public_id=public_id,
            variables=body["variables"],
            user_agent=request.headers.get("User-Agent", ""),
            referrer=request.headers.get("Referer", ""),
            ip=self._ip(request),
            origin=self._origin(request),
        )
        return status.HTTP_201_CREATED, turn, None


class ChatReplyView(LeanChatView):
    throttle_scope = "chat_reply"
    turn_kind = "reply"

    @extend_schema(
        tags=["chat"],
        summary="Answer the pending input",
        request=ChatReplySerializer,
        responses={200: ChatTurnSerializer, 400: ERR_400, **SESSION_ERRORS},
    )
    def post(self, request, session_id: str):
        return self._through_drf(request, session_id=session_id)

    def serve(self, request, data, *, session_id: str):
        body = validated(ChatReplySerializer, data)
        turn = services.session_reply(
            session_id,
            value=body["value"],
            node_id=body.get("node_id"),
            origin=self._origin(request),
        )
        return status.HTTP_200_OK, turn, None


class ChatSessionView(LeanChatView):
    throttle_scope = "chat_reply"
    serve_methods = ("GET",)
    turn_kind = "read"

    @extend_schema(
        tags=["chat"],
        summary="The session with its transcript (for reloads)",
        description=(
            "While an HTTP request of the conversation is under way, `input` is null and the "
            "`Retry-After` header says in how many seconds the pending input is worth asking for "
            "again. A turn whose request was cut off (its server died) is finished first."
        ),
        responses={200: ChatSessionReadSerializer, 403: ERR_403_ORIGIN, 404: ERR_404, 429: ERR_429},
    )
    def get(self, request, session_id: str):
        return self._through_drf(request, session_id=session_id)

    def serve(self, request, data, *, session_id: str):
        payload, retry_after = services.session_read(session_id, origin=self._origin(request))
        # While an HTTP call of the conversation is under way, the pending input comes later.
        return status.HTTP_200_OK, payload, {"Retry-After": str(retry_after)} if retry_after else None


class ChatUploadView(PublicChatView):
    throttle_scope = "chat_reply"
    parser_classes = [SafeMultiPartParser]

    def dispatch(self, request, *args, **kwargs):
        if request.method != "POST":
            return super().dispatch(request, *args, **kwargs)
        return services.respond_logged("upload", functools.partial(super().dispatch, request, *args, **kwargs))

    def handle_exception(self, exc):
        services.turn_note(error=type(exc).__name__)
        return super().handle_exception(exc)

    @extend_schema(
        tags=["chat"],
        summary="Upload a file for the pending file_upload input, then reply with its upload_id",
        request={"multipart/form-data": ChatUploadSerializer},
        responses={201: ChatUploadResultSerializer, 400: ERR_400, **SESSION_ERRORS},
    )
    def post(self, request, session_id: str):
        serializer = ChatUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = services.upload_create(
            session_id, upload=serializer.validated_data["file"], origin=self._origin(request)
        )
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
