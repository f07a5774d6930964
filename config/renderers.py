from rest_framework.renderers import BaseRenderer


class CSVRenderer(BaseRenderer):
    """Lets `?format=csv` select CSV; the views stream the body themselves."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        # Only errors reach here (the CSV itself is streamed): keep them readable.
        import json

        return json.dumps(data).encode() if data is not None else b""
