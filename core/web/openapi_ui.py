"""The OpenAPI UI (Swagger UI) as a page a strict Content-Security-Policy allows.

Litestar's Swagger plugin starts the UI with an inline ``<script>`` and an
inline ``<style>``; here the page loads the spec by URL and starts the UI
from ``static/openapi-ui.js``, served by the platform like the UI's own assets.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from litestar import Request
from litestar.openapi.plugins import SwaggerRenderPlugin

OPENAPI_UI_STATIC = Path(__file__).resolve().parent / "static"
OPENAPI_UI_ASSETS = "/static/openapi"


class StrictSwaggerRenderPlugin(SwaggerRenderPlugin):
    def __init__(self, *, csrf_cookie: str, csrf_header: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.csrf_cookie = csrf_cookie
        self.csrf_header = csrf_header

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        title = html.escape(str(openapi_schema["info"]["title"]))
        spec_url = html.escape(self.get_openapi_json_route(request))
        return f"""<!DOCTYPE html>
<html>
<head>
  <title>{title}</title>
  {self.favicon}
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link href="{self.css_url}" rel="stylesheet">
  <link href="{OPENAPI_UI_ASSETS}/openapi-ui.css" rel="stylesheet">
  <script src="{self.js_url}" defer></script>
  <script src="{self.standalone_preset_js_url}" defer></script>
  <script src="{OPENAPI_UI_ASSETS}/openapi-ui.js" defer></script>
</head>
<body>
  <div id="swagger-container" data-spec-url="{spec_url}" data-csrf-cookie="{html.escape(self.csrf_cookie)}"
       data-csrf-header="{html.escape(self.csrf_header)}"></div>
</body>
</html>""".encode()
