import pytest

import executions.runner  # noqa: F401 - registers the handlers
from components.catalog import BLOCKING_TYPES, COMPONENT_TYPES
from executions.runner.errors import RegistryError
from executions.runner.registry import get_handler, register, registered_types


def test_every_catalog_type_has_a_handler():
    assert registered_types() == set(COMPONENT_TYPES)


def test_input_handlers_present_and_accept_and_the_others_execute():
    for type_name in COMPONENT_TYPES:
        handler = get_handler(type_name)
        if type_name in BLOCKING_TYPES:
            assert callable(handler.present) and callable(handler.accept), type_name
        else:
            assert callable(handler.execute), type_name


def test_registering_an_unknown_type_is_refused():
    class Handler:
        def execute(self, node, turn): ...

    with pytest.raises(RegistryError, match="not a component type"):
        register("teleport")(Handler)


def test_registering_a_type_twice_is_refused():
    original = get_handler("message")

    class Handler:
        def execute(self, node, turn): ...

    with pytest.raises(RegistryError, match="already has a handler"):
        register("message")(Handler)
    assert get_handler("message") is original


def test_an_input_handler_without_accept_is_refused(monkeypatch):
    monkeypatch.setattr("executions.runner.registry._HANDLERS", {})

    class Handler:
        def present(self, node, turn): ...

    with pytest.raises(RegistryError, match="accept"):
        register("email_input")(Handler)
    assert get_handler("email_input") is None


def test_a_non_blocking_handler_without_execute_is_refused(monkeypatch):
    monkeypatch.setattr("executions.runner.registry._HANDLERS", {})

    class Handler:
        def present(self, node, turn): ...

        def accept(self, node, value, turn): ...

    with pytest.raises(RegistryError, match="execute"):
        register("wait")(Handler)


def test_register_accepts_an_instance_and_returns_the_decorated_object(monkeypatch):
    monkeypatch.setattr("executions.runner.registry._HANDLERS", {})

    class Handler:
        def execute(self, node, turn): ...

    instance = Handler()
    assert register("wait")(instance) is instance
    assert get_handler("wait") is instance
