"""Every user-facing message has its Simplified Chinese translation: the core's in the core's
catalogue, each built-in plugin's in its own (``plugins/<slug>/locale``), as a plugin installed
with pip ships it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = {"core": ROOT / "core/locale/zh_CN/LC_MESSAGES/quanyu.po"} | {
    f"plugins/{d.name}": d / "locale/zh_CN/LC_MESSAGES" / f"{d.name}.po"
    for d in sorted((ROOT / "plugins").iterdir())
    if d.is_dir() and (d / "__init__.py").exists()
}


def source_messages(package: str) -> set[str]:
    return {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / package, method_map=[("**.py", "python")], keywords={"_": None}
        )
    }


def read(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="zh_CN")
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}


@pytest.mark.parametrize("package", sorted(CATALOGUES))
def test_every_message_has_a_chinese_translation(package: str) -> None:
    missing = sorted(source_messages(package) - read(CATALOGUES[package]).keys())
    assert not missing, f"untranslated in {CATALOGUES[package].relative_to(ROOT)}:\n" + "\n".join(missing)


@pytest.mark.parametrize("package", sorted(CATALOGUES))
def test_placeholders_survive_translation(package: str) -> None:
    for message_id, text in read(CATALOGUES[package]).items():
        assert set(re.findall(r"\{(\w+)\}", message_id)) == set(re.findall(r"\{(\w+)\}", text)), message_id
