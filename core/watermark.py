"""The mark every export of personal data carries: who exported it and when (PIPL, 等保 L3).

A leaked spreadsheet then names the account it came from. The text goes into the workbook's
properties and into the header of every printed page, where opening and printing keep it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.clock import district_now


def export_watermark(display_name: str, username: str, at: dt.datetime | None = None) -> str:
    at = at or district_now()
    return f"{display_name}（{username}）于 {at:%Y-%m-%d %H:%M} 导出 · 仅限工作使用，请勿外传"


def watermark_workbook(workbook: Any, display_name: str, username: str, at: dt.datetime | None = None) -> str:
    """Mark an openpyxl workbook (its sheets already created); returns the text."""
    text = export_watermark(display_name, username, at)
    workbook.properties.creator = username
    workbook.properties.lastModifiedBy = username
    workbook.properties.description = text
    for sheet in workbook.worksheets:
        # "&" starts a code in Excel's header syntax; a name holding one must print as itself.
        sheet.oddHeader.center.text = text.replace("&", "&&")
        sheet.oddFooter.right.text = "&P / &N"
    return text
