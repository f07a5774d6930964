"""One handler per component type; importing this package registers them all."""

from executions.runner.handlers import (  # noqa: F401 - imported for their registrations
    ab_test,
    client_actions,
    condition,
    end,
    flow_link,
    inputs,
    integrations,
    jump,
    media,
    message,
    set_variable,
    start,
)
