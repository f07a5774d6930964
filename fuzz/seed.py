"""Real objects for the fuzzer to aim at, so that detail URLs resolve (an id the fuzzer makes
up only ever meets a 404). Every object a DELETE (or an action that closes or moves
something) may remove has a twin of its own, so the other operations keep theirs."""

from django.core.files.base import ContentFile
from django.utils import timezone

from rest_framework_simplejwt.tokens import RefreshToken

from authentication.api_tokens.services import api_token_create
from authentication.models import OAuthIdentity
from components.graph import GraphDraft, graph_save
from components.models import ComponentConnection, ComponentInstance, ComponentVariable
from components.services import chatbot_publish, flow_create
from executions import services as chat
from executions.models import ChatMessage, ChatUpload, ExecutionLog, UserInput
from flows.models import FlowTemplate
from integrations.crypto import secret_encrypt
from integrations.models import ApiConnection, Integration, IntegrationLog, IntegrationTemplate, Webhook, WebhookEvent
from tests.factories import ChatbotFactory, UserFactory, file_upload_graph, form_graph

FUZZ_PASSWORD = "Fuzz-passphrase-2026"  # noqa: S105 (a throwaway database's user)


def _bot(owner, graph: dict, *, publish: bool = True):
    chatbot = ChatbotFactory(owner=owner)
    graph_save(chatbot.main_flow, GraphDraft(**graph))
    if publish:
        chatbot_publish(chatbot, user=owner)
    chatbot.refresh_from_db()
    return chatbot


def _ids(model, flow) -> list[int]:
    return list(model.objects.filter(flow=flow).order_by("id").values_list("pk", flat=True))


def seed() -> dict:
    """Create the fuzzing user and their objects; returns the ids to aim at and a token."""
    owner = UserFactory(username="fuzz", email="fuzz@example.com", password=FUZZ_PASSWORD)
    bot = _bot(owner, form_graph())
    second = flow_create(bot, name="Second", graph=GraphDraft(**form_graph()))
    doomed_flow = flow_create(bot, name="To delete")
    doomed_bot = _bot(owner, form_graph(), publish=False)
    edits = _bot(owner, form_graph(), publish=False)  # its nodes, edges and variables get deleted
    uploads = _bot(owner, file_upload_graph())

    session = chat.session_start(public_id=bot.public_id)["session_id"]
    chat.session_reply(session, value="Ana")
    to_finish = chat.session_start(public_id=bot.public_id)["session_id"]
    waiting = chat.session_start(public_id=uploads.public_id)["session_id"]
    upload = ChatUpload(session_id=waiting, token="fuzz-" + "x" * 20, node_id="cv", name="cv.pdf", size=4)
    upload.content_type = "application/pdf"
    upload.file.save(upload.token, ContentFile(b"%PDF"), save=False)
    upload.save()

    log_entry = ExecutionLog.objects.create(session_id=session, node_id="name", level="warning", message="Seeded.")
    template = FlowTemplate.objects.create(name="Mine", owner=owner, graph=form_graph())
    doomed_template = FlowTemplate.objects.create(name="To delete", owner=owner, graph=form_graph())
    connection = ApiConnection.objects.create(owner=owner, name="API", base_url="https://api.example.com/v1")
    doomed_connection = ApiConnection.objects.create(owner=owner, name="Old", base_url="https://api.example.com")
    hook = {"url": "https://hooks.example.com/", "events": ["session.started"], "secret_encrypted": secret_encrypt("s")}
    webhook = Webhook.objects.create(owner=owner, name="Hook", **hook)
    doomed_webhook = Webhook.objects.create(owner=owner, name="Old", **hook)
    slack = IntegrationTemplate.objects.get(slug="slack")
    integration = Integration.objects.create(owner=owner, name="Slack", template=slack, events=["session.started"])
    doomed_integration = Integration.objects.create(owner=owner, name="Old", template=slack, events=["session.started"])
    delivery = WebhookEvent.objects.create(
        chatbot=bot, webhook=webhook, event_type="session.started", payload={}, next_attempt_at=timezone.now()
    )
    log = IntegrationLog.objects.create(owner=owner, kind="delivery", webhook=webhook, url=webhook.url, method="POST")

    api_token, _ = api_token_create(owner, name="Script", access="read_only", expires_at=None)
    doomed_api_token, _ = api_token_create(owner, name="Old script", access="read_only", expires_at=None)
    # Unlinking it is allowed: the user also has a password.
    identity = OAuthIdentity.objects.create(user=owner, provider="github", subject="4242", email=owner.email)

    return {
        "token": str(RefreshToken.for_user(owner).access_token),
        "api_token": api_token.pk,
        "doomed_api_token": doomed_api_token.pk,
        "oauth_account": identity.pk,
        "chatbot": bot.pk,
        "public_id": bot.public_id,
        "doomed_chatbot": doomed_bot.pk,
        "flow": second.pk,
        "doomed_flow": doomed_flow.pk,
        "version": bot.live_version.number,
        "node": _ids(ComponentInstance, bot.main_flow)[1],
        "edge": _ids(ComponentConnection, bot.main_flow)[0],
        "variable": _ids(ComponentVariable, bot.main_flow)[0],
        "doomed_node": _ids(ComponentInstance, edits.main_flow)[1],
        "doomed_edge": _ids(ComponentConnection, edits.main_flow)[0],
        "doomed_variable": _ids(ComponentVariable, edits.main_flow)[0],
        "session": session,
        "session_to_finish": to_finish,
        "session_waiting_for_file": waiting,
        "message": ChatMessage.objects.filter(session_id=session).values_list("pk", flat=True).first(),
        "log": log_entry.pk,
        "input": UserInput.objects.filter(session_id=session).values_list("pk", flat=True).first(),
        "upload": upload.pk,
        "delivery": str(delivery.pk),
        "template": template.pk,
        "doomed_template": doomed_template.pk,
        "connection": connection.pk,
        "doomed_connection": doomed_connection.pk,
        "webhook": webhook.pk,
        "doomed_webhook": doomed_webhook.pk,
        "integration": integration.pk,
        "doomed_integration": doomed_integration.pk,
        "integration_log": log.pk,
    }
