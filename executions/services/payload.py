"""The Turn a chat endpoint answers with (docs/chat-api.md)."""

from executions.models import ChatMessage, ChatSession


def turn_payload(session: ChatSession, messages: list[dict], actions) -> dict:
    """The Turn (docs/chat-api.md); `messages` are the turn's ChatMessage rows."""
    return {
        "session_id": str(session.id),
        "status": session.status,
        "messages": [message_payload(m) for m in messages if m["sender"] == ChatMessage.Sender.BOT],
        "input": session.state["input"] if session.status == ChatSession.Status.ACTIVE else None,
        "actions": [dict(a) for a in actions],
    }


def message_payload(message: dict) -> dict:
    return {"id": f"m{message['seq']}", "node_id": message["node_id"], "type": message["type"], **message["content"]}
