# ruff: noqa: INP001  (a script, not a package)
"""Write the RabbitMQ definitions (compose's and the k8s import job's) from the topology.

Usage, from any directory::

    python deploy/rabbitmq/generate_definitions.py          # rewrite both files
    python deploy/rabbitmq/generate_definitions.py --check  # exit 1 if either is stale

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
K8S_COPY = REPO_ROOT / "deploy" / "k8s" / "dependencies" / "definitions.json"
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
    parser.add_argument(
        "--output", type=Path, help=f"one file instead of both ({OUTPUT}, {K8S_COPY})"
    )
    args = parser.parse_args(argv)
    outputs = [args.output] if args.output else [OUTPUT, K8S_COPY]
    expected = render()
    if args.check:
        stale = [path for path in outputs if _read(path) != expected]
        for path in stale:
            sys.stderr.write(f"{path} is stale: run {Path(__file__).name}\n")
        return 1 if stale else 0
    for path in outputs:
        path.write_text(expected, encoding="utf-8")
    return 0


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None


if __name__ == "__main__":
    sys.exit(main())
