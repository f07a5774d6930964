class MainFlowDeletionError(Exception):
    """The main flow of a chatbot cannot be deleted."""
