class PublishValidationError(Exception):
    """The chatbot's flows have errors; `detail` lists them as {flow_id, node_id, code, message}."""

    def __init__(self, detail: list[dict]):
        super().__init__("The chatbot has errors that block publishing.")
        self.detail = detail


class GraphValidationError(Exception):
    """A graph write was refused; `detail` is {"nodes"|"edges"|"variables": {item_id: {field: [message]}}}."""

    def __init__(self, detail: dict):
        super().__init__("The graph is invalid.")
        self.detail = detail


class ImportRefused(Exception):
    """A chatbot file cannot be imported (malformed, of an unknown format or too large); nothing
    was created. `detail` names what is wrong: {"<where in the file>": ["message"]}."""

    def __init__(self, detail: dict[str, list[str] | str | dict]):
        super().__init__("The file cannot be imported.")
        self.detail = detail
