from django.dispatch import Signal

# Sent inside the publishing transaction, with `chatbot` and `version`. Apps above chatbots
# (the webhook outbox) listen; chatbots itself knows none of them.
chatbot_published = Signal()
