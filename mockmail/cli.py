"""The ``mockmail`` command."""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path
from types import FrameType

import click

from mockmail.scenarios import STYLES, Scenario, ScenarioError, Style, resolve_scenario
from mockmail.server import MockMailServer


@click.group()
@click.version_option(package_name="mockmail")
def main() -> None:
    """A mock ONLYOFFICE Mail API server for tests and offline development."""


@main.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to bind; 0.0.0.0 exposes the mock to the network.",
)
@click.option(
    "--port",
    default=8025,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to bind; 0 picks a free one.",
)
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
@click.option("--quiet", is_flag=True, help="Do not log each request.")
def serve(host: str, port: int, scenario: Path | None, style: Style | None, quiet: bool) -> None:
    """Serve the mock until Ctrl-C."""
    try:
        loaded = resolve_scenario(scenario)
        server = MockMailServer(loaded, host=host, port=port, style=style, log_requests=not quiet)
        server.bind()
    except ScenarioError as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:
        raise click.ClickException(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    # The first line is the one a script waits for: nothing before it names a URL.
    click.echo(f"mockmail serving on {server.url}")
    click.echo(_summary(loaded, server.state.style))
    sys.stdout.flush()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        server.serve_forever()  # returns on Ctrl-C: Werkzeug swallows the KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    click.echo("mockmail stopped")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _summary(scenario: Scenario, style: Style) -> str:
    lines = [f"  scenario: {scenario.source} (style {style})"]
    for user in scenario.users:
        emails = ", ".join(account.email for account in user.accounts) or "no accounts"
        lines.append(f"  user {user.name}: token {user.token}; accounts: {emails}")
    return "\n".join(lines)
