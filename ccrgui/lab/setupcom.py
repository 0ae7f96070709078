"""Exchange 2007 `setup.com /mode:upgrade` and `setup.com /upgradecms` on a lab node.

Output follows the real console copies in shared/reference/setup: the banner, `Preparing
Exchange Setup`, the role list, then step lines `    <name padded to 33>......................... COMPLETED`
(or `FAILED`), warnings and errors as separate lines, and the final verdict sentence.

The 80-column hard wraps in the samples ("Mai" / "l flow", "visi" / "t http") come from copying
a console window, not from setup.com: a redirected stream (WinRS) carries each message as one
long line, so the lab writes unwrapped lines.  A step line is written in two parts (name and
dots first, ` COMPLETED` when the step ends) as the console shows it filling in.

`/upgradecms` output was never captured (NOTES: NOT FOUND); the lab prints it in the same
format with its own step names (`UPGRADECMS_STEPS`) and, as the practitioner procedure
(NOTES 1b) says, brings the CMS back online when it completes.  setup.com is found only in a
setup media folder (`nodefiles`); the media's build is what it installs.  Each step takes
nominal seconds scaled by the clock's speed factor; `/mode:upgrade` takes about ten nominal
minutes.
"""

from __future__ import annotations

from ccrgui.lab.engine import LabError
from ccrgui.lab.nodefiles import setup_media_at
from ccrgui.lab.process import ProcessIO
from ccrgui.lab.programs import Context, register

CRLF = "\r\n"
# The version the built-in topology's setup media installs: Exchange 2007 SP2 (8.2.176.2).
SETUP_MEDIA_VERSION = "8.2.176.2"

BANNER = "Welcome to Microsoft Exchange Server 2007 Unattended Setup"
PREPARING = "Preparing Exchange Setup"
ROLES_TITLE = "The following server roles will be upgraded"
PREREQ_TITLE = "Performing Microsoft Exchange Server Prerequisite Check"
CONFIG_TITLE = "Configuring Microsoft Exchange Server"
SUCCESS = "The Microsoft Exchange Server setup operation completed successfully."
NOT_COMPLETE = (
    "The Exchange Server Setup operation did not complete. For more information, visit "
    "http://support.microsoft.com and enter the Error ID."
)
ENCOUNTERED = "Exchange Server setup encountered an error."
# No capture of this failure exists: the lab's wording.  It models why the practitioner procedure
# stops the services that read performance counters before setup (NOTES 1b): setup reloads the
# Exchange performance counters and fails while another process holds them.  The services setup
# stopped are started again; the node keeps its old build and setup can be run again.
PERF_COUNTERS_IN_USE = (
    "Process execution failed with exit code 1. The performance counters of Microsoft Exchange "
    "could not be unloaded because they are in use by {services}. Stop the services that read "
    "performance counters and run Setup again."
)
STEP_NAME_WIDTH = 33
STEP_DOTS = "." * 25

# (role shown in the list) for a clustered mailbox node
CCR_ROLES = ("Mailbox Role", "Management Tools")
# (step name, nominal seconds)
PREREQ_STEPS = (("Mailbox Role Checks", 20.0),)
UPGRADE_STEPS = (
    ("Preparing Setup", 15.0),
    ("Removing Exchange Files", 90.0),
    ("Preparing Files", 20.0),
    ("Copying Exchange files", 150.0),
    ("Mailbox Server Role", 240.0),
    ("Exchange Management Tools", 45.0),
    ("Finalizing Setup", 30.0),
)
UPGRADECMS_PREREQ = (("Clustered Mailbox Server Checks", 15.0),)
UPGRADECMS_STEPS = (("Clustered Mailbox Server Upgrade", 120.0), ("Finalizing Setup", 20.0))


def step_prefix(name: str) -> str:
    """`    <name>` padded to the dot column, then the dots (a long name pushes them right)."""
    return f"    {name.ljust(STEP_NAME_WIDTH)}{STEP_DOTS}"


# Services setup stops on the node while it replaces the binaries (and starts again after).
SETUP_STOPS = ("MSExchangeRepl", "MSExchangeIS", "MSExchangeSA", "ClusSvc")


