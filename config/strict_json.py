"""JSON bodies are typed as the schema says: DRF's fields quietly convert what they are given
(`"description": 0` becomes "0", `"is_active": 0` becomes false, `"count": "5"` becomes 5),
so a client's mistake is stored instead of refused and the schema's types are not what the
API enforces. `install()` (run once, from config.apps) makes the scalar fields of every
serializer take only their own JSON type; values from query strings and forms, which are
always text, are read as before.
"""

from django.http import QueryDict

from rest_framework import serializers


def _integral(value) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# Field class -> what a JSON value for it must be. Subclasses (EmailField, RegexField, IdField,
# FiniteFloatField…) inherit the rule.
JSON_TYPES = {
    serializers.CharField: lambda value: isinstance(value, str),
    serializers.UUIDField: lambda value: isinstance(value, str),
    serializers.BooleanField: lambda value: isinstance(value, bool),
    serializers.IntegerField: _integral,
    serializers.FloatField: _number,
    serializers.DecimalField: _number,
}


def _from_text(field) -> bool:
    """Whether the value came from a query string or a form (text), not a JSON body."""
    return isinstance(getattr(field.root, "initial_data", None), QueryDict)


def _strict(original, accepts):
    def to_internal_value(self, data):
        if not accepts(data) and not _from_text(self):
            self.fail("invalid")
        return original(self, data)

    to_internal_value.strict_json = True
    return to_internal_value


def install() -> None:
    for field_class, accepts in JSON_TYPES.items():
        current = field_class.__dict__["to_internal_value"]
        if not getattr(current, "strict_json", False):
            field_class.to_internal_value = _strict(current, accepts)
