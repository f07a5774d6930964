"""Chatbots in and out of files: Typebot exports (`typebot`) and our own format (`native`).

An importer reads a document into an `ImportPlan` (nothing written); `services.chatbot_import`
creates the draft chatbot from it in one transaction, every graph through `graph_save`.
"""
