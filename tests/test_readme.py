"""Every code block in README.md runs here, against a real server, and shows what it says."""

from __future__ import annotations

import itertools
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from mockmail import MockMailServer, parse_scenario
from mockmail.cli import main
from mockmail.recording import load_recording
from mockmail.scenarios import default_scenario

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```(\w*)\n(.*?)^```$", README, re.MULTILINE | re.DOTALL)
README_URL = "http://127.0.0.1:8025"
# Headers whose values change from run to run; the README leaves them out.
VOLATILE_HEADERS = re.compile(r"^(Server|Date|Content-Length|Connection): .*\n", re.MULTILINE | re.IGNORECASE)


def blocks(language: str) -> list[str]:
    return [text for lang, text in BLOCKS if lang == language]


def examples() -> list[tuple[str, str]]:
    """Each curl command with the output block that follows it."""
    pairs = []
    for (lang, command), (_, output) in itertools.pairwise(BLOCKS):
        if lang == "sh" and command.startswith("curl "):
            pairs.append((command, output))
    return pairs


def test_the_quick_start_is_two_commands_and_ci_runs_the_test_one():
    serve, test = [text.strip() for text in blocks("sh") if "venv" in text]
    assert serve.endswith("mockmail serve")
    assert "pytest" in test
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert test in ci
    assert serve in ci


def test_curl_examples_in_order_print_what_the_readme_shows():
    pairs = examples()
    assert len(pairs) >= 5
    with MockMailServer() as server:  # one server: later examples see what earlier ones did
        for command, expected in pairs:
            result = subprocess.run(
                ["bash", "-c", command.replace(README_URL, server.url)],
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            )
            assert VOLATILE_HEADERS.sub("", result.stdout.replace("\r\n", "\n")).strip() == expected.strip()


def test_the_record_command_records(tmp_path):
    (command,) = [text.strip() for text in blocks("sh") if text.startswith("mockmail record")]
    arguments = shlex.split(command)
    assert arguments[arguments.index("--port") + 1] == "8026"  # beside a `mockmail serve` on 8025
    with MockMailServer() as portal:
        arguments[arguments.index("--upstream") + 1] = portal.url
        arguments[arguments.index("--out") + 1] = str(tmp_path / "session.yaml")
        process = subprocess.Popen(
            [sys.executable, "-m", *arguments, "--port", "0"], stdout=subprocess.PIPE, text=True
        )
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip().removeprefix("mockmail serving on ")
            response = requests.get(
                url + "/api/2.0/mail/accounts", headers={"Authorization": "bob-token"}, timeout=5
            )
        finally:
            process.terminate()
            process.wait(timeout=10)
            assert process.stdout is not None
            process.stdout.close()
    assert response.status_code == 200
    assert len(load_recording(tmp_path / "session.yaml").interactions) == 1


def test_python_examples_without_pytest_run(monkeypatch):
    scripts = [code for code in blocks("python") if "def test_" not in code]
    assert scripts
    monkeypatch.chdir(ROOT)
    for code in scripts:
        exec(compile(code, "README.md", "exec"), {})


def test_fixture_examples_pass_in_a_users_project(pytester: pytest.Pytester):
    examples = [code for code in blocks("python") if "def test_" in code]
    assert len(examples) >= 2
    for number, code in enumerate(examples):
        pytester.makepyfile(**{f"test_readme_{number}": code})
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=len(examples))


def scenario_example() -> str:
    """The README's full scenario example (the other YAML blocks are excerpts)."""
    return next(text for text in blocks("yaml") if text.startswith("# yaml-language-server: "))


def test_yaml_examples_are_scenarios_and_the_full_one_is_the_bundled_default():
    assert scenario_example() == (ROOT / "scenarios" / "basic.yaml").read_text(encoding="utf-8")
    assert parse_scenario(scenario_example()).users == default_scenario().users
    for text in blocks("yaml"):
        parse_scenario(text)


BOMB = (
    "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    + "".join(
        f"{name}: &{name} [{', '.join([f'*{previous}'] * 10)}]\n"
        for previous, name in zip("abcd", "bcde", strict=True)
    )
    + "users: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
)


def serve_error(scenario: str) -> str:
    """What `mockmail serve --scenario SCENARIO` prints on stderr before it gives up."""
    result = subprocess.run(
        [sys.executable, "-m", "mockmail", "serve", "--port", "0", "--scenario", scenario],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return result.stderr


def test_the_located_error_shown_is_the_one_given(tmp_path, monkeypatch):
    shown, alias_bomb = [text for text in blocks("text") if text.startswith("Error:")]
    example = scenario_example()
    monkeypatch.chdir(tmp_path)
    Path("scenarios").mkdir()
    Path("scenarios/mine.yaml").write_text(
        example.replace("port: 993\n", "port: imap\n", 1), encoding="utf-8"
    )
    assert serve_error("scenarios/mine.yaml") == shown
    Path("scenarios/mine.yaml").write_text(BOMB, encoding="utf-8")
    assert serve_error("scenarios/mine.yaml") == alias_bomb


def test_the_scenario_commands_print_what_the_readme_shows(tmp_path, monkeypatch):
    (commands,) = [text for text in blocks("sh") if text.startswith("mockmail scenario list")]
    (shown,) = [text for text in blocks("text") if text.startswith("basic ")]
    monkeypatch.chdir(tmp_path)
    Path("scenarios").mkdir()
    printed = ""
    for line in commands.splitlines():
        result = CliRunner().invoke(main, shlex.split(line)[1:])
        assert result.exit_code == 0, result.output
        printed += result.stdout
    assert printed == shown
    assert (
        Path("scenarios/mine.yaml")
        .read_text(encoding="utf-8")
        .startswith("# yaml-language-server: $schema=./scenario.schema.json\n")
    )
