"""Signals of outgoing traffic, for the apps above integrations that keep their own records."""

from django.dispatch import Signal

# A queued email (OutgoingEmail) was sent or given up, inside the transaction that records it.
# Keyword arguments: email (the OutgoingEmail), sent (bool), attempts (int), error (str, "" when sent).
email_settled = Signal()
