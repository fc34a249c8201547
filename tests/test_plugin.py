"""The pytest plugin, run the way a user's project runs it (pytester)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mockmail import MockMailServer

ROOT = Path(__file__).resolve().parent.parent
CAROL = """
users:
  - name: carol
    token: carol-token
    accounts: [{email: carol@example.com, name: Carol}]
"""


def test_importing_the_plugin_does_not_import_flask():
    code = "import sys, mockmail.pytest_plugin; print('flask' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_each_test_starts_from_the_scenario(pytester: pytest.Pytester):
    pytester.makepyfile(
        """
        import requests

        def test_changes_bob(mockmail):
            url = mockmail.url + "/api/2.0/mail/accounts"
            response = requests.put(url, json={"email": "bob@example.com", "name": "Changed"}, headers=mockmail.headers("bob"))
            assert response.status_code == 200
            mockmail.add_fault(respond="forbidden")

        def test_sees_bob_as_the_scenario_has_him(mockmail):
            assert mockmail.account("bob@example.com").name == ""
            assert mockmail.faults() == []
            assert mockmail.journal() == []
            assert not mockmail.url.endswith("/")
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_marker_chooses_scenario_faults_and_style(pytester: pytest.Pytester):
    pytester.makefile(".yaml", carol=CAROL)
    pytester.makepyfile(
        """
        import pytest
        import requests

        @pytest.mark.mockmail(scenario="carol.yaml")
        def test_scenario(mockmail):
            assert mockmail.users == ["carol"]
            listed = requests.get(mockmail.url + "/api/2.0/mail/accounts", headers=mockmail.headers("carol")).json()
            assert listed["response"][0]["email"] == "carol@example.com"

        @pytest.mark.mockmail(faults=[{"match": {"method": "PUT"}, "times": 1, "respond": "unauthorized"}])
        def test_fault(mockmail):
            url = mockmail.url + "/api/2.0/mail/accounts"
            body = {"email": "bob@example.com"}
            assert requests.put(url, json=body, headers=mockmail.headers("bob")).status_code == 401
            assert requests.put(url, json=body, headers=mockmail.headers("bob")).status_code == 200

        @pytest.mark.mockmail(style="docs")
        def test_style(mockmail):
            listed = requests.get(mockmail.url + "/api/2.0/mail/accounts", headers=mockmail.headers("bob")).json()
            assert listed[0]["Email"] == "bob@example.com"

        def test_no_marker_is_back_to_the_default(mockmail):
            assert mockmail.users == ["alice", "bob"]
            listed = requests.get(mockmail.url + "/api/2.0/mail/accounts", headers=mockmail.headers("bob")).json()
            assert listed["response"][0]["email"] == "bob@example.com"
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=4)


def test_a_misspelled_marker_option_errors_that_test_only(pytester: pytest.Pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.mockmail(scenaro="x.yaml")
        def test_typo(mockmail):
            pass

        def test_fine(mockmail):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*TypeError: @pytest.mark.mockmail got unknown option 'scenaro'; valid: scenario, faults, style, recording"
        ]
    )


def test_a_bad_marker_fault_names_the_problem(pytester: pytest.Pytester):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.mockmail(faults=[{"respond": "reset", "probability": 2}])
        def test_bad(mockmail):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*ScenarioError: probability: expected at most 1, got 2"])


def test_precedence_marker_then_config_fixture_then_option_then_ini(pytester: pytest.Pytester):
    for name in ("ini", "option", "config", "marker"):
        pytester.makefile(".yaml", **{name: f"users: [{{name: {name}}}]"})
    pytester.makeini("[pytest]\nmockmail_scenario = ini.yaml\n")
    pytester.makepyfile(
        test_ini="def test_it(mockmail):\n    assert mockmail.users == ['ini']\n",
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    pytester.runpytest("-p", "no:cacheprovider", "--mockmail-scenario", "option.yaml").assert_outcomes(
        failed=1
    )
    pytester.makepyfile(
        test_ini="def test_it(mockmail):\n    assert mockmail.users == ['option']\n",
    )
    pytester.runpytest("-p", "no:cacheprovider", "--mockmail-scenario", "option.yaml").assert_outcomes(
        passed=1
    )
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def mockmail_config(mockmail_config, request):
            return {**mockmail_config, "scenario": request.config.rootpath / "config.yaml"}
        """
    )
    pytester.makepyfile(
        test_ini="""
        import pytest

        def test_config(mockmail):
            assert mockmail.users == ['config']

        @pytest.mark.mockmail(scenario="marker.yaml")
        def test_marker(mockmail):
            assert mockmail.users == ['marker']
        """
    )
    pytester.runpytest("-p", "no:cacheprovider", "--mockmail-scenario", "option.yaml").assert_outcomes(
        passed=2
    )