class SetupRun:
    def __init__(self, io: ProcessIO, ctx: Context, build: str = SETUP_MEDIA_VERSION) -> None:
        self.io = io
        self.ctx = ctx
        self.engine = ctx.host.engine
        self.node = ctx.host.name
        self.build = build  # what the media installs

    def line(self, text: str = "") -> None:
        self.io.write(text + CRLF)

    def wait(self, nominal_s: float) -> None:
        self.io.sleep(self.engine.clock.delay(nominal_s))

    def step(self, name: str, nominal_s: float) -> None:
        self.io.write(step_prefix(name))
        self.wait(nominal_s)
        self.io.write(" COMPLETED" + CRLF)

    def failed_step(self, name: str, message: str) -> int:
        self.io.write(step_prefix(name))
        self.wait(5.0)
        self.io.write(" FAILED" + CRLF)
        self.line("     " + message)
        self.line(NOT_COMPLETE)
        self.line(ENCOUNTERED)
        return 1

    # ---- /mode:upgrade --------------------------------------------------------------------------

    def upgrade(self) -> int:
        self.line(BANNER)
        self.line(PREPARING)
        self.wait(10.0)
        self.line(ROLES_TITLE)
        for role in CCR_ROLES:
            self.line("    " + role)
        self.line(PREREQ_TITLE)
        name, secs = PREREQ_STEPS[0]
        try:
            if not self.ctx.account.admin:
                raise LabError(5, "Setup must be run by a member of the local Administrators group.")
            self.engine.check_node_upgrade(self.node)
            current = self.engine.node(self.node).exchange_version
            if _vkey(current) >= _vkey(self.build):
                raise LabError(
                    0,
                    f"The installed version of Exchange Server ({current}) is the same as or newer than the "
                    f"version being installed ({self.build}). There is nothing to upgrade.",
                )
        except LabError as exc:
            return self.failed_step(name, exc.message)
        self.step(name, secs)
        self.line(CONFIG_TITLE)
        return self._configure()

    def _configure(self) -> int:
        """The upgrade steps; a running performance-counter reader fails the Mailbox role step."""
        for step, secs in UPGRADE_STEPS:
            if step == "Mailbox Server Role" and (readers := self._counter_readers()):
                code = self.failed_step(step, PERF_COUNTERS_IN_USE.format(services=", ".join(readers)))
                self.engine.start_services(self.node, reversed(SETUP_STOPS))
                return code
            if step == "Preparing Setup":
                self.io.write(step_prefix(step))
                # Setup stops the Exchange services and the cluster service on this node; the
                # groups it owns move to the other node.
                self.engine.stop_services(self.node, SETUP_STOPS)
                self.wait(secs)
                self.io.write(" COMPLETED" + CRLF)
            elif step == "Finalizing Setup":
                self.io.write(step_prefix(step))
                self.wait(secs)
                self.engine.upgrade_node_exchange(self.node, self.build)
                self.engine.start_services(self.node, reversed(SETUP_STOPS))
                self.io.write(" COMPLETED" + CRLF)
            else:
                self.step(step, secs)
        self.line(SUCCESS)
        return 0

    def _counter_readers(self) -> list[str]:
        info = self.engine.node(self.node)
        return [
            f"{s.name} ({s.display_name})"
            for s in info.spec.services
            if s.perf_counters and info.services.get(s.name, False)
        ]

    # ---- /upgradecms ----------------------------------------------------------------------------

    def upgrade_cms(self) -> int:
        self.line(BANNER)
        self.line(PREPARING)
        self.wait(10.0)
        self.line(PREREQ_TITLE)
        name, secs = UPGRADECMS_PREREQ[0]
        try:
            if not self.ctx.account.admin:
                raise LabError(5, "Setup must be run by a member of the local Administrators group.")
            self.engine.check_cms_upgrade(self.node)
        except LabError as exc:
            return self.failed_step(name, exc.message)
        self.step(name, secs)
        self.line(CONFIG_TITLE)
        for step, secs in UPGRADECMS_STEPS:
            if step == "Finalizing Setup":
                self.io.write(step_prefix(step))
                self.wait(secs)
                self.engine.upgrade_cms(
                    self.node, self.engine.node(self.node).exchange_version, user=self.ctx.account.qualified
                )
                self.io.write(" COMPLETED" + CRLF)
            else:
                self.step(step, secs)
        self.line(SUCCESS)
        return 0


def _vkey(v: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in v.split("."))


def run_setup(io: ProcessIO, ctx: Context, argv: list[str]) -> int:
    """setup.com entry: `/mode:upgrade` (or `/m:upgrade`) and `/upgradecms`, case-insensitive.

    The media is the folder setup.com was started from (argv[0]); its build is what it installs.
    """
    media = setup_media_at(ctx.host.topology, argv[0])
    run = SetupRun(io, ctx, media.build if media else SETUP_MEDIA_VERSION)
    args = [a.casefold() for a in argv[1:]]
    if any(a in ("/upgradecms", "-upgradecms") for a in args):
        return run.upgrade_cms()
    for a in args:
        key, _, value = a.lstrip("/-").partition(":")
        if key in ("mode", "m") and value == "upgrade":
            return run.upgrade()
    run.line(BANNER)
    run.line(
        "The following parameters are not valid for the current operation: "
        + (" ".join(argv[1:]) or "(none)")
        + ". Supported here: /mode:upgrade, /upgradecms."
    )
    run.line(ENCOUNTERED)
    return 1


register("setup", run_setup)
