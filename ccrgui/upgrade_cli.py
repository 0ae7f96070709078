"""`ccrgui upgrade`: the rolling service-pack / update-rollup upgrade without a window.

For scheduled maintenance windows and scripts: the same engine as the wizard
(`ccrgui.domain.upgrade`), one line per step, exit 0 when done, 2 when a pre-check refuses
(or there is nothing to resume), 1 when a step fails.  Without --yes the backup confirmation and
the monitoring services to stop are asked on the terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from ccrgui.domain.session_api import AuthMethod, ConnectionSettings
from ccrgui.domain.upgrade.journal import Journal, JournalError, journal_path
from ccrgui.domain.upgrade.prechecks import PreCheckReport, UpgradeOptions
from ccrgui.domain.upgrade.procedure import EventKind, UpgradeEvent, UpgradeProcedure

EXIT_DONE, EXIT_FAILED, EXIT_REFUSED = 0, 1, 2


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="ccrgui upgrade",
        description="Rolling service-pack or update-rollup upgrade of an Exchange 2007 CCR cluster.",
    )
    p.add_argument("--connect", metavar="HOST", help="the cluster (or one of its nodes)")
    p.add_argument(
        "--user", metavar="DOMAIN\\USER", default="", help="log on as this user (NTLM); default: current user"
    )
    p.add_argument(
        "--password-env", metavar="VAR", default="", help="environment variable holding the password"
    )
    p.add_argument("--http", action="store_true", help="WinRM over HTTP (5985) with message encryption")
    p.add_argument("--port", type=int, default=None)
    p.add_argument(
        "--lab-info", metavar="FILE", help="connect to a running ccrgui-lab (the JSON line it printed)"
    )
    p.add_argument(
        "--setup-path", metavar="PATH", default="", help="the service pack's setup files folder on the nodes"
    )
    p.add_argument("--rollup", metavar="FILE.msp", default="", help="install this update rollup instead")
    p.add_argument(
        "--move-back", action="store_true", help="at the end, move the CMS back to the node it started on"
    )
    p.add_argument("--stop-reason", default="", help="the reason given to Stop-ClusteredMailboxServer")
    p.add_argument(
        "--yes", action="store_true", help="backups are taken; stop the detected monitoring services"
    )
    p.add_argument("--resume", action="store_true", help="continue the upgrade in progress on this cluster")
    p.add_argument("--journal", metavar="FILE", type=Path, help="the progress journal (default: per cluster)")
    p.add_argument("-v", "--verbose", action="store_true", help="also print every command before it runs")
    args = p.parse_args(argv)
    if not args.connect and not args.lab_info:
        p.error("--connect HOST or --lab-info FILE is needed")
    if not args.resume and bool(args.setup_path) == bool(args.rollup):
        p.error("give either --setup-path PATH (service pack) or --rollup FILE.msp")
    if args.user and not args.password_env and not args.lab_info:
        p.error("--user needs --password-env VAR")
    return args


def connection(args: argparse.Namespace) -> tuple[ConnectionSettings, str, float]:
    """Settings, password and the lab's speed (1 for a real cluster)."""
    if args.lab_info:
        from ccrgui.remote.session import settings_from_lab_info

        text = Path(args.lab_info).read_text(encoding="utf-8")
        info = json.loads(next(line for line in text.splitlines() if line.strip().startswith("{")))
        settings, password = settings_from_lab_info(info)
        return settings, password, float(info.get("speed") or 1.0)
    password = os.environ.get(args.password_env, "") if args.password_env else ""
    if args.password_env and not password:
        raise ValueError(f"the environment variable {args.password_env} is empty or not set")
    auth = AuthMethod.NTLM if args.user else AuthMethod.CURRENT_USER
    settings = ConnectionSettings(
        host=args.connect, port=args.port, https=not args.http, auth=auth, username=args.user
    )
    return settings, password, 1.0


class Terminal:
    """Questions and answers on the terminal (or --yes)."""

    def __init__(self, yes: bool, ask: Callable[[str], str] = input, out: TextIO = sys.stdout) -> None:
        self.yes, self._ask, self.out = yes, ask, out

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    def confirm(self, question: str) -> bool:
        if self.yes:
            return True
        try:
            return self._ask(f"{question} [y/N] ").strip().casefold() in ("y", "yes")
        except EOFError:
            return False

    def services(self, node: str, found: list[str]) -> list[str]:
        if self.yes:
            return found
        shown = ", ".join(found) or "none"
        try:
            answer = self._ask(
                f"Monitoring services to stop on {node} before setup: {shown}.\n"
                "Press Enter to accept, or type the service names separated by commas: "
            )
        except EOFError:
            return found
        names = [x.strip() for x in answer.split(",") if x.strip()]
        return names or found


