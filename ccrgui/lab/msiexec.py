"""`msiexec /p FILE.msp /qn` on a lab node: installs an update rollup of the topology.

msiexec prints nothing with /qn; the outcome is its exit code (Windows Installer's documented
codes): 0 success, 3010 success but a restart is required (ERROR_SUCCESS_REBOOT_REQUIRED, for a
rollup marked `reboot_required`), 1603 fatal error (the CMS is active on this node, or the caller
is not an administrator), 1619 the package could not be opened (no such file), 1642 the patch
does not apply to the installed product (a rollup for another service pack), 1639 invalid
command line.

As Microsoft describes for Exchange 2007 rollups on clustered mailbox servers, installing stops
the cluster service and the Exchange services on the node (groups it owns move away) and starts
them again at the end.  The install takes `NOMINAL_S` nominal seconds scaled by the lab's speed.
msiexec is a GUI-subsystem program: on Windows an interactive cmd.exe does not wait for it
(`start /wait msiexec ...` does); the lab always runs it to completion before answering.
"""

from __future__ import annotations

from ccrgui.lab.engine import LabError
from ccrgui.lab.nodefiles import rollup_at
from ccrgui.lab.process import ProcessIO
from ccrgui.lab.programs import Context, register

ERROR_SUCCESS = 0
ERROR_INSTALL_FAILURE = 1603
ERROR_INSTALL_PACKAGE_OPEN_FAILED = 1619
ERROR_INVALID_COMMAND_LINE = 1639
ERROR_PATCH_TARGET_NOT_FOUND = 1642
ERROR_SUCCESS_REBOOT_REQUIRED = 3010

NOMINAL_S = 480.0  # an Exchange 2007 rollup takes several minutes per node
# What the rollup installer stops on the node and starts again afterwards.
ROLLUP_STOPS = ("MSExchangeRepl", "MSExchangeIS", "MSExchangeSA", "ClusSvc")

_UI = {"/qn", "/quiet", "/passive", "/qb", "/qr", "/qf", "/q", "/qn+", "/qb-", "/qb!"}
_RESTART = {"/norestart", "/forcerestart", "/promptrestart"}


def parse(argv: list[str]) -> str | None:
    """The .msp path of `/p PATH` (or `/update PATH`), or None for a command line msiexec rejects."""
    patch: str | None = None
    i = 1
    while i < len(argv):
        low = argv[i].casefold().replace("-", "/", 1)
        if low in ("/p", "/update") and i + 1 < len(argv):
            patch = argv[i + 1]
            i += 2
        elif low.startswith("/l") and i + 1 < len(argv):
            i += 2  # /l*v logfile: the lab writes no log
        elif low in _UI or low in _RESTART:
            i += 1
        else:
            return None
    return patch


def run_msiexec(io: ProcessIO, ctx: Context, argv: list[str]) -> int:
    path = parse(argv)
    if path is None:
        return ERROR_INVALID_COMMAND_LINE
    engine = ctx.host.engine
    node = ctx.host.name
    rollup = rollup_at(ctx.host.topology, path)
    if rollup is None:
        return ERROR_INSTALL_PACKAGE_OPEN_FAILED
    if not ctx.account.admin:
        return ERROR_INSTALL_FAILURE
    info = engine.node(node)
    if info.file_build == rollup.build:
        return ERROR_SUCCESS  # already installed: nothing to do
    try:
        engine.check_rollup(node, rollup.build)
    except LabError as exc:
        return exc.code or ERROR_INSTALL_FAILURE
    stopped = engine.stop_services(node, ROLLUP_STOPS)
    try:
        io.sleep(engine.clock.delay(NOMINAL_S))
        engine.install_rollup(node, rollup.build)
    except LabError as exc:
        return exc.code or ERROR_INSTALL_FAILURE
    finally:
        # Also when the caller's shell is closed meanwhile: the node does not stay out of the cluster.
        engine.start_services(node, reversed(stopped))
    return ERROR_SUCCESS_REBOOT_REQUIRED if rollup.reboot_required else ERROR_SUCCESS


register("msiexec", run_msiexec)
