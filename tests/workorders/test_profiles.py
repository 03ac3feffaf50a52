"""Column profiles: built-in ones documented, copies editable, mistakes reported."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from rating.workorders.profiles import ProfileError, builtin_names, load_profile
from rating.workorders.schema import CODES, DEFAULT_VALUES, FIELDS
from tests.workorders.conftest import Env, write_csv

DOCS = Path(__file__).resolve().parents[2] / "docs" / "import-formats.md"


def test_every_channel_has_a_profile_that_names_every_field() -> None:
    assert builtin_names() == ["12123", "12345", "12389", "other", "sunshine"]
    for name in builtin_names():
        profile = load_profile(name)
        assert set(profile.columns) == {f.name for f in FIELDS}, name


def test_docs_list_every_profile_header_field_and_value() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    for name in builtin_names():
        profile = load_profile(name)
        section = docs.split(f"### `{name}`", 1)[1].split("\n### ", 1)[0]
        for field, headers in profile.columns.items():
            row = next(ln for ln in section.splitlines() if ln.startswith(f"| `{field}` |"))
            assert row == f"| `{field}` | {' · '.join(headers)} |", (name, field)
        extra = tomllib.loads(profile.source.read_text(encoding="utf-8")).get("values", {})
        for mapping in extra.values():
            for spelling, code in mapping.items():
                assert f"{spelling} → `{code}`" in section, (name, spelling)
    for f in FIELDS:
        assert f"| `{f.name}` |" in docs.split("## The normalized schema", 1)[1]
    for field, codes in CODES.items():
        for code in codes:
            spellings = [k for k, v in DEFAULT_VALUES[field].items() if v == code]
            assert f"| `{code}` | {' · '.join(spellings)} |" in docs, (field, code)


def test_a_copied_and_edited_profile_reads_another_export(env: Env) -> None:
    shown = env.run("workorders", "profiles", "show", "12345")
    assert shown.code == 0 and 'unit = ["承办单位"' in shown.out
    edited = shown.out.replace('unit = ["承办单位"', 'unit = ["责任单位", "承办单位"').replace(
        "[values.satisfaction]", '[values.satisfaction]\n"很满意" = "satisfied"'
    )
    ours = env.tmp / "our-12345.toml"
    ours.write_text(edited, encoding="utf-8")
    path = write_csv(
        env.tmp / "x.csv",
        [["GD1", "2026-11-03 14:05", "新华街派出所", "很满意"]],
        header=["工单编号", "来电时间", "责任单位", "满意度"],
        title=None,
    )
    plain = env.run("workorders", "import", str(path), "--channel", "12345")
    assert plain.code == 1 and "unknown value '很满意'" in plain.err
    r = env.run("workorders", "import", str(path), "--channel", "12345", "--profile", str(ours))
    assert r.code == 0, r.err
    assert "profile 12345" in r.out and "1 new" in r.out
    stored = env.orders()["GD1"]
    assert (stored["unit_name"], stored["satisfaction"]) == ("新华街派出所", "satisfied")
    assert stored["unit_id"] is not None


def test_profiles_list_names_the_built_in_files(env: Env) -> None:
    r = env.run("workorders", "profiles")
    assert [line.split("\t")[0] for line in r.out.splitlines()] == builtin_names()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[columns]\nhandler = ['承办人']\n", "[columns] names unknown field 'handler'"),
        ("[values.satisfaction]\n'很好' = 'good'\n", "values.satisfaction.很好 = 'good'"),
        (
            "[columns]\nunit = ['单位']\ncategory = ['单位']\n",
            "header '单位' is listed for both unit and category",
        ),
        ("[columns\n", "is not valid TOML"),
    ],
)
def test_profile_mistakes_are_one_line_errors(
    env: Env, tmp_path: Path, text: str, message: str
) -> None:
    profile = tmp_path / "bad.toml"
    profile.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        load_profile(str(profile))
    assert message in str(info.value)
    path = write_csv(tmp_path / "x.csv", [["GD1", "2026-11-03"]], header=["工单编号", "来电时间"])
    r = env.run("workorders", "import", str(path), "--channel", "other", "--profile", str(profile))
    assert r.code == 1
    assert len(r.err.strip().splitlines()) == 1 and message in r.err
    assert "Traceback" not in r.err


def test_unknown_profile_name_lists_the_built_in_ones(env: Env) -> None:
    r = env.run("workorders", "import", "x.csv", "--channel", "12345", "--profile", "99999")
    assert r.code == 1
    assert r.err.strip() == (
        "pingjing: unknown profile '99999': use one of 12123, 12345, 12389, other, sunshine "
        "or a .toml file"
    )
