"""The one place where every owner-scoped queryset is filtered.

Views declare how their model reaches its owner (`owner_field`) and how URL kwargs of
nested routes narrow it (`parent_lookups`); another user's objects are then simply not
there: 404 on detail URLs and actions, absent from lists.
"""

from rest_framework import viewsets
from rest_framework.exceptions import NotFound

# Ids in URLs: digits only and short enough for a 64-bit column, so a path segment can
# never reach the database as something it would choke on.
ID_REGEX = "[0-9]{1,18}"


class OwnedQuerysetMixin:
    owner_field: str = "owner"
    parent_lookups: dict[str, str] = {}
    lookup_value_regex = ID_REGEX
    # An action may be throttled on its own: @action(throttle_classes=[...], throttle_scope="...").
    throttle_scope: str | None = None

    def get_queryset(self):
        queryset = super().get_queryset()
        user = self.request.user
        if not user or not user.is_authenticated:
            return queryset.none()
        filters = {self.owner_field: user}
        for kwarg, field in self.parent_lookups.items():
            filters[field] = self.kwargs[kwarg]
        return queryset.filter(**filters)

    def filter_queryset(self, queryset):
        # List filters (?status=…, ?search=…) narrow lists; on a detail URL the query string
        # belongs to the action (e.g. results' ?status=) and must not hide the object.
        if self.detail:
            return queryset
        return super().filter_queryset(queryset)

    def get_parent(self, model, kwarg: str, owner_field: str = "owner"):
        """The parent object named in the URL, if the user owns it; else 404."""
        obj = model.objects.filter(pk=self.kwargs[kwarg], **{owner_field: self.request.user}).first()
        if obj is None:
            raise NotFound()
        return obj


class OwnedModelViewSet(OwnedQuerysetMixin, viewsets.ModelViewSet):
    pass


class OwnedReadOnlyViewSet(OwnedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    pass
