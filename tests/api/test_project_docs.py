"""The project documents itself: docs/ exists, its links resolve, it names every component type,
input, message and event the code has, and nothing cites documents outside the repository."""

import re
from pathlib import Path

import pytest

from components.catalog import COMPONENT_TYPES, INPUT_TYPES
from config.contract import ACTIONS, BUBBLES
from integrations.models import EVENT_CHOICES

PROJECT = Path(__file__).resolve().parents[2]
DOCS = PROJECT / "docs"
PAGES = ["README.md", "graph.md", "components.md", "chat-api.md", "widget.md", "webhooks.md", "errors.md"]
OWN_FILES = [
    path
    for pattern in ("*.py", "*.md", "Makefile", ".env.example", "pyproject.toml", "requirements.txt")
    for path in PROJECT.rglob(pattern)
    if not {".venv", ".git", "node_modules"} & set(path.relative_to(PROJECT).parts)
]


def _text(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def test_every_page_exists_and_the_readme_points_to_each():
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    for page in PAGES:
        assert (DOCS / page).is_file(), page
        if page != "README.md":
            assert f"docs/{page}" in readme, page


@pytest.mark.parametrize("page", ["README.md", *(f"docs/{page}" for page in PAGES)])
def test_relative_links_resolve(page):
    path = PROJECT / page
    for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", path.read_text(encoding="utf-8")):
        assert (path.parent / target).exists(), (page, target)


def test_nothing_cites_documents_that_are_not_in_the_repository():
    cited = re.compile(r"CONTRACT[ ]§|(CONTRACT|STYLE|DESIGN)[.]md")
    offenders = [str(path.relative_to(PROJECT)) for path in OWN_FILES if cited.search(path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_the_component_page_covers_every_type():
    text = _text("components.md")
    missing = [name for name in COMPONENT_TYPES if f"`{name}`" not in text]
    assert missing == []


def test_the_chat_page_covers_every_input_message_and_action():
    text = _text("chat-api.md")
    missing = [name for name in [*INPUT_TYPES, *BUBBLES, *ACTIONS] if f"`{name}`" not in text]
    assert missing == []


def test_the_webhook_page_covers_every_event():
    text = _text("webhooks.md")
    assert [event for event, _ in EVENT_CHOICES if f"`{event}`" not in text] == []
