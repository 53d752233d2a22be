"""The web console for districts: server-rendered pages (Jinja2 + htmx) under ``/t/<tenant>/console``."""
