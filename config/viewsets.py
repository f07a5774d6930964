"""The one place where every owner-scoped view gets its queryset: from a selector.

A view names the selector that returns what its user owns (`selector`) and, on nested routes,
which URL kwargs it takes (`selector_kwargs`); an action that lists something else names its own
(`action_selectors`, called with the user only). Another user's objects are then simply not
there: 404 on detail URLs and actions, absent from lists. Views may not override
`get_queryset` (checked when the class is defined), so none can bypass its selector.
"""

from collections.abc import Callable, Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Model, QuerySet

from rest_framework import viewsets
from rest_framework.exceptions import NotFound

# Ids in URLs: digits only and short enough for a 64-bit column, so a path segment can
# never reach the database as something it would choke on.
ID_REGEX = "[0-9]{1,18}"


class OwnedQuerysetMixin:
    selector: Callable[..., QuerySet]
    action_selectors: Mapping[str, Callable[..., QuerySet]] = {}
    # URL kwarg -> the selector's keyword for it (nested routes: {"chatbot_pk": "chatbot_id"}).
    selector_kwargs: Mapping[str, str] = {}
    lookup_value_regex = ID_REGEX
    # An action may be throttled on its own: @action(throttle_classes=[...], throttle_scope="...").
    throttle_scope: str | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(
                f"{cls.__name__} overrides get_queryset: name a selector instead (`selector`, `action_selectors`)."
            )

    def get_queryset(self) -> QuerySet:
        user = self.request.user
        # The schema generator builds views without URL kwargs, whoever asks for the schema.
        authenticated = bool(user and user.is_authenticated) and not getattr(self, "swagger_fake_view", False)
        if not authenticated:
            # Only the schema generator asks without a user (permissions refuse everyone else
            # first): the selector still names the model, for a user who owns nothing.
            user = get_user_model()(pk=0)
        if self.action in self.action_selectors:
            queryset = self.action_selectors[self.action](user=user)
        else:
            kwargs = {name: self.kwargs[kwarg] if authenticated else 0 for kwarg, name in self.selector_kwargs.items()}
            queryset = self.selector(user=user, **kwargs)
        return queryset if authenticated else queryset.none()

    def filter_queryset(self, queryset):
        # List filters (?status=…, ?search=…) narrow lists; on a detail URL the query string
        # belongs to the action (e.g. results' ?status=) and must not hide the object.
        if self.detail:
            return queryset
        return super().filter_queryset(queryset)

    def get_parent(self, getter: Callable[..., Model | None], kwarg: str, **extra: Any) -> Model:
        """The parent object named by URL kwarg `kwarg`, from `getter(user=, pk=, **extra)` (a
        selector returning the object if the user owns it, else None); 404 when it is None."""
        obj = getter(user=self.request.user, pk=self.kwargs[kwarg], **extra)
        if obj is None:
            raise NotFound()
        return obj


class OwnedModelViewSet(OwnedQuerysetMixin, viewsets.ModelViewSet):
    pass


class OwnedReadOnlyViewSet(OwnedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    pass
