"""Every code block in README.md runs here, against a real server, and shows what it says."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mockmail import MockMailServer, parse_scenario
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


@pytest.mark.parametrize(("command", "expected"), examples(), ids=["put", "unauthorized", "login-test"])
def test_curl_examples_print_what_the_readme_shows(command, expected):
    with MockMailServer() as server:
        result = subprocess.run(
            ["bash", "-c", command.replace(README_URL, server.url)],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    assert VOLATILE_HEADERS.sub("", result.stdout.replace("\r\n", "\n")).strip() == expected.strip()


def test_python_example_runs(monkeypatch):
    (code,) = blocks("python")
    monkeypatch.chdir(ROOT)
    exec(compile(code, "README.md", "exec"), {})


def test_yaml_example_is_the_bundled_default_scenario():
    (text,) = blocks("yaml")
    assert parse_scenario(text).users == default_scenario().users


def test_the_located_error_shown_is_the_one_given(tmp_path, monkeypatch):
    (shown,) = [text for text in blocks("text") if text.startswith("Error:")]
    (example,) = blocks("yaml")
    monkeypatch.chdir(tmp_path)
    Path("scenarios").mkdir()
    Path("scenarios/mine.yaml").write_text(
        example.replace("port: 993\n", "port: imap\n", 1), encoding="utf-8"
    )
    result = subprocess.run(
        [sys.executable, "-m", "mockmail", "serve", "--port", "0", "--scenario", "scenarios/mine.yaml"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.stderr == shown
