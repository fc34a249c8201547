"""The ``mockmail`` command."""

from __future__ import annotations

import errno
import functools
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

# The server (and with it Flask) is imported by the commands that serve, the scenario writer by
# the one that writes scenarios: a command imports only what it uses.
from mockmail import bundled
from mockmail.cors import check_origin
from mockmail.logs import log_to_stderr
from mockmail.record_mode import OnMiss, RecordMode, help_text
from mockmail.recording import RecordingError, load_recording
from mockmail.replay import Replay
from mockmail.scenarios import STYLES, Scenario, ScenarioError, Style, load_scenario, resolve_scenario

if TYPE_CHECKING:
    from mockmail.server import MockMailServer


@click.group()
@click.version_option(package_name="mockmail")
def main() -> None:
    """A mock ONLYOFFICE Mail API server for tests and offline development.

    `serve` answers from a scenario (or a recording), `record` records a real portal's answers,
    `scenario` lists, copies and checks scenario files, `openapi` prints the API's description.
    Every option of `serve` and `record` can also be set by the MOCKMAIL_* variable its help names.
    """


HOST_HELP = "Address to bind; 0.0.0.0 exposes the mock to the network (README, Security)."
PORT_HELP = "Port to bind; 0 picks a free one."
QUIET_HELP = "Do not log each request."

