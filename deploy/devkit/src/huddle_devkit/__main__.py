"""``python -m huddle_devkit run|announce|demo|secrets``."""

import argparse
import os
import signal
import sys
import time
from pathlib import Path

import httpx

from huddle_devkit import demo, instance_secrets, launcher


def wait_ready(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health/ready", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"Huddle was not ready at {url} after {timeout:.0f}s")


def announce(url: str, timeout: float) -> None:
    """Wait for readiness, load demo data once, print where Huddle is, then stay up."""
    started = time.monotonic()
    wait_ready(url, timeout)
    ready_after = time.monotonic() - started
    summary = demo.load(url)
    print(
        f"\n  Huddle is running at {url}  (ready in {ready_after:.1f}s; {summary.describe()})\n"
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
    load.add_argument(
        "--concurrency", type=int, default=demo.CONCURRENCY, help="requests in flight at once"
    )
    made = commands.add_parser("secrets", help="make an instance's secrets once (kept if present)")
    made.add_argument("directory", type=Path)
    made.add_argument("--owner", type=int, help="uid to own them (the containers' user), as root")
    args = parser.parse_args()

    if args.command == "run":
        sys.exit(launcher.run(args.port))
    elif args.command == "announce":
        announce(args.url, args.timeout)
    elif args.command == "secrets":
        instance_secrets.ensure_instance_secrets(args.directory)
        if args.owner is not None:
            instance_secrets.give_to(args.directory, args.owner)
        print(f"secrets in {args.directory} (see docs/operators-guide.md, 'Access and secrets')")
    else:
        print(demo.load(args.url, scale=args.scale, concurrency=args.concurrency).describe())


if __name__ == "__main__":
    main()