def test_an_exception_in_the_server_thread_fails_the_test_that_caused_it(pytester: pytest.Pytester):
    pytester.makepyfile(
        """
        import requests
        import mockmail.wire

        def test_breaks_the_server(mockmail, monkeypatch):
            def broken(*args):
                raise RuntimeError("bug in the handler")
            monkeypatch.setattr(mockmail.state.__class__, "style", property(lambda self: broken()), raising=False)
            requests.get(mockmail.url + "/api/2.0/mail/accounts", headers=mockmail.headers("bob"))

        def test_next_one_is_clean(mockmail):
            assert requests.get(mockmail.url + "/api/2.0/mail/accounts", headers=mockmail.headers("bob")).status_code == 200
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(["*RuntimeError: bug in the handler"])


def test_journal_assertions_explain_themselves(pytester: pytest.Pytester):
    pytester.makepyfile(
        """
        import requests

        def test_right(mockmail):
            url = mockmail.url + "/api/2.0/mail/accounts"
            requests.put(url, data={"email": "bob@example.com", "name": "Bob", "smtp_auth": "true", "password": "pw"}, headers=mockmail.headers("bob"))
            mockmail.assert_updated("bob@example.com", name="Bob", smtp_auth=True, password="***")
            mockmail.assert_not_updated("alice@example.com")

        def test_wrong(mockmail):
            url = mockmail.url + "/api/2.0/mail/accounts"
            requests.put(url, json={"email": "bob@example.com", "name": "Robert"}, headers=mockmail.headers("bob"))
            mockmail.assert_updated("bob@example.com", name="Bob")
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*AssertionError: the last update of bob@example.com differs:",
            "*  name: expected 'Bob', sent 'Robert'",
            "*the mock received:",
            "*  PUT /api/2.0/mail/accounts -> 200 user=bob fault=None fields={'email': 'bob@example.com', 'name': 'Robert'}",
        ]
    )


