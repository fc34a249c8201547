"""The example scenarios shipped with mockmail, and the `mockmail scenario` commands around them."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

from mockmail import MockMailServer, ScenarioError, bundled, load_scenario
from mockmail.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "scenarios").glob("*.yaml"))
SCHEMA = ROOT / "mockmail" / "scenario.schema.json"
MODELINE = "# yaml-language-server: $schema=./scenario.schema.json\n"
RECORDING = ROOT / "fixtures" / "recordings" / "web-client-session.yaml"


def run(*arguments: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(arguments))
    return result.exit_code, result.stdout, result.stderr


def test_the_wheel_takes_the_examples_from_scenarios_without_a_copy():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert "mockmail.examples" in setuptools["packages"]
    assert setuptools["package-dir"] == {"mockmail.examples": "scenarios"}
    assert setuptools["package-data"]["mockmail.examples"] == ["*.yaml"]
    assert not (ROOT / "mockmail" / "examples").exists()
    assert bundled.folder() == ROOT / "scenarios"  # a checkout reads the folder itself


def test_list_names_each_example_with_its_first_sentence():
    code, out, _ = run("scenario", "list")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == [path.stem for path in EXAMPLES]
    assert "faults      Things going wrong, one line of YAML each.\n" in out


def test_show_prints_the_file_and_an_unknown_name_lists_the_known():
    assert run("scenario", "show", "team") == (0, (ROOT / "scenarios" / "team.yaml").read_text("utf-8"), "")
    code, _, err = run("scenario", "show", "nope")
    assert code == 2
    assert (
        "Invalid value for 'NAME': no bundled scenario 'nope' (bundled: basic, docs-style, faults, team)"
        in err
    )


def test_copy_writes_the_example_and_the_schema_its_first_line_names(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run("scenario", "copy", "basic")
    assert (code, err) == (0, "wrote basic.yaml\nwrote scenario.schema.json\n")
    text = Path("basic.yaml").read_text(encoding="utf-8")
    original = (ROOT / "scenarios" / "basic.yaml").read_text(encoding="utf-8")
    assert text == MODELINE + original.split("\n", 1)[1]
    assert Path("scenario.schema.json").read_bytes() == SCHEMA.read_bytes()
    assert load_scenario("basic.yaml").users == load_scenario(ROOT / "scenarios" / "basic.yaml").users


def test_copy_into_a_folder_keeps_an_up_to_date_schema_and_never_overwrites_unasked(tmp_path: Path):
    assert run("scenario", "copy", "team", str(tmp_path))[2].count("wrote") == 2
    assert run("scenario", "copy", "faults", str(tmp_path)) == (0, "", f"wrote {tmp_path / 'faults.yaml'}\n")
    code, _, err = run("scenario", "copy", "team", str(tmp_path))
    assert (code, err) == (1, f"Error: {tmp_path / 'team.yaml'} exists; --force overwrites it\n")
    assert run("scenario", "copy", "team", str(tmp_path), "--force")[0] == 0


def test_validate_reports_each_file_and_fails_on_any_error(tmp_path: Path):
    empty = tmp_path / "empty.yaml"
    empty.write_text("# to do\n", encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text("users:\n  - name: a\n    tokne: x\n", encoding="utf-8")
    good = ROOT / "scenarios" / "faults.yaml"
    assert run("scenario", "validate", str(good)) == (0, f"{good}: ok (2 users, 4 accounts, 4 faults)\n", "")
    code, out, err = run("scenario", "validate", str(empty), str(good), str(bad))
    assert (code, out) == (1, f"{good}: ok (2 users, 4 accounts, 4 faults)\n")
    assert err == (
        f"{empty}: the scenario is empty: expected a mapping with users (line 1)\n"
        f"{bad}: users[0].tokne: unknown key 'tokne' (allowed: name, password, token, accounts, default_account) (line 3)\n"
    )


def test_schema_prints_or_writes_the_published_schema(tmp_path: Path):
    assert run("scenario", "schema") == (0, SCHEMA.read_text(encoding="utf-8"), "")
    assert run("scenario", "schema", "--out", str(tmp_path / "s.json"))[0] == 0
    assert json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))["$id"] == "scenario.schema.json"


def test_a_scenario_from_a_recording_names_the_schema_too(tmp_path: Path):
    code, out, _ = run("scenario", "from-recording", str(RECORDING))
    assert code == 0
    assert out.startswith(MODELINE + "# Seeded by `mockmail scenario from-recording`")
    out_file = tmp_path / "mine.yaml"
    assert run("scenario", "from-recording", str(RECORDING), "--out", str(out_file))[0] == 0
    assert out_file.read_text(encoding="utf-8") == out
    assert (tmp_path / "scenario.schema.json").read_bytes() == SCHEMA.read_bytes()


def test_a_bare_name_is_a_bundled_scenario_unless_a_file_has_it(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert [user.name for user in MockMailServer("team").scenario.users] == ["carol", "dave"]
    assert MockMailServer("team.yaml").scenario.path == ROOT / "scenarios" / "team.yaml"
    Path("team").write_text("users: [{name: mine}]\n", encoding="utf-8")
    assert [user.name for user in MockMailServer("team").scenario.users] == ["mine"]
    with pytest.raises(
        ScenarioError, match=r"^nope: no such scenario file, nor a bundled scenario \(basic, "
    ):
        MockMailServer("nope")
    with pytest.raises(ScenarioError, match=r"^sub/team\.yaml: no such scenario file$"):
        MockMailServer("sub/team.yaml")  # a path is a file, never a bundled name


def test_the_marker_takes_a_bundled_name(pytester: pytest.Pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.mockmail(scenario="team")
        def test_team(mockmail):
            assert mockmail.users == ["carol", "dave"]
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
