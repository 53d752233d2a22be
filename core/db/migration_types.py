"""Column types as migrations reference them (``sa_types.<Name>``)."""

from core.db.types import DateTimeUTC, JSONDocument

__all__ = ["DateTimeUTC", "JSONDocument"]
