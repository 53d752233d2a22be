"""The operator CLI: provisioning, listing, suspending, users and the demo district; bad input exits non-zero."""

from __future__ import annotations

import ast
import json

import pytest


def write(tmp_path, text, name="d.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def definition(code="320101", slug="xuanwu", extra=""):
    return f'code = "{code}"\nslug = "{slug}"\nname_zh = "玄武区"\nname_en = "Xuanwu District"\n{extra}'


def unique(prefix):
    import secrets

    return f"{prefix}{secrets.token_hex(3)}", str(200000 + secrets.randbelow(600000))


def test_create_list_show_suspend_resume(cli, tmp_path):
    slug, code = unique("cli")
    path = write(tmp_path, definition(code, slug))
    result = cli(*["tenant", "create", "--from", str(path)])
    assert result.exit_code == 0, result.output
    assert f"created district {slug}" in result.output

    listed = json.loads(cli(*["tenant", "list", "--json"]).output)
    assert slug in [t["slug"] for t in listed]
    shown = cli(*["tenant", "show", slug, "--json"])
    assert json.loads(shown.output)["org_nodes"] == 1

    assert cli(*["tenant", "suspend", slug]).exit_code == 0
    again = cli(*["tenant", "suspend", slug])
    assert again.exit_code != 0 and "already suspended" in again.output
    assert cli(*["tenant", "resume", code]).exit_code == 0


def test_overrides_and_duplicates_write_nothing(cli, tmp_path):
    slug, code = unique("dup")
    path = write(tmp_path, definition(code, slug))
    assert cli(*["tenant", "create", "--from", str(path)]).exit_code == 0
    before = cli(*["tenant", "list", "--json"]).output

    same_slug = cli(*["tenant", "create", "--from", str(path), "--code", "310101"])
    assert same_slug.exit_code == 1 and f"slug '{slug}' already exists" in same_slug.output
    other_slug, _ = unique("dup")
    same_code = cli(*["tenant", "create", "--from", str(path), "--slug", other_slug])
    assert same_code.exit_code == 1 and f"code '{code}' already exists" in same_code.output
    assert cli(*["tenant", "list", "--json"]).output == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('code = "320101"\nslug = \n', "not valid TOML"),
        (definition(extra="colour = 1\n"), "line 5: Object contains unknown field `colour`"),
        (definition(code="12"), "line 1"),
        (definition(slug="Bad Slug"), "$.slug"),
        (definition(extra="[settings.security]\nlockout_attempts = 0\n"), "lockout_attempts"),
        ('slug = "x1"\n', "missing required field `code`"),
    ],
)
def test_bad_definitions_exit_non_zero(cli, tmp_path, text, expected):
    before = cli(*["tenant", "list", "--json"]).output
    result = cli(*["tenant", "create", "--from", str(write(tmp_path, text))])
    assert result.exit_code == 1
    assert expected in result.output
    assert "Traceback" not in result.output
    assert cli(*["tenant", "list", "--json"]).output == before


def test_missing_file_and_unknown_tenant(cli, tmp_path):
    missing = cli(*["tenant", "create", "--from", str(tmp_path / "nope.toml")])
    assert missing.exit_code == 1 and "no such file" in missing.output
    unknown = cli(*["tenant", "show", "nosuchdistrict"])
    assert unknown.exit_code == 1 and "no district" in unknown.output


def test_user_create_and_separation_of_duties(cli, tmp_path):
    slug, code = unique("usr")
    cli(*["tenant", "create", "--from", str(write(tmp_path, definition(code, slug)))])
    created = cli(
        *["user", "create", "--tenant", slug, "--username", "zhang", "--name", "张三", "--role", "viewer"]
    )
    assert created.exit_code == 0, created.output
    assert "one-time password" in created.output
    mixed = cli(
        *[
            "user",
            "create",
            "--tenant",
            slug,
            "--username",
            "li",
            "--name",
            "李四",
            "--role",
            "system_admin",
            "--role",
            "audit_admin",
        ],
    )
    assert mixed.exit_code == 1 and "Separation of duties" in mixed.output
    weak = cli(
        *[
            "user",
            "create",
            "--tenant",
            slug,
            "--username",
            "wang",
            "--name",
            "王五",
            "--role",
            "viewer",
            "--password-stdin",
        ],
        input="short\n",
    )
    assert weak.exit_code == 1 and "password" in weak.output
    duplicate = cli(
        *["user", "create", "--tenant", slug, "--username", "zhang", "--name", "张三", "--role", "viewer"]
    )
    assert duplicate.exit_code == 1 and "username: The username zhang is taken." in duplicate.output
    shown = json.loads(cli(*["tenant", "show", slug, "--json"]).output)
    assert shown["users"] == 1


def test_demo_ensure_provisions_runzhou_once(cli, test_settings):
    from pathlib import Path

    definition = Path(__file__).resolve().parent.parent / "tenants" / "runzhou.toml"
    first = cli("demo", "ensure", "--definition", str(definition))
    assert first.exit_code == 0, first.output
    assert "12000 people" in first.output
    logins = (Path(test_settings.var_dir) / "demo-logins.txt").read_text(encoding="utf-8")
    assert "administrator: admin / " in logins
    for role in (
        "system_admin",
        "security_admin",
        "audit_admin",
        "org_admin",
        "secretary",
        "staff",
        "viewer",
    ):
        assert role in logins
    shown = json.loads(cli("tenant", "show", "runzhou", "--json").output)
    assert (shown["code"], shown["people"], shown["users"]) == ("321111", 12000, 7)
    # Every installed mechanism is switched on and fills its records after the seed.
    reported = {
        line.split(":", 1)[0].split()[-1]: ast.literal_eval(line.split(":", 1)[1].strip())
        for line in first.output.splitlines()
        if line.strip().startswith("mechanism ") and ": {" in line
    }
    linkage = reported["joint_committees"]
    assert linkage["committees"] == 1 + 7 + 52 + 8, "the district, 7 streets, 52 communities and 8 villages"
    assert linkage["part_time_members"] >= 200, "200+ part-time members (seed)"
    again = cli("demo", "ensure", "--definition", str(definition))
    assert again.exit_code == 0 and "already provisioned" in again.output


def test_demo_ensure_refuses_a_definition_without_demo(cli, tmp_path):
    result = cli(
        "demo", "ensure", "--definition", str(write(tmp_path, definition(*reversed(unique("nodemo")))))
    )
    assert result.exit_code == 1 and "has no [demo] table" in result.output
