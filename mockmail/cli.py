"""The ``mockmail`` command."""

from __future__ import annotations

import functools
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

# The server (and with it Flask) is imported by the commands that serve, the scenario writer by
# the one that writes scenarios: a command imports only what it uses.
from mockmail.cors import check_origin
from mockmail.logs import log_to_stderr
from mockmail.recording import RecordingError, load_recording
from mockmail.replay import ON_MISS, RECORD_MODES, Replay, check_record_mode
from mockmail.scenarios import STYLES, Scenario, ScenarioError, Style, resolve_scenario


@click.group()
@click.version_option(package_name="mockmail")
def main() -> None:
    """A mock ONLYOFFICE Mail API server for tests and offline development."""


HOST_HELP = "Address to bind; 0.0.0.0 exposes the mock to the network (README, Security)."
PORT_HELP = "Port to bind; 0 picks a free one."


@dataclass(frozen=True)
class Access:
    """Who else may use a served mock: the options every serving command takes."""

    cors_origins: tuple[str, ...]
    allowed_hosts: tuple[str, ...]
    control_token: str | None


def access_options(command: Callable[..., None]) -> Callable[..., None]:
    """Add --cors-origin, --allow-host and --control-token to a command, passed on as ``access``."""

    def check_origins(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> tuple[str, ...]:
        try:
            return tuple(check_origin(value) for value in values)
        except ValueError as error:
            raise click.BadParameter(str(error)) from None

    @click.option(
        "--cors-origin",
        "cors_origins",
        multiple=True,
        metavar="ORIGIN",
        callback=check_origins,
        help="Another origin whose pages may read answers, as http://localhost:3000 (repeatable; "
        "* allows any). Local origins always may.",
    )
    @click.option(
        "--allow-host",
        "allowed_hosts",
        multiple=True,
        metavar="NAME",
        help="Another Host name to answer while bound to loopback (repeatable; .example.test "
        "allows every name under it). Local names always are.",
    )
    @click.option(
        "--control-token",
        metavar="TOKEN",
        help="/_mockmail/ answers only requests carrying Authorization: Bearer TOKEN.  "
        "[default: none on loopback; bound elsewhere, one made up and printed]",
    )
    @functools.wraps(command)
    def with_access(
        *,
        cors_origins: tuple[str, ...],
        allowed_hosts: tuple[str, ...],
        control_token: str | None,
        **options: Any,
    ) -> None:
        command(access=Access(cors_origins, allowed_hosts, control_token), **options)

    return with_access


class RecordMode(click.ParamType[str]):
    """A record mode; a wrong one gets the message the Python API gives, listing the valid ones."""

    name = "record mode"

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str:
        return f"[{'|'.join(RECORD_MODES)}]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        try:
            return check_record_mode(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help=HOST_HELP)
@click.option("--port", default=8025, show_default=True, type=click.IntRange(0, 65535), help=PORT_HELP)
@click.option(
    "--scenario",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Scenario YAML file.  [default: the bundled scenario]",
)
@click.option(
    "--style",
    type=click.Choice(STYLES),
    help="Response style; overrides the scenario's.  [default: the scenario's, or wire]",
)
@click.option(
    "--replay",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Answer from this recording before the stateful mock.",
)
@click.option(
    "--record-mode",
    type=RecordMode(),
    default="none",
    show_default=True,
    help="With --replay: none only replays; once records a missing file; new records what does not match; "
    "all records everything.",
)
@click.option("--upstream", metavar="URL", help="With --replay: the real portal to record from.")
@click.option(
    "--on-miss",
    type=click.Choice(ON_MISS),
    default="fail",
    show_default=True,
    help="With --replay: a request no recording matches fails, or falls through to the stateful mock.",
)
@click.option(
    "--scenarios",
    "scenarios_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    metavar="DIR",
    help="The folder of scenario files POST /_mockmail/scenario switches between.  "
    "[default: the scenario file's folder]",
)
@click.option("--watch", is_flag=True, help="Reload the scenario whenever its file changes.")
@click.option(
    "--no-basic-challenge",
    is_flag=True,
    help="Send no WWW-Authenticate with a 401, so a browser shows no login dialog.  "
    "[default: the scenario's basic_challenge, or send it]",
)
@click.option("--quiet", is_flag=True, help="Do not log each request.")
@access_options
def serve(
    *,
    host: str,
    port: int,
    scenario: Path | None,
    style: Style | None,
    replay: Path | None,
    record_mode: str,
    upstream: str | None,
    on_miss: str,
    scenarios_dir: Path | None,
    watch: bool,
    no_basic_challenge: bool,
    quiet: bool,
    access: Access,
) -> None:
    """Serve the mock until Ctrl-C."""
    recording = _replay(replay, record_mode, upstream, on_miss, ()) if replay else None
    _serve(
        host=host,
        port=port,
        scenario=scenario,
        style=style,
        replay=recording,
        quiet=quiet,
        access=access,
        reloading=Reloading(scenarios_dir, watch, False if no_basic_challenge else None),
    )


@main.command()
@click.option(
    "--upstream", metavar="URL", required=True, help="The real portal, e.g. https://portal.example.com"
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Recording file.")
@click.option("--host", default="127.0.0.1", show_default=True, help=HOST_HELP)
@click.option("--port", default=8025, show_default=True, type=click.IntRange(0, 65535), help=PORT_HELP)
@click.option(
    "--mode",
    type=RecordMode(),
    default="all",
    show_default=True,
    help="all records everything again; once records only if OUT does not exist; new replays what "
    "matches and records the rest; none only replays OUT.",
)
@click.option("--redact", multiple=True, metavar="FIELD", help="Another body field to redact (repeatable).")
@click.option("--quiet", is_flag=True, help="Do not log each request.")
@access_options
def record(
    *,
    upstream: str,
    out: Path,
    host: str,
    port: int,
    mode: str,
    redact: tuple[str, ...],
    quiet: bool,
    access: Access,
) -> None:
    """Proxy to UPSTREAM and record each exchange to OUT, secrets redacted, until Ctrl-C."""
    replay = _replay(out, mode, upstream, "fail", redact)
    _serve(host=host, port=port, scenario=None, style=None, replay=replay, quiet=quiet, access=access)


@main.command()
@click.option(
    "--server-url", default="http://127.0.0.1:8025", show_default=True, help="The document's servers URL."
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here.  [default: stdout]")
def openapi(server_url: str, out: Path | None) -> None:
    """Print the OpenAPI 3.1 document of the mocked API and the control endpoints."""
    import json

    from mockmail.app import create_app
    from mockmail.openapi import openapi_document

    text = json.dumps(openapi_document(create_app(), server_url), indent=2, ensure_ascii=False) + "\n"
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}", err=True)


@main.group()
def scenario() -> None:
    """Work with scenario files."""


@scenario.command("from-recording")
@click.argument("recording", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here.  [default: stdout]")
def from_recording(recording: Path, out: Path | None) -> None:
    """Turn the accounts seen in RECORDING into a scenario for the stateful mock."""
    from mockmail.recorded_scenario import scenario_from_recording

    try:
        text = scenario_from_recording(load_recording(recording), str(recording))
    except RecordingError as error:
        raise click.ClickException(str(error)) from None
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}", err=True)


def _replay(path: Path, mode: str, upstream: str | None, on_miss: str, redact: tuple[str, ...]) -> Replay:
    try:
        return Replay(path, mode=mode, upstream=upstream, on_miss=on_miss, redact=redact)
    except (RecordingError, ValueError) as error:
        raise click.ClickException(str(error)) from None


@dataclass(frozen=True)
class Reloading:
    """How ``serve`` changes scenarios while it runs, and the 401's challenge over the scenario's."""

    scenarios_dir: Path | None = None
    watch: bool = False
    basic_challenge: bool | None = None  # None: the scenario's


def _serve(
    *,
    host: str,
    port: int,
    scenario: Path | None,
    style: Style | None,
    replay: Replay | None,
    quiet: bool,
    access: Access,
    reloading: Reloading = Reloading(),
) -> None:
    from mockmail.server import MockMailServer

    try:
        loaded = resolve_scenario(scenario)
        server = MockMailServer(
            loaded,
            host=host,
            port=port,
            style=style,
            log_requests=not quiet,
            replay=replay,
            cors_origins=access.cors_origins,
            allowed_hosts=access.allowed_hosts,
            control_token=access.control_token,
            basic_challenge=reloading.basic_challenge,
            scenarios_dir=reloading.scenarios_dir,
            watch=reloading.watch,
        )
        server.bind()
    except ScenarioError as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    # From here a stop signal may come at any moment, even before the server loop starts:
    # the loop then stops as soon as it starts.
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda signum, frame: server.request_stop())
    try:
        # The first line is the one a script waits for: nothing before it names a URL.
        click.echo(f"mockmail serving on {server.url}")
        click.echo(_summary(loaded, server.state.style, replay, hide_tokens=server.exposed))
        if server.control_token is not None and access.control_token is None:
            click.echo(
                f"  control token: {server.control_token} (/_mockmail/ needs Authorization: Bearer TOKEN)"
            )
        sys.stdout.flush()
        if server.exposed:
            click.echo(
                f"mockmail: warning: {host} is reachable from other machines: anyone who can reach it "
                "can call the API with the scenario's tokens; /_mockmail/ needs the control token",
                err=True,
            )
        log = log_to_stderr()
        server.serve_forever()  # until Ctrl-C or SIGTERM
    finally:
        server.stop()
    if log is not None:
        log.flush()  # every request answered is in the log before the process says it stopped
    click.echo("mockmail stopped")


# A summary a person reads: a scenario of 100,000 users would print megabytes before serving.
SUMMARY_USERS = 20
SUMMARY_ACCOUNTS = 10


def _summary(scenario: Scenario, style: Style, replay: Replay | None, *, hide_tokens: bool) -> str:
    lines = []
    if replay is not None:
        upstream = f", upstream {replay.upstream}" if replay.upstream else ""
        lines.append(
            f"  recording: {replay.path} (mode {replay.mode}{upstream}; on a miss: {replay.on_miss})"
        )
    lines.append(f"  scenario: {scenario.source} (style {style})")
    for user in scenario.users[:SUMMARY_USERS]:
        emails = ", ".join(account.email for account in user.accounts[:SUMMARY_ACCOUNTS]) or "no accounts"
        if len(user.accounts) > SUMMARY_ACCOUNTS:
            emails += f" and {len(user.accounts) - SUMMARY_ACCOUNTS:,} more"
        # Bound beyond loopback, the output may end up where the tokens should not (a shared CI log).
        token = "token in the scenario file" if hide_tokens else f"token {user.token}"
        lines.append(f"  user {user.name}: {token}; accounts: {emails}")
    if len(scenario.users) > SUMMARY_USERS:
        lines.append(
            f"  and {len(scenario.users) - SUMMARY_USERS:,} more users (GET /_mockmail/users lists them)"
        )
    return "\n".join(lines)
