# ruff: noqa: INP001  (a script, not a package)
"""Write deploy/rabbitmq/definitions.json from ``shared.messaging.topology``.

Usage, from any directory::

    python deploy/rabbitmq/generate_definitions.py          # rewrite the file
    python deploy/rabbitmq/generate_definitions.py --check  # exit 1 if the file is stale

The file is imported into the broker by the ``rabbitmq-init`` service of docker-compose.yml, so
the exchanges, queues and bindings exist before any qcflow service starts (the services still
declare them themselves, idempotently).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
OUTPUT = HERE / "definitions.json"
VHOST = "/"

if str(REPO_ROOT) not in sys.path:  # run as a script: make `shared` importable
    sys.path.insert(0, str(REPO_ROOT))

from shared.messaging.topology import rabbitmq_definitions  # noqa: E402


def render() -> str:
    """Return the document exactly as committed: indent 2, sorted keys, final newline."""
    # Declare the vhost too: objects in a vhost that does not exist fail the whole import.
    document = {"vhosts": [{"name": VHOST}], **rabbitmq_definitions(vhost=VHOST)}
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check", action="store_true", help="do not write; exit 1 when the committed file differs"
    )
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"default: {OUTPUT}")
    args = parser.parse_args(argv)
    expected = render()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
        if current != expected:
            sys.stderr.write(f"{args.output} is stale: run {Path(__file__).name}\n")
            return 1
        return 0
    args.output.write_text(expected, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
