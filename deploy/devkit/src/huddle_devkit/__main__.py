"""``python -m huddle_devkit run|announce|demo|secrets``."""

import argparse
import contextlib
import os
import signal
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from huddle_devkit.startup import run_started_at

# Each command imports what it needs when it runs: `announce` starts beside the services
# and polls with the standard library only, leaving them the CPU (decision 0028).

READY_POLL_SECONDS = 0.05


def is_ready(url: str) -> bool:
    with (
        contextlib.suppress(OSError),
        urllib.request.urlopen(f"{url}/health/ready", timeout=2.0) as response,  # noqa: S310
    ):
        return bool(response.status == 200)
    return False  # refused, not yet listening, or 503 (HTTPError is an OSError)


def wait_ready(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if is_ready(url):
            return
        time.sleep(READY_POLL_SECONDS)
    raise SystemExit(f"Huddle was not ready at {url} after {timeout:.0f}s")


def announce(url: str, timeout: float) -> None:
    """Wait for readiness, load demo data once, print where Huddle is, then stay up."""
    started = run_started_at()  # the launcher passes on when `make run` began
    wait_ready(url, timeout)
    ready_after = time.time() - started
    print(f"ready {ready_after:.1f}s after `make run` began", flush=True)
    from huddle_devkit import demo

    summary = demo.load(url)
    print(
        f"\n  Huddle is running at {url}  (ready in {ready_after:.1f}s; {summary.describe()})\n"
        f"  Home page (sign in there): {url}/\n"
        f"  API documentation: {url}/schema\n"
        f"  Instance admin: {os.environ.get('HUDDLE_ADMIN_EMAIL', '')} / "
        f"{os.environ.get('HUDDLE_ADMIN_PASSWORD', '')}\n"
        f"  Demo members' password: {demo.DEMO_PASSWORD}\n"
        "  Press Ctrl-C to stop everything.\n",
        flush=True,
    )
    signal.pause()


def main() -> None:
    parser = argparse.ArgumentParser(prog="huddle_devkit")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="start the whole system")
    run.add_argument(
        "--port", type=int, default=int(os.environ.get("GATEWAY_PORT", "8000")), help="gateway port"
    )
    ann = commands.add_parser("announce", help="wait until ready, load demo data, print the URL")
    ann.add_argument("--url", required=True)
    ann.add_argument("--timeout", type=float, default=60.0)
    load = commands.add_parser("demo", help="load demo data into a running system")
    load.add_argument("--url", default="http://127.0.0.1:8000")
    load.add_argument("--scale", type=int, default=1, help="times the demo (10: 3,000 members)")
    load.add_argument("--concurrency", type=int, default=None, help="requests in flight at once")
    made = commands.add_parser("secrets", help="make an instance's secrets once (kept if present)")
    made.add_argument("directory", type=Path)
    made.add_argument("--owner", type=int, help="uid to own them (the containers' user), as root")
    args = parser.parse_args()

    if args.command == "run":
        from huddle_devkit import launcher

        sys.exit(launcher.run(args.port))
    elif args.command == "announce":
        announce(args.url, args.timeout)
    elif args.command == "secrets":
        from huddle_devkit import instance_secrets

        instance_secrets.ensure_instance_secrets(args.directory)
        if args.owner is not None:
            instance_secrets.give_to(args.directory, args.owner)
        print(f"secrets in {args.directory} (see docs/operators-guide.md, 'Access and secrets')")
    else:
        from huddle_devkit import demo

        concurrency = args.concurrency or demo.CONCURRENCY
        print(demo.load(args.url, scale=args.scale, concurrency=concurrency).describe())


if __name__ == "__main__":
    main()
