"""The command line: a stable contract for people, scripts and CI.

Start-up stays fast because each command imports what it needs when it runs. Every error a user
can cause reaches stderr as one sentence with a non-zero exit code; a traceback is a bug.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC
from pathlib import Path
from typing import Any

import click

from auditprep.cli.common import extra_control_dirs, fail, load_catalog_from


class Main(click.Group):
    """Turns every expected failure into one sentence on stderr."""

    def invoke(self, ctx: click.Context) -> Any:
        import sqlite3

        from auditprep.errors import AuditprepError

        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # usage errors and --help/--version are click's to report
        except AuditprepError as exc:
            fail(exc.message, exc.exit_code)
        except sqlite3.DatabaseError as exc:
            fail(f"the engagement file is damaged or unreadable ({exc}).", 2)
        except KeyboardInterrupt as exc:
            code = 143 if isinstance(exc, Terminated) else 130  # 128 + the signal, as a shell reports it
            fail("interrupted; everything saved before the interruption is intact.", code)
        except BrokenPipeError:
            # the reader went away (`auditprep status ... | head`): stop quietly, as other tools do
            import os

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the exit flush stays quiet
            sys.exit(141)  # 128 + SIGPIPE, what a shell reports for a writer whose reader left
        except OSError as exc:
            where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
            fail(f"could not access{where}: {exc.strerror or exc}.", 1)
        except Exception as exc:  # a bug: say so in one sentence, keep the details for the report
            log = crash_log(exc)
            fail(f"internal error ({type(exc).__name__}: {exc}); details are in {log}. Please report it.", 70)


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is so that cleanup runs."""


def _install_sigterm() -> None:
    """SIGTERM unwinds like an interruption, so temporary files and folders are removed on the way out."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return

    def stop(_signum: int, _frame: Any) -> None:
        raise Terminated

    try:
        signal.signal(signal.SIGTERM, stop)
    except (ValueError, OSError):  # not the main interpreter, or a platform without it
        pass


def crash_log(exc: BaseException) -> str:
    """Write the traceback of an unexpected error to the user log folder and return its path."""
    import traceback
    from datetime import datetime

    try:
        from platformdirs import user_log_dir

        folder = Path(user_log_dir("auditprep"))
        folder.mkdir(parents=True, exist_ok=True)
        stamp = f"crash-{datetime.now(UTC):%Y%m%dT%H%M%S.%fZ}-{os.getpid()}"
        for n in range(1, 1000):  # exclusive creation: a log never replaces another one
            path = folder / (f"{stamp}.log" if n == 1 else f"{stamp}-{n}.log")
            try:
                with open(path, "x", encoding="utf-8") as fh:
                    fh.write("".join(traceback.format_exception(exc)))
            except FileExistsError:
                continue
            return str(path)
        return "(the log folder could not be written)"
    except OSError:
        return "(the log folder could not be written)"


@click.group(cls=Main, context_settings={"help_option_names": ["-h", "--help"]}, invoke_without_command=True)
@click.option(
    "--controls",
    "controls",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Extra folder of organisation control files (also AUDITPREP_CONTROLS).",
)
@click.version_option(package_name="auditprep", prog_name="auditprep")
@click.pass_context
def main(ctx: click.Context, controls: tuple[Path, ...]) -> None:
    """Prepare container workloads on AWS for PCI DSS, HIPAA, HITRUST and FedRAMP audits.

    Run without a command to open the assistant.
    """
    ctx.ensure_object(dict)
    ctx.obj["controls"] = controls
    if ctx.invoked_subcommand not in (None, "review", "demo"):  # the assistant handles its own signals
        _install_sigterm()
    if ctx.invoked_subcommand is None:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            click.echo(ctx.get_help())
            return
        from auditprep.tui import launch

        controls_dirs = extra_control_dirs(ctx)
        sys.exit(launch(catalog=lambda: load_catalog_from(controls_dirs)))


def _register() -> None:
    from auditprep.cli import answers, collect, decisions, deliver, engagement, history

    for module in (engagement, answers, collect, deliver, decisions, history):
        for command in module.COMMANDS:
            main.add_command(command)


_register()
