"""The side effects the runner may use (outgoing HTTP, email), bound to one session."""


def http_caller(session_id: str):
    return None


def email_sender(session_id: str):
    return None