# The options serve and record share, spelled once.
host_option = click.option(
    "--host", default="127.0.0.1", show_default=True, envvar="MOCKMAIL_HOST", show_envvar=True, help=HOST_HELP
)
port_option = click.option(
    "--port",
    default=8025,
    show_default=True,
    type=click.IntRange(0, 65535),
    envvar="MOCKMAIL_PORT",
    show_envvar=True,
    help=PORT_HELP,
)
quiet_option = click.option(
    "--quiet", is_flag=True, envvar="MOCKMAIL_QUIET", show_envvar=True, help=QUIET_HELP
)


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
        envvar="MOCKMAIL_CORS_ORIGIN",
        show_envvar=True,
        help="Another origin whose pages may read answers, as http://localhost:3000 (repeatable, or "
        "space-separated in the variable; * allows any). Local origins always may.",
    )
    @click.option(
        "--allow-host",
        "allowed_hosts",
        multiple=True,
        metavar="NAME",
        envvar="MOCKMAIL_ALLOW_HOST",
        show_envvar=True,
        help="Another Host name to answer while bound to loopback (repeatable, or space-separated in "
        "the variable; .example.test allows every name under it). Local names always are.",
    )
    @click.option(
        "--control-token",
        metavar="TOKEN",
        envvar="MOCKMAIL_CONTROL_TOKEN",
        show_envvar=True,
        show_default="none on loopback; bound elsewhere, one made up and printed",
        help="/_mockmail/ answers only requests carrying Authorization: Bearer TOKEN.",
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


class EnumChoice(click.ParamType[StrEnum]):
    """One of an enum's values; a wrong one gets the message the Python API gives, listing the valid ones."""

    def __init__(self, enum: type[RecordMode] | type[OnMiss], name: str) -> None:
        self.enum = enum
        self.name = name

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str:
        return f"[{'|'.join(self.enum)}]"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> StrEnum:
        try:
            return self.enum.parse(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)

    def shell_complete(
        self, ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[click.shell_completion.CompletionItem]:
        from click.shell_completion import CompletionItem

        return [CompletionItem(member.value) for member in self.enum if member.startswith(incomplete)]


RECORD_MODE = EnumChoice(RecordMode, "record mode")
ON_MISS = EnumChoice(OnMiss, "miss policy")
# The options of serve that only a recording gives a meaning to.
REPLAY_ONLY = ("upstream", "record_mode", "on_miss")


@main.command()
@host_option
@port_option
@click.option(
    "--scenario",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="MOCKMAIL_SCENARIO",
    show_envvar=True,
    show_default="the bundled default",
    help="Scenario YAML file, or the name of a bundled one (mockmail scenario list) that is no file here.",
)
@click.option(
    "--style",
    type=click.Choice(STYLES),
    envvar="MOCKMAIL_STYLE",
    show_envvar=True,
    show_default="the scenario's, or wire",
    help="Response style; overrides the scenario's.",
)
@click.option(
    "--replay",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="MOCKMAIL_REPLAY",
    show_envvar=True,
    help="Answer the API from this recording before the stateful mock.",
)
@click.option(
    "--record-mode",
    type=RECORD_MODE,
    default=RecordMode.NONE.value,
    show_default=True,
    envvar="MOCKMAIL_RECORD_MODE",
    show_envvar=True,
    help=f"With --replay: {help_text(RecordMode)}.",
)
@click.option(
    "--upstream",
    metavar="URL",
    envvar="MOCKMAIL_UPSTREAM",
    show_envvar=True,
    help="With --replay: the real portal to record from.",
)
@click.option(
    "--on-miss",
    type=ON_MISS,
    default=OnMiss.FAIL.value,
    show_default=True,
    envvar="MOCKMAIL_ON_MISS",
    show_envvar=True,
    help=f"With --replay, for a request the recording does not match: {help_text(OnMiss)}.",
)
@click.option(
    "--scenarios",
    "scenarios_dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    metavar="DIR",
    envvar="MOCKMAIL_SCENARIOS",
    show_envvar=True,
    show_default="the scenario file's folder",
    help="The folder of scenario files POST /_mockmail/scenario switches between.",
)
@click.option(
    "--watch",
    is_flag=True,
    envvar="MOCKMAIL_WATCH",
    show_envvar=True,
    help="Reload the scenario whenever its file changes.",
)
@click.option(
    "--no-basic-challenge",
    is_flag=True,
    envvar="MOCKMAIL_NO_BASIC_CHALLENGE",
    show_envvar=True,
    show_default="the scenario's basic_challenge, or send it",
    help="Send no WWW-Authenticate with a 401, so a browser shows no login dialog.",
)
@quiet_option
@access_options
def serve(
    *,
    host: str,
    port: int,
    scenario: Path | None,
    style: Style | None,
    replay: Path | None,
    record_mode: RecordMode,
    upstream: str | None,
    on_miss: OnMiss,
    scenarios_dir: Path | None,
    watch: bool,
    no_basic_challenge: bool,
    quiet: bool,
    access: Access,
) -> None:
    """Serve the mock API until Ctrl-C.

    It answers from a scenario (default: the bundled one), or with --replay from a recording.
    --upstream, --record-mode and --on-miss apply only with --replay (given without it, they are a
    usage error; from the environment, they are ignored).
    """
    ctx = click.get_current_context()
    if replay is None:
        for name in REPLAY_ONLY:
            if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE:
                option = "--" + name.replace("_", "-")
                raise click.UsageError(f"{option} applies only with --replay (the recording to answer from)")
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


def _record_mode(given: RecordMode, deprecated: RecordMode | None) -> RecordMode:
    """--record-mode, or the value of its old name, ``record --mode``, still taken with a warning."""
    if deprecated is None:
        return given
    if click.get_current_context().get_parameter_source("record_mode") is ParameterSource.COMMANDLINE:
        raise click.UsageError("--mode is the old name of --record-mode: give --record-mode only")
    click.echo("mockmail: --mode is deprecated; use --record-mode", err=True)
    return deprecated


@main.command()
@click.option(
    "--upstream",
    metavar="URL",
    required=True,
    envvar="MOCKMAIL_UPSTREAM",
    show_envvar=True,
    help="The real portal, e.g. https://portal.example.com",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    envvar="MOCKMAIL_OUT",
    show_envvar=True,
    help="The recording file.",
)
@host_option
@port_option
@click.option(
    "--record-mode",
    type=RECORD_MODE,
    default=RecordMode.ALL.value,
    show_default=True,
    envvar="MOCKMAIL_RECORD_MODE",
    show_envvar=True,
    help=f"For OUT: {help_text(RecordMode)}.",
)
@click.option("--mode", "deprecated_mode", type=RECORD_MODE, hidden=True, help="Deprecated: --record-mode.")
@click.option(
    "--redact",
    multiple=True,
    metavar="FIELD",
    envvar="MOCKMAIL_REDACT",
    show_envvar=True,
    help="Another body field to redact (repeatable, or space-separated in the variable).",
)
@quiet_option
@access_options
def record(
    *,
    upstream: str,
    out: Path,
    host: str,
    port: int,
    record_mode: RecordMode,
    deprecated_mode: RecordMode | None,
    redact: tuple[str, ...],
    quiet: bool,
    access: Access,
) -> None:
    """Record a real portal's answers until Ctrl-C.

    A proxy on loopback: each request goes to UPSTREAM, its answer back to the client, and the
    exchange to OUT, secrets redacted.

    The old name of --record-mode, --mode, is still taken (deprecated).
    """
    replay = _replay(out, _record_mode(record_mode, deprecated_mode), upstream, OnMiss.FAIL, redact)
    _serve(host=host, port=port, scenario=None, style=None, replay=replay, quiet=quiet, access=access)


@main.command()
@click.option(
    "--server-url", default="http://127.0.0.1:8025", show_default=True, help="The document's servers URL."
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here.  [default: stdout]")
def openapi(server_url: str, out: Path | None) -> None:
    """Print the API's OpenAPI document.

    OpenAPI 3.1, of the mocked API and the control endpoints.
    """
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
    """Bundled scenarios, checks and the schema.

    List, show and copy the scenarios bundled with mockmail; validate scenario files; print the
    JSON Schema of their format.
    """


def _bundled_name(ctx: click.Context, param: click.Parameter, value: str) -> Path:
    try:
        return bundled.path(value)
    except LookupError as error:
        raise click.BadParameter(str(error)) from None


@scenario.command("list")
def list_scenarios() -> None:
    """List the bundled scenarios and what each shows."""
    names = bundled.names()
    width = max(map(len, names), default=0)
    for name in names:
        click.echo(f"{name:<{width}}  {_about(bundled.path(name).read_text(encoding='utf-8'))}".rstrip())


def _about(text: str) -> str:
    """The first sentence of a scenario's opening comment (after the schema line): what it is for."""
    words = []
    for line in text.splitlines():
        if line.startswith(bundled.MODELINE):
            continue
        if not line.startswith("#"):
            break
        words.append(line.removeprefix("#").strip())
    about = " ".join(words)
    end = about.find(". ")
    return about if end < 0 else about[: end + 1]


@scenario.command()
@click.argument("name", callback=_bundled_name)
def show(name: Path) -> None:
    """Print a bundled scenario.

    NAME is one that mockmail scenario list names.
    """
    click.echo(name.read_text(encoding="utf-8"), nl=False)


@scenario.command()
@click.argument("name", callback=_bundled_name)
@click.argument("dest", type=click.Path(path_type=Path), required=False)
@click.option("--force", is_flag=True, help="Overwrite DEST if it exists.")
def copy(name: Path, dest: Path | None, force: bool) -> None:
    """Copy a bundled scenario, to edit.

    DEST is a file, or a folder to put NAME.yaml in (default: the current folder). The copy's
    first line names ./scenario.schema.json for editors (yaml-language-server), which is written
    beside it too, unless the one there is already this version's.
    """
    target = dest or Path(name.name)
    if target.is_dir():
        target = target / name.name
    if target.exists() and not force:
        raise click.ClickException(f"{target} exists; --force overwrites it")
    _write_scenario(target, bundled.with_schema_line(name.read_text(encoding="utf-8")))


@scenario.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
def validate(files: tuple[Path, ...]) -> None:
    """Check scenario files.

    Each FILE is reported as ok or with its located errors; the exit status is 1 if any has one.
    """
    failed = False
    for path in files:
        try:
            loaded = load_scenario(path)
        except ScenarioError as error:
            click.echo(str(error), err=True)
            failed = True
            continue
        accounts = sum(len(user.accounts) for user in loaded.users)
        click.echo(
            f"{path}: ok ({_count(len(loaded.users), 'user')}, {_count(accounts, 'account')}, "
            f"{_count(len(loaded.faults), 'fault')})"
        )
    if failed:
        sys.exit(1)


@scenario.command()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here.  [default: stdout]")
def schema(out: Path | None) -> None:
    """Print the scenario format's JSON Schema.

    For editors and other tools; a scenario's first line can name it for yaml-language-server.
    """
    text = bundled.schema_path().read_text(encoding="utf-8")
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"wrote {out}", err=True)


@scenario.command("from-recording")
@click.argument("recording", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here, and ./scenario.schema.json beside it for editors.  [default: stdout]",
)
def from_recording(recording: Path, out: Path | None) -> None:
    """Seed a scenario from a recording.

    The accounts seen in RECORDING's list and update answers become a scenario for the stateful mock.
    """
    from mockmail.recorded_scenario import scenario_from_recording

    try:
        text = scenario_from_recording(load_recording(recording), str(recording))
    except RecordingError as error:
        raise click.ClickException(str(error)) from None
    if out is None:
        click.echo(text, nl=False)
    else:
        _write_scenario(out, text)


def _write_scenario(path: Path, text: str) -> None:
    """Write a scenario, and the schema its first line names beside it unless this version is there."""
    path.write_text(text, encoding="utf-8")
    click.echo(f"wrote {path}", err=True)
    schema_text = bundled.schema_path().read_text(encoding="utf-8")
    beside = path.parent / bundled.SCHEMA_FILE
    if not beside.exists() or beside.read_text(encoding="utf-8") != schema_text:
        beside.write_text(schema_text, encoding="utf-8")
        click.echo(f"wrote {beside}", err=True)


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")


def _replay(
    path: Path, mode: RecordMode, upstream: str | None, on_miss: OnMiss, redact: tuple[str, ...]
) -> Replay:
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
        # create_server words its error with the address again: the errno's own words say it once.
        message = f"cannot listen on {host}:{port}: {os.strerror(error.errno) if error.errno else error}"
        if error.errno == errno.EADDRINUSE:
            message += "; another mockmail? --port 0 picks a free port"
        raise click.ClickException(message) from None
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
    click.echo(f"mockmail stopped: {_tally(server, replay)}")


# A summary a person reads: a scenario of 100,000 users would print megabytes before serving.
SUMMARY_USERS = 20
SUMMARY_ACCOUNTS = 10


def _summary(scenario: Scenario, style: Style, replay: Replay | None, *, hide_tokens: bool) -> str:
    """What will answer: the recording, the upstream, the scenario, as far as each applies."""
    lines = []
    if replay is not None:
        mode = RecordMode(replay.mode)
        lines.append(f"  recording: {replay.path} (record mode {mode}: {mode.description})")
        if replay.records:
            lines.append(f"  what it does not answer goes to {replay.upstream} and is recorded")
            return "\n".join(lines)  # the scenario never answers
        if replay.on_miss == OnMiss.FAIL:
            lines.append(f"  what it does not match gets {OnMiss.FAIL.description} (on a miss: fail)")
            return "\n".join(lines)
        lines.append("  what it does not match is answered from the scenario (on a miss: fallthrough)")
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


def _tally(server: MockMailServer, replay: Replay | None) -> str:
    """``12 requests answered, 2 faults fired, 3 exchanges recorded``: what a run did."""
    parts = [
        _count(server.state.journal.total, "request") + " answered",
        _count(sum(fault.fired for fault in server.faults()), "fault") + " fired",
    ]
    if replay is not None and replay.records:
        parts.append(_count(replay.recorded, "exchange") + " recorded")
    return ", ".join(parts)
