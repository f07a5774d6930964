"""Query-string filters that refuse what they cannot read, instead of ignoring it."""

from django import forms
from django.db import models

from django_filters import rest_framework as filters
from django_filters.widgets import BooleanWidget

_BOOLEAN_WORDS = {"true", "false", "1", "0"}


class _BooleanWidget(BooleanWidget):
    # django-filter's widget turns any other word into "no filter"; pass it on to be refused.
    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        if isinstance(value, str) and value and value.lower() not in _BOOLEAN_WORDS:
            return value
        return super().value_from_datadict(data, files, name)


class _BooleanField(forms.NullBooleanField):
    def to_python(self, value):
        if value in (True, False, None, ""):
            return None if value == "" else value
        raise forms.ValidationError("Use true or false.", code="invalid")


class BooleanFilter(filters.BooleanFilter):
    field_class = _BooleanField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", _BooleanWidget)
        super().__init__(*args, **kwargs)


class FilterSet(filters.FilterSet):
    """The project's base FilterSet: model boolean fields filter strictly."""

    FILTER_DEFAULTS = {
        **filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": BooleanFilter},
    }


class FilterBackend(filters.DjangoFilterBackend):
    filterset_base = FilterSet
