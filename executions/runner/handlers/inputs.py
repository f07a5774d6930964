"""The input types: what each shows the client and how its answer is parsed
(`executions.runner.inputs` has one parse function per type)."""

from typing import Any

from executions.runner import inputs
from executions.runner.handlers.base import InputHandler, is_safe_url, setting
from executions.runner.registry import register
from executions.runner.state import InputRequest
from executions.runner.turn import Accepted, Node, Turn


@register("text_input")
class TextInput(InputHandler):
    options = ("placeholder", "multiline", "min_length", "max_length")

    def parse(self, value: Any, node: Node, turn: Turn) -> Any:
        return inputs.parse_text(value, node.data)


@register("number_input")
class NumberInput(InputHandler):
    options = ("placeholder", "min", "max", "step")

    def parse(self, value: Any, node: Node, turn: Turn) -> Any:
        return inputs.parse_number(value, node.data)


@register("email_input")
class EmailInput(InputHandler):
    def parse(self, value: Any, node: Node, turn: Turn) -> Any:
        return inputs.parse_email(value, node.data)


@register("phone_input")
class PhoneInput(InputHandler):
    options = ("placeholder", "default_country")

    def parse(self, value: Any, node: Node, turn: Turn) -> Any:
        return inputs.parse_phone(value, node.data)


@register("url_input")
class UrlInput(InputHandler):
    def parse(self, value: Any, node: Node, turn: Turn) -> Any:
        return inputs.parse_url(value, node.data)


@register("date_input")
class DateInput(InputHandler):
    options = ("with_time", "range", "min", "max")

    def parse(self, value: Any, node: Node, turn: Turn) -> Any:
        return inputs.parse_date(value, node.data, now=turn.now)


@register("rating")
class Rating(InputHandler):
    options = ("min", "max")

    def parse(self, value: Any, node: Node, turn: Turn) -> Any:
        return inputs.parse_rating(value, node.data)


@register("file_upload")
class FileUpload(InputHandler):
    options = ("allowed_types", "max_size_mb", "required")

    def parse(self, value: Any, node: Node, turn: Turn) -> Any:
        return inputs.parse_file(value, node.data)


@register("choice")
class Choice(InputHandler):
    """Buttons. A single choice follows the chosen option's handle when it has an edge, else
    `default`; a multiple choice always follows `default`. Option values never reach the client.
    With `dynamic_variable`, the options are the items of that list variable (see
    `inputs.choice_options`)."""

    options = ("multiple",)
    with_images = False

    def present(self, node: Node, turn: Turn) -> InputRequest:
        choices = []
        for option in inputs.choice_options(node.data, turn.variables):
            choice = {"id": option["id"], "label": inputs.option_label(option, turn.render)}
            if self.with_images:
                image_url = option.get("image_url", "")
                image_url = (image_url if option.get("dynamic") else turn.render(image_url)).strip()
                choice["image_url"] = image_url if is_safe_url(image_url) else ""
            choices.append(choice)
        return InputRequest(
            node_id=node.id, type=node.type, options=self.request_options(node, turn), choices=tuple(choices)
        )

    def accept(self, node: Node, value: Any, turn: Turn) -> Accepted:
        stored, option_id = inputs.parse_choice(value, node.data, render=turn.render, variables=turn.variables)
        if option_id is not None and not setting(node, "multiple") and option_id in node.next:
            return Accepted(stored, handle=option_id)
        return Accepted(stored, handle="default")


@register("picture_choice")
class PictureChoice(Choice):
    with_images = True