def print_checks(term: Terminal, report: PreCheckReport) -> None:
    for c in report.checks:
        mark = "OK  " if c.ok else ("FAIL" if c.blocking else "note")
        term.say(f"  [{mark}] {c.name}: {c.detail}")


def _step_line(total: int) -> Callable[[UpgradeEvent], str]:
    def line(e: UpgradeEvent) -> str:
        where = f"{e.step.node}: " if e.step.node else ""
        return f"[{e.index + 1:>2}/{total}] {where}{e.step.title} ... "

    return line


async def _prepare(proc: UpgradeProcedure, args: argparse.Namespace, term: Terminal) -> int:
    """Pre-checks and a new journal; EXIT_DONE to go on."""
    options = UpgradeOptions(
        setup_folder=args.setup_path,
        rollup=args.rollup,
        move_back=args.move_back,
        stop_reason=args.stop_reason
        or ("Exchange update rollup (ccrgui)" if args.rollup else "Exchange service pack upgrade (ccrgui)"),
    )
    term.say(f"Pre-checks on {proc.session.cluster_name}:")
    report = await proc.prechecks(options, backup_confirmed=True)
    print_checks(term, report)
    refusals = [c for c in report.refusals if not c.name.startswith("Full backups")]
    if refusals:
        term.say("Refused: " + "; ".join(f"{c.name} ({c.detail})" for c in refusals))
        return EXIT_REFUSED
    if not term.confirm("Full backups of both nodes were taken?"):
        term.say("Refused: the full backups of both nodes were not confirmed.")
        return EXIT_REFUSED
    services = (
        {}
        if options.is_rollup
        else {node: term.services(node, [s.name for s in found]) for node, found in report.monitoring.items()}
    )
    proc.begin(report, options, services)
    return EXIT_DONE


async def run(args: argparse.Namespace, term: Terminal) -> int:
    from ccrgui.remote.api import ConnectionError_
    from ccrgui.remote.session import WinRMClusterSession

    settings, password, speed = connection(args)
    try:
        session = WinRMClusterSession(settings, password, time_scale=speed)
    except ConnectionError_ as exc:  # settings the transport refuses: nothing was sent
        term.say(f"Refused: {exc}")
        return EXIT_REFUSED
    try:
        path = args.journal or journal_path(session.cluster_name)
        proc = UpgradeProcedure(session, path)
        try:
            existing = proc.load()
        except JournalError as exc:
            term.say(f"Refused: the progress journal cannot be read: {exc}")
            return EXIT_REFUSED
        if args.resume:
            if existing is None or existing.finished:
                term.say(f"Nothing to resume: no upgrade in progress ({path}).")
                return EXIT_REFUSED
            term.say(f"Resuming the upgrade of {existing.cluster} ({len(existing.done)} steps done).")
        else:
            if existing is not None and not existing.finished:
                term.say(f"Refused: an upgrade of this cluster is in progress ({path}); run with --resume.")
                return EXIT_REFUSED
            code = await _prepare(proc, args, term)
            if code != EXIT_DONE:
                return code
        return await _run_steps(proc, args, term)
    finally:
        await session.close()


async def _run_steps(proc: UpgradeProcedure, args: argparse.Namespace, term: Terminal) -> int:
    steps = proc.steps()
    line = _step_line(len(steps))

    def on_event(e: UpgradeEvent) -> None:
        if e.kind is EventKind.STEP_DONE:
            term.say(line(e) + f"done ({e.text})")
        elif e.kind is EventKind.STEP_SKIPPED:
            term.say(line(e) + f"already done ({e.text})")
        elif e.kind is EventKind.STEP_FAILED:
            term.say(line(e) + f"FAILED: {e.text}")
        elif e.kind is EventKind.COMMANDS and args.verbose:
            for text in e.text.splitlines():
                term.say("      > " + text)

    outcome = await proc.run(on_event)
    if not outcome.ok:
        term.say(f"What to do: {outcome.advice}")
        term.say("Then run the same command with --resume.")
        return EXIT_FAILED
    journal: Journal | None = proc.journal
    term.say(f"Upgrade of {journal.cluster if journal else ''} complete.")
    return EXIT_DONE


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    term = Terminal(args.yes)
    try:
        return asyncio.run(run(args, term))
    except (OSError, ValueError, StopIteration) as exc:
        print(f"ccrgui upgrade: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except KeyboardInterrupt:
        print("ccrgui upgrade: interrupted; run again with --resume", file=sys.stderr)
        return EXIT_FAILED
