"""What executions records when the outgoing traffic of a session settles (integrations sends it)."""

from django.dispatch import receiver

from executions.models import ChatSession, ExecutionLog
from integrations.models import OutgoingEmail
from integrations.signals import email_settled


@receiver(email_settled, dispatch_uid="executions_email_settled")
def email_settled_logged(sender, *, email: OutgoingEmail, sent: bool, attempts: int, error: str, **kwargs) -> None:
    """The session's log says when its email was sent or given up; a session that keeps no
    results and has ended forgets the email instead, and logs nothing about it."""
    session = email.session
    if not session.save_results and session.status != ChatSession.Status.ACTIVE:
        OutgoingEmail.objects.filter(pk=email.pk).delete()
        return
    recipients = len(email.to)
    plural = "s" if recipients != 1 else ""
    ExecutionLog.objects.create(
        session_id=email.session_id,
        node_id=email.node_id,
        node_type="send_email",
        level="info" if sent else "error",
        message=(
            f"Email sent to {recipients} recipient{plural}."
            if sent
            else f"Email not sent: the mail server refused or failed {attempts} times ({error})."
        ),
        details={"recipient_count": recipients, "attempts": attempts, **({"error": error} if error else {})},
    )
