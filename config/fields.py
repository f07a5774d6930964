import math

from rest_framework import serializers


class FiniteFloatField(serializers.FloatField):
    """A float that is a real number: "NaN" and "Infinity" strings are refused, not stored."""

    default_error_messages = {"not_finite": "Must be a finite number."}

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("not_finite")
        return value


class BoundedJSONField(serializers.JSONField):
    """Any JSON value, at most `max_bytes` once serialised."""

    def __init__(self, *args, max_bytes: int = 10_000, **kwargs):
        self.max_bytes = max_bytes
        super().__init__(*args, **kwargs)

    def to_internal_value(self, data):
        import json

        value = super().to_internal_value(data)
        try:
            size = len(json.dumps(value))
        except (TypeError, ValueError) as exc:
            raise serializers.ValidationError("Must be JSON.") from exc
        if size > self.max_bytes:
            raise serializers.ValidationError(f"At most {self.max_bytes} bytes of JSON.")
        return value


MAX_ID = 2**63 - 1


def IdField(**kwargs) -> serializers.IntegerField:
    """A primary key given in a body: positive and within a 64-bit column."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)
