"""Every user-facing message of the core has its Simplified Chinese translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def source_messages() -> set[str]:
    found = set()
    for package in ("core", "plugins"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords={"_": None}
        ):
            found.add(message)
    return found


def test_every_message_has_a_chinese_translation():
    with (ROOT / "core/locale/zh_CN/LC_MESSAGES/quanyu.po").open("rb") as handle:
        catalog = read_po(handle, locale="zh_CN")
    translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(source_messages() - translated.keys())
    assert not missing, "untranslated (run `make messages`, then translate):\n" + "\n".join(missing)


def test_placeholders_survive_translation():
    import re

    with (ROOT / "core/locale/zh_CN/LC_MESSAGES/quanyu.po").open("rb") as handle:
        catalog = read_po(handle, locale="zh_CN")
    for message in catalog:
        if message.id and message.string:
            assert set(re.findall(r"\{(\w+)\}", message.id)) == set(
                re.findall(r"\{(\w+)\}", message.string)
            ), message.id
