"""Query-string filters that refuse what they cannot read, instead of ignoring it."""

import re

from django import forms
from django.db import models

from django_filters import rest_framework as filters
from django_filters.widgets import BooleanWidget
from drf_spectacular.utils import extend_schema_field

from config.fields import MAX_ID

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


class _IdField(forms.IntegerField):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=1, max_value=MAX_ID, **kwargs)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class RelatedIdFilter(filters.NumberFilter):
    """A related object's integer id, checked for form only."""

    field_class = _IdField


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class _CanonicalUUIDField(forms.UUIDField):
    # Django also reads "{…}", "urn:uuid:…" and 32 bare hex digits; the schema says uuid.
    def to_python(self, value):
        if isinstance(value, str) and value and not _UUID.fullmatch(value):
            raise forms.ValidationError("Enter a UUID (8-4-4-4-12 hex digits).", code="invalid")
        return super().to_python(value)


class UUIDFilter(filters.UUIDFilter):
    field_class = _CanonicalUUIDField


class FilterSet(filters.FilterSet):
    """The project's base FilterSet: model boolean fields filter strictly, and a filter on a
    related object (`?chatbot=`, `?session=`, `?webhook=`…) checks only the id's form (400 for
    "abc") and never looks the object up: an id that does not exist and one that belongs to
    someone else both give an empty list, so a filter cannot tell whether an object exists."""

    FILTER_DEFAULTS = {
        **filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": BooleanFilter},
    }

    @classmethod
    def filter_for_lookup(cls, field, lookup_type):
        if isinstance(field, models.ForeignKey | models.OneToOneField) and lookup_type == "exact":
            if isinstance(field.target_field, models.UUIDField):
                return UUIDFilter, {}
            return RelatedIdFilter, {}
        return super().filter_for_lookup(field, lookup_type)

    def is_valid(self):
        """Also refuse a parameter given empty (`?status=`, `?chatbot=`) where text is not what
        it takes: django-filter reads that as no filter, the schema as an invalid value."""
        valid = super().is_valid()
        for name, query_filter in self.filters.items():
            if not isinstance(query_filter, filters.CharFilter) and self.data.get(name, None) == "":
                self.form.add_error(name, "Give a value, or leave the parameter out.")
                valid = False
        return valid


class FilterBackend(filters.DjangoFilterBackend):
    filterset_base = FilterSet
