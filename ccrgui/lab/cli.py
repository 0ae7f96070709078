"""`ccrgui-lab`: run the simulated cluster as a separate process for the GUI, tests or a demo.

Prints one JSON line (`Lab.info()`) once every endpoint accepts connections, then serves
until SIGINT or SIGTERM, and exits 0 after a clean stop.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from ccrgui.lab.faults import Costs
from ccrgui.lab.kdc import KdcError
from ccrgui.lab.topology import TopologyError, default_topology, load_topology


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="ccrgui-lab",
        description="Run a simulated WS2008 / Exchange 2007 CCR cluster behind WinRM on 127.0.0.1.",
    )
    p.add_argument("--topology", metavar="FILE", help="topology JSON file (default: the built-in cluster)")
    p.add_argument("--nodes", type=int, default=None, help="number of nodes of the default topology (1-8)")
    p.add_argument(
        "--port", type=int, default=None, help="first node's port; next nodes P+1..., cluster name last"
    )
    p.add_argument(
        "--auth",
        choices=("ntlm", "basic-https", "kerberos"),
        default="ntlm",
        help="authentication (default ntlm; kerberos also runs an MIT KDC for the lab's realm, "
        "and the JSON line says how to kinit)",
    )
    p.add_argument(
        "--https",
        action="store_true",
        help="HTTPS listeners with --auth ntlm or kerberos (CA file in the JSON)",
    )
    p.add_argument(
        "--strict-cbt",
        action="store_true",
        help="logons over HTTPS need channel bindings (WinRM CbtHardeningLevel Strict; default Relaxed)",
    )
    p.add_argument("--latency-ms", type=float, default=0.0, help="added to every HTTP request")
    p.add_argument("--speed", type=float, default=1.0, help="state changes run this many times faster")
    p.add_argument("--events", type=int, default=2000, help="pre-generated event history per node")
    p.add_argument("--host", default="127.0.0.1", help=argparse.SUPPRESS)
    p.add_argument(
        "--allow-unencrypted", action="store_true", help="accept unencrypted bodies and Basic on HTTP"
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log requests to stderr")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    try:
        if args.topology:
            if args.nodes is not None:
                print("ccrgui-lab: --topology and --nodes cannot be combined", file=sys.stderr)
                return 2
            topology = load_topology(args.topology)
        else:
            topology = default_topology(args.nodes if args.nodes is not None else 2)
    except TopologyError as exc:
        print(f"ccrgui-lab: {exc}", file=sys.stderr)
        return 2
    if args.speed <= 0:
        print("ccrgui-lab: --speed must be positive", file=sys.stderr)
        return 2

    from ccrgui.lab.exposure import exposure_warnings
    from ccrgui.lab.lab import Lab  # imported late so --help works fast

    for warning in exposure_warnings(args.host, allow_unencrypted=args.allow_unencrypted):
        print(f"ccrgui-lab: WARNING: {warning}", file=sys.stderr)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    costs = Costs(latency_s=max(0.0, args.latency_ms) / 1000.0)
    lab = Lab(
        topology,
        auth=args.auth,
        speed=args.speed,
        costs=costs,
        events=args.events,
        host=args.host,
        allow_unencrypted=args.allow_unencrypted,
        base_port=args.port,
        strict_cbt=args.strict_cbt,
        https=args.https,
    )
    try:
        lab.start()
    except OSError as exc:
        print(f"ccrgui-lab: cannot open the endpoints: {exc}", file=sys.stderr)
        lab.stop()
        return 1
    except KdcError as exc:
        print(f"ccrgui-lab: cannot run the Kerberos realm: {exc}", file=sys.stderr)
        lab.stop()
        return 1
    try:
        sys.stdout.write(json.dumps(lab.info()) + "\n")
        sys.stdout.flush()
        while not stop.wait(0.2):
            pass
    finally:
        lab.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
