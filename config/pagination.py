import re

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

_POSITIVE_INTEGER = re.compile(r"[1-9][0-9]*")


class StandardPagination(PageNumberPagination):
    """Page-number pagination whose `page` and `page_size` are positive integers or a 400
    (DRF's own quietly reads `page=` as the first page and `page_size=true`, `null` or a list
    as the default size); sizes above `max_page_size` are capped, a page past the end is a 404."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    last_page_strings = ()  # the schema says a page is a number

    def get_page_number(self, request, paginator):
        values = request.query_params.getlist(self.page_query_param)
        if not values:
            return 1
        if len(values) > 1 or not _POSITIVE_INTEGER.fullmatch(values[0]):
            raise ValidationError({self.page_query_param: ["A positive whole number, given once."]})
        return values[0]

    def get_page_size(self, request):
        values = request.query_params.getlist(self.page_size_query_param)
        if not values:
            return self.page_size
        if len(values) > 1 or not _POSITIVE_INTEGER.fullmatch(values[0]):
            raise ValidationError({self.page_size_query_param: ["A positive whole number, given once."]})
        if len(values[0]) > 9:  # whatever its digits, more than the cap
            return self.max_page_size
        return min(int(values[0]), self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = f"Results per page: 1 to {self.max_page_size} (more is capped)."
        return parameters
