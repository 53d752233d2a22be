"""Attachments: files that belong to a record, stored once per district by content hash."""