def test_in_process_clients_see_what_a_socket_client_sees(pytester: pytest.Pytester):
    pytester.makepyfile(
        """
        import pytest
        import requests

        REQUESTS = [
            ("PUT", "/api/2.0/mail/accounts", {"email": "bob@example.com", "name": "B"}, "bob"),
            ("PUT", "/api/2.0/mail/accounts.json?__=1", {"email": "nobody@example.com"}, "bob"),
            ("PUT", "/api/2.0/mail/accounts", {}, "bob"),
            ("GET", "/api/2.0/mail/accounts.xml", None, "bob"),
            ("GET", "/api/2.0/mail/accounts", None, None),
        ]

        def run(client, mockmail):
            answers = []
            for method, path, body, user in REQUESTS:
                headers = mockmail.headers(user) if user else {}
                response = client.request(method, mockmail.url + path, json=body, headers=headers)
                answers.append((response.status_code, response.headers["Content-Type"], response.content))
            return answers

        def test_same_answers(mockmail):
            over_socket = run(requests.Session(), mockmail)
            mockmail.reset()
            in_process = run(mockmail.session(), mockmail)
            mockmail.reset()
            with mockmail.httpx_client() as client:
                through_httpx = run(client, mockmail)
            assert over_socket == in_process == through_httpx

        @pytest.mark.mockmail(faults=[{"times": 1, "respond": "reset"}, {"times": 1, "respond": "truncated"}])
        def test_same_connection_errors(mockmail):
            session = mockmail.session()
            with pytest.raises(requests.ConnectionError):
                session.get(mockmail.url + "/api/2.0/mail/accounts", headers=mockmail.headers("bob"))
            with pytest.raises(requests.exceptions.ChunkedEncodingError):
                session.get(mockmail.url + "/api/2.0/mail/accounts", headers=mockmail.headers("bob"))
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)


def test_the_fixture_is_the_sessions_server_with_its_methods(pytester: pytest.Pytester):
    pytester.makepyfile(
        """
        import pytest
        from mockmail import MockMailServer, UnknownFault, UnknownUser

        def test_it(mockmail, mockmail_server):
            assert mockmail is mockmail_server
            assert isinstance(mockmail, MockMailServer)
            with pytest.raises(UnknownUser, match="^no user 'carol' in the scenario; users: alice, bob$"):
                mockmail.headers("carol")
            mockmail.add_fault(name="deny", respond="forbidden")
            with pytest.raises(UnknownFault, match="^no fault 'denied'; faults: deny$"):
                mockmail.remove_fault("denied")
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_xdist_workers_each_get_their_own_server(pytester: pytest.Pytester):
    pytester.makepyfile(
        """
        import os
        import pytest
        import requests

        @pytest.mark.parametrize("n", range(8))
        def test_update(mockmail, n):
            url = mockmail.url + "/api/2.0/mail/accounts"
            response = requests.put(url, json={"email": "bob@example.com", "name": f"n{n}"}, headers=mockmail.headers("bob"))
            assert response.json()["response"]["name"] == f"n{n}"
            assert len(mockmail.journal()) == 1
            print(os.environ["PYTEST_XDIST_WORKER"], mockmail.url)
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2", "-s")
    result.assert_outcomes(passed=8)


def test_recording_marker_round_trip(pytester: pytest.Pytester):
    pytester.makepyfile(
        test_recorded="""
        import pytest
        import requests

        @pytest.mark.mockmail(recording="bob-saves")
        def test_bob_saves(mockmail):
            url = mockmail.url + "/api/2.0/mail/accounts"
            response = requests.put(url, json={"email": "bob@example.com", "name": "Bob"}, headers={"Authorization": "bob-token"})
            assert response.json()["response"]["name"] == "Bob"
        """
    )
    with MockMailServer() as portal:
        recorded = pytester.runpytest(
            "-p", "no:cacheprovider", "--mockmail-record-mode", "once", "--mockmail-upstream", portal.url
        )
        recorded.assert_outcomes(passed=1)
        assert [(entry.method, entry.status) for entry in portal.journal()] == [("PUT", 200)]
    saved = pytester.path / "recordings" / "bob-saves.yaml"
    assert "bob-token" not in saved.read_text()
    # Offline: the default mode, none, replays and never touches the network.
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    pytester.makepyfile(
        test_recorded="""
        import pytest
        import requests

        @pytest.mark.mockmail(recording="bob-saves")
        def test_bob_saves(mockmail):
            url = mockmail.url + "/api/2.0/mail/accounts"
            requests.put(url, json={"email": "bob@example.com", "name": "Robert"}, headers={"Authorization": "bob-token"})
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*no recorded interaction matches PUT /api/2.0/mail/accounts",
            "*closest: PUT /api/2.0/mail/accounts",
            "*body.name: recorded 'Bob', received 'Robert'",
        ]
    )


def test_the_record_mode_option_is_made_from_the_enum(pytester: pytest.Pytester):
    from mockmail.record_mode import RecordMode, help_text

    usage = pytester.runpytest("--help")
    assert " ".join(usage.stdout.str().split()).count(" ".join(help_text(RecordMode).split())) == 1
    refused = pytester.runpytest("--mockmail-record-mode", "nwe")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines(["*invalid choice: 'nwe' (choose from *none*, *once*, *new*, *all*)"])


def test_origins_come_from_the_ini_file_and_the_command_line(pytester: pytest.Pytester):
    pytester.makeini("[pytest]\nmockmail_cors_origins =\n    http://ui.example.test:3000\n")
    pytester.makepyfile(
        """
        import requests

        def read_by(mockmail, origin):
            answer = requests.get(
                mockmail.url + "/api/2.0/mail/accounts",
                headers={**mockmail.headers("bob"), "Origin": origin},
                timeout=5,
            )
            return answer.headers.get("Access-Control-Allow-Origin")

        def test_origins(mockmail):
            assert read_by(mockmail, "http://ui.example.test:3000") == "http://ui.example.test:3000"
            assert read_by(mockmail, "https://cli.example.test") == "https://cli.example.test"
            assert read_by(mockmail, "https://evil.example") is None
        """
    )
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--mockmail-cors-origin", "https://cli.example.test"
    )
    result.assert_outcomes(passed=1)
