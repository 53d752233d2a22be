"""The disclosure report (公示) as files: a spreadsheet (openpyxl) and a PDF (reportlab, with its
built-in CID font ``STSong-Light`` so Chinese renders without font files). Every export is audited and
carries the platform's export watermark (who exported it, when): the report names the people it helped."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from typing import Any
from urllib.parse import quote

from litestar import Response
from sqlalchemy.ext.asyncio import AsyncSession

from core.api import Principal, district_now, export_watermark, watermark_workbook
from plugins.care_fund import services
from plugins.care_fund.schemas import DisclosureOut

SOURCE_NAMES = {
    "party_dues": "党费划转",
    "unit_donation": "单位捐助",
    "member_donation": "党员捐款",
    "social_donation": "社会捐赠",
}
HARDSHIP_NAMES = {
    "elderly": "困难老党员",
    "illness": "因病困难",
    "disability": "残疾",
    "low_income": "低收入",
    "disaster": "突发灾害",
    "other": "其他困难",
}
CJK_FONT = "STSong-Light"


def rows_of(report: DisclosureOut) -> list[list[str]]:
    """The report as lines of cells, shared by both formats."""
    y = services.yuan
    lines = [
        [f"{report.org_name} · {report.fund_name} 收支公示"],
        [f"公示期间：{report.start.isoformat()} 至 {report.end.isoformat()}"],
        ["期初余额（元）", y(report.opening_balance_fen)],
        ["收入来源", "金额（元）"],
    ]
    lines += [[SOURCE_NAMES[s.source], y(s.amount_fen)] for s in report.income]
    lines += [["收入合计", y(report.income_total_fen)], ["帮扶支出", "", "", "", ""]]
    lines += [["日期", "帮扶对象", "困难类别", "用途", "金额（元）"]]
    lines += [
        [
            p.paid_on.isoformat(),
            p.beneficiary,
            HARDSHIP_NAMES.get(p.hardship, p.hardship),
            p.purpose,
            y(p.amount_fen),
        ]
        for p in report.disbursements
    ]
    lines += [["支出合计", y(report.disbursed_total_fen)], ["期末余额（元）", y(report.closing_balance_fen)]]
    return lines


def to_xlsx(report: DisclosureOut, principal: Principal, at: dt.datetime) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "公示"
    for line in rows_of(report):
        sheet.append(line)
    for column, width in zip("ABCDE", (18, 14, 14, 30, 14), strict=True):
        sheet.column_dimensions[column].width = width
    watermark_workbook(book, principal.display_name, principal.username, at)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_pdf(report: DisclosureOut, principal: Principal, at: dt.datetime) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    title = ParagraphStyle("title", fontName=CJK_FONT, fontSize=15, leading=20)
    body = ParagraphStyle("body", fontName=CJK_FONT, fontSize=10, leading=14)
    lines = rows_of(report)
    width = max(len(line) for line in lines[2:])
    cells = [line + [""] * (width - len(line)) for line in lines[2:]]
    table = Table(cells)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), CJK_FONT),
                ("FONTSIZE", (0, 0), (-1, -1), 9),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
            ]
        )
    )
    mark = export_watermark(principal.display_name, principal.username, at)

    def mark_page(canvas: Any, page: Any) -> None:
        canvas.saveState()
        canvas.setFont(CJK_FONT, 8)
        canvas.setFillColor(colors.grey)
        canvas.drawCentredString(A4[0] / 2, A4[1] - 20, mark)
        canvas.drawRightString(A4[0] - page.rightMargin, 20, str(canvas.getPageNumber()))
        canvas.restoreState()

    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=lines[0][0],
        author=principal.username,
        subject=mark,
        creator="quanyu care_fund",
    )
    story = [Paragraph(lines[0][0], title), Paragraph(lines[1][0], body), Spacer(1, 8), table]
    document.build(story, onFirstPage=mark_page, onLaterPages=mark_page)
    return out.getvalue()


async def export(
    session: AsyncSession,
    principal: Principal,
    fund_id: uuid.UUID,
    start: dt.date | None,
    end: dt.date | None,
    kind: str,
) -> tuple[bytes, str]:
    """The fund's disclosure report as ``kind`` ("xlsx" or "pdf") and its file name; audited."""
    report = await services.disclosure(session, principal, fund_id, start, end)
    fund = await services.fund_in_scope(session, principal, fund_id, services.READ)
    at = district_now()
    content = to_xlsx(report, principal, at) if kind == "xlsx" else to_pdf(report, principal, at)
    mark = export_watermark(principal.display_name, principal.username, at)
    await services.audit_export(session, report, kind, fund.org_node_id, mark)
    return content, f"{report.fund_name}公示{report.start.isoformat()}_{report.end.isoformat()}.{kind}"


def download(content: bytes, name: str, media_type: str) -> Response[bytes]:
    return Response(
        content=content,
        media_type=media_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
    )
