"""Static checks of the deployment: docker-compose.yml, Dockerfile, deploy/ and .env.example.

No Docker engine runs here, so these tests parse the real files and check that they agree with
each other and with the code: Settings fields, service names and ports, the RabbitMQ topology.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the project is not necessarily installed into the venv
    sys.path.insert(0, str(ROOT))

from shared.messaging.topology import SERVICE_QUEUES  # noqa: E402
from shared.settings import SERVICE_PORTS, Settings  # noqa: E402

pytestmark = pytest.mark.unit

COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"
PYPROJECT = ROOT / "pyproject.toml"
DEFINITIONS = ROOT / "deploy" / "rabbitmq" / "definitions.json"
GENERATOR = ROOT / "deploy" / "rabbitmq" / "generate_definitions.py"

SERVICES = tuple(SERVICE_PORTS)  # the real qcflow services
PORTS: dict[str, int] = {str(name): port for name, port in SERVICE_PORTS.items()}
SETTINGS_ENV = frozenset(f"QCFLOW_{field.upper()}" for field in Settings.model_fields)
INITDB_DIR = "/docker-entrypoint-initdb.d/"
CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
SECRET_NAME = re.compile(r"PASS|SECRET", re.IGNORECASE)
URL_SAFE = re.compile(r"[A-Za-z0-9._~-]+")

# Compose interpolation: $$ (a literal $), ${VAR}, ${VAR:-default}, ${VAR:?error}, ..., $VAR.
INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<braced>[A-Za-z_]\w*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_]\w*))"
)


# --- reading the files ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    document = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(document, dict), f"{COMPOSE_FILE.name} is not a YAML mapping"
    assert isinstance(document.get("services"), dict), f"{COMPOSE_FILE.name} has no services"
    return document


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = compose["services"]
    return found


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    values: dict[str, str] = {}
    for number, raw in enumerate(ENV_EXAMPLE.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        assert sep, f".env.example line {number} is not NAME=value: {raw!r}"
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[name.strip()] = value
    return values


def interpolate(text: str, env: dict[str, str]) -> str:
    """Resolve compose interpolation in ``text`` the way ``docker compose`` does."""

    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["bare"]
        value, op, arg = env.get(name), match["op"], match["arg"]
        unset = value is None or (op is not None and op.startswith(":") and value == "")
        if op in {"-", ":-"}:
            return arg if unset else str(value)
        if op in {"?", ":?"}:
            if unset:
                pytest.fail(f"compose would refuse to start: ${{{name}}} is required ({arg})")
            return str(value)
        if op in {"+", ":+"}:
            return "" if unset else arg
        return value or ""

    return INTERPOLATION.sub(replace, text)


def variables_in(text: str) -> set[str]:
    return {m["braced"] or m["bare"] for m in INTERPOLATION.finditer(text) if not m["escaped"]}


def strings_in(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in [*strings_in(key), *strings_in(value)]]
    if isinstance(node, list):
        return [s for item in node for s in strings_in(item)]
    return []


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.partition("=")[::2] for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def command(service: dict[str, Any]) -> list[str]:
    cmd = service.get("command") or []
    return shlex.split(cmd) if isinstance(cmd, str) else [str(part) for part in cmd]


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


def qcflow_containers(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Services running the qcflow image: built from this repository or tagged qcflow."""
    return {
        name: svc
        for name, svc in services.items()
        if "build" in svc or str(svc.get("image", "")).split(":")[0].endswith("qcflow")
    }


def serving(services: dict[str, dict[str, Any]]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Real service name -> (compose service name, definition) of its `serve` container."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for name, svc in qcflow_containers(services).items():
        cmd = command(svc)
        if cmd[:1] == ["serve"] and len(cmd) > 1:
            assert cmd[1] not in found, f"{cmd[1]} is served by both {found[cmd[1]][0]} and {name}"
            found[cmd[1]] = (name, svc)
    missing = set(SERVICES) - set(found)
    assert not missing, f"no compose service runs `serve` for: {sorted(missing)}"
    return found


def one_shot(services: dict[str, dict[str, Any]]) -> set[str]:
    """Services others wait to *complete*: jobs, not long-running processes."""
    return {
        target
        for svc in services.values()
        for target, condition in depends_on(svc).items()
        if condition == "service_completed_successfully"
    }


def bind_mounts(service: dict[str, Any]) -> list[tuple[Path, str, bool]]:
    """(host path, container path, read-only) of the ./relative bind mounts of a service."""
    mounts = []
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            source, target = str(volume.get("source", "")), str(volume.get("target", ""))
            read_only = bool(volume.get("read_only"))
        else:
            source, target, *options = str(volume).split(":")
            read_only = "ro" in (options[0].split(",") if options else [])
        if source.startswith((".", "/")):
            mounts.append(((ROOT / source).resolve(), target, read_only))
    return mounts


def image_of(services: dict[str, dict[str, Any]], prefix: str) -> tuple[str, dict[str, Any]]:
    matches = [(n, s) for n, s in services.items() if str(s.get("image", "")).startswith(prefix)]
    assert len(matches) >= 1, f"no compose service uses an image starting with {prefix!r}"
    return matches[0]


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    instructions = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def load_generator() -> Any:
    spec = importlib.util.spec_from_file_location("generate_definitions", GENERATOR)
    assert spec is not None, f"cannot load {GENERATOR}"
    assert spec.loader is not None, f"cannot load {GENERATOR}"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- pyproject / image ---------------------------------------------------------------------------


def test_pyproject_defines_the_qcflow_console_script() -> None:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    scripts = project["project"].get("scripts", {})
    assert "qcflow" in scripts, f"[project.scripts] defines no `qcflow`: {scripts}"
    module, sep, attribute = scripts["qcflow"].partition(":")
    assert sep, f"qcflow script target must be module:attribute, got {scripts['qcflow']!r}"
    assert attribute, f"qcflow script target must be module:attribute, got {scripts['qcflow']!r}"
    include = project["tool"]["setuptools"]["packages"]["find"]["include"]
    assert any(fnmatch(module, pattern) for pattern in include), (
        f"qcflow script module {module!r} is not in the installed packages {include}"
    )
    extras = project["project"]["optional-dependencies"]
    assert any(dep.startswith("weasyprint") for dep in extras.get("render", [])), (
        "the Dockerfile installs .[render], which must bring WeasyPrint"
    )


def test_dockerfile_builds_the_render_capable_qcflow_image() -> None:
    instructions = dockerfile_instructions()
    by_keyword: dict[str, list[str]] = {}
    for keyword, rest in instructions:
        by_keyword.setdefault(keyword, []).append(rest)

    assert by_keyword.get("FROM") == ["python:3.11-slim-bookworm"], by_keyword.get("FROM")
    installs = " ".join(run for run in by_keyword.get("RUN", []) if "apt-get install" in run)
    packages = set(installs.split())
    for package in ("libharfbuzz-subset0", "libpango-1.0-0", "libpangoft2-1.0-0"):
        assert package in packages, f"Dockerfile does not apt-get install {package}"
    assert any(re.fullmatch(r"fonts-(wqy-\S+|noto-cjk\S*|arphic-\S+)", p) for p in packages), (
        "Dockerfile installs no CJK font package (fonts-wqy-*, fonts-noto-cjk, fonts-arphic-*)"
    )
    assert any(
        re.search(r"pip install .*[\"']?\.\[render\][\"']?", run)
        for run in by_keyword.get("RUN", [])
    ), "Dockerfile does not pip install .[render]"
    copied = " ".join(by_keyword.get("COPY", [])).split()
    for source in ("pyproject.toml", "shared", "services"):
        assert source in copied, f"Dockerfile does not COPY {source}"

    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))
    entrypoint = json.loads(by_keyword["ENTRYPOINT"][-1])
    assert entrypoint == ["qcflow"], f"ENTRYPOINT must be the qcflow script, got {entrypoint}"
    assert entrypoint[0] in project["project"]["scripts"], "ENTRYPOINT is no [project.scripts]"
    cmd = json.loads(by_keyword["CMD"][-1])
    assert cmd[0] == "serve", f"default CMD should serve a service, got {cmd}"
    assert cmd[1] in SERVICES, f"default CMD serves unknown service {cmd[1]!r}"

    users = by_keyword.get("USER", [])
    assert users, "Dockerfile never switches to a non-root USER"
    assert users[-1].split(":")[0] not in {"root", "0"}, f"final USER is root: {users[-1]}"
    last_user = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "USER")
    last_entry = max(
        i for i, (keyword, _) in enumerate(instructions) if keyword in {"ENTRYPOINT", "CMD"}
    )
    assert last_user < last_entry, "USER must be set before the image's ENTRYPOINT/CMD"

    env_names = set(re.findall(r"\b(QCFLOW_\w+)=", " ".join(by_keyword.get("ENV", []))))
    unknown = env_names - SETTINGS_ENV
    assert not unknown, f"Dockerfile sets QCFLOW_ variables Settings does not have: {unknown}"


# --- the qcflow containers -----------------------------------------------------------------------


def test_qcflow_containers_share_one_image_and_build(services: dict[str, dict[str, Any]]) -> None:
    containers = qcflow_containers(services)
    assert containers, "no compose service builds or runs the qcflow image"
    recipes = {
        name: (json.dumps(svc.get("build"), sort_keys=True), svc.get("image"))
        for name, svc in containers.items()
    }
    assert len(set(recipes.values())) == 1, f"qcflow containers differ in build/image: {recipes}"
    first = next(iter(containers.values()))
    build, image = first.get("build"), first.get("image")
    assert image, "the qcflow containers must name their image, so it is built once and shared"
    assert build, "the qcflow containers must build the image from this repository"
    spec = {"context": build} if isinstance(build, str) else build
    path = ROOT / spec.get("context", ".") / spec.get("dockerfile", "Dockerfile")
    assert path.resolve() == DOCKERFILE, f"qcflow containers build {path}, not {DOCKERFILE}"


def test_each_command_names_a_real_service_matching_its_settings(
    services: dict[str, dict[str, Any]],
) -> None:
    errors = []
    for name, svc in qcflow_containers(services).items():
        cmd, env = command(svc), environment(svc)
        if len(cmd) != 2 or cmd[0] not in {"serve", "migrate"}:
            errors.append(f"{name}: command should be [serve|migrate, <service>], got {cmd}")
            continue
        if cmd[1] not in SERVICES:
            errors.append(f"{name}: {cmd} names no real service (one of {SERVICES})")
        if env.get("QCFLOW_SERVICE") != cmd[1]:
            errors.append(f"{name}: runs {cmd} but QCFLOW_SERVICE={env.get('QCFLOW_SERVICE')!r}")
    assert not errors, "\n".join(errors)


def test_each_service_waits_for_its_own_migrations(services: dict[str, dict[str, Any]]) -> None:
    errors = []
    for real, (name, svc) in serving(services).items():
        migrations = [
            dep
            for dep, condition in depends_on(svc).items()
            if condition == "service_completed_successfully"
            and dep in services
            and command(services[dep]) == ["migrate", real]
        ]
        if len(migrations) != 1:
            errors.append(
                f"{name}: should depend (service_completed_successfully) on exactly "
                f"one `migrate {real}` job, found {migrations}"
            )
            continue
        job_url = environment(services[migrations[0]]).get("QCFLOW_DATABASE_URL")
        if job_url != environment(svc).get("QCFLOW_DATABASE_URL"):
            errors.append(f"{name}: its migration job {migrations[0]} uses another database")
    assert not errors, "\n".join(errors)


def test_qcflow_variables_are_settings_fields(services: dict[str, dict[str, Any]]) -> None:
    errors = [
        f"{name}: {key} is not a Settings field (known: {sorted(SETTINGS_ENV)})"
        for name, svc in services.items()
        for key in environment(svc)
        if key.startswith("QCFLOW_") and key not in SETTINGS_ENV
    ]
    assert not errors, "\n".join(errors)


def test_settings_load_from_each_containers_environment(
    services: dict[str, dict[str, Any]],
    env_example: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, svc in qcflow_containers(services).items():
        with monkeypatch.context() as patch:
            for key in [key for key in os.environ if key.startswith("QCFLOW_")]:
                patch.delenv(key)
            for key, value in environment(svc).items():
                patch.setenv(key, interpolate(value, env_example))
            settings = Settings()  # validates every value against its field's type
        assert settings.service == command(svc)[1], f"{name}: Settings.service={settings.service}"
        assert settings.storage_backend == "s3", f"{name}: should store objects in MinIO (s3)"
        assert settings.http_host == "0.0.0.0", f"{name}: must listen on all interfaces"  # noqa: S104
        assert settings.database_url, f"{name}: has no QCFLOW_DATABASE_URL (would use SQLite)"


def test_database_urls_point_to_own_database_created_by_init_script(
    services: dict[str, dict[str, Any]],
    env_example: dict[str, str],
) -> None:
    assert "postgres" in services, "docker-compose.yml has no postgres service"
    postgres = services["postgres"]
    scripts = [
        (host, target)
        for host, target, _ in bind_mounts(postgres)
        if target.startswith(INITDB_DIR) and target.endswith((".sh", ".sql"))
    ]
    assert len(scripts) == 1, f"postgres should mount one init script into {INITDB_DIR}: {scripts}"
    script = scripts[0][0].read_text(encoding="utf-8")
    assert re.search(r'CREATE ROLE :"name" LOGIN PASSWORD :\'password\'', script), script
    assert re.search(r'CREATE DATABASE :"name" OWNER :"name"', script), script
    created = dict(re.findall(r'^create_service_db\s+(\w+)\s+"\$\{(\w+)', script, re.MULTILINE))
    postgres_env = environment(postgres)

    errors = []
    url_pattern = re.compile(
        r"postgresql\+asyncpg://(?P<user>[^:@/]+):\$\{(?P<var>\w+)[^}]*\}@(?P<rest>.+)"
    )
    for name, svc in qcflow_containers(services).items():
        real, raw = command(svc)[1], environment(svc).get("QCFLOW_DATABASE_URL", "")
        match = url_pattern.fullmatch(raw)
        if not match:
            errors.append(
                f"{name}: QCFLOW_DATABASE_URL should be postgresql+asyncpg://<role>:"
                f"${{PASSWORD_VAR:?...}}@postgres:5432/<db>, got {raw!r}"
            )
            continue
        url = urlsplit(interpolate(raw, env_example))
        if (url.hostname, url.port, url.path, url.username) != ("postgres", 5432, f"/{real}", real):
            errors.append(
                f"{name}: {url.username}@{url.hostname}:{url.port}{url.path} is not "
                f"its own database {real}@postgres:5432/{real}"
            )
        if real not in created:
            errors.append(
                f"{name}: the init script creates no role/database {real!r} "
                f"(it creates {sorted(created)})"
            )
        elif created[real] != match["var"]:
            errors.append(
                f"{name}: password from ${match['var']} but the init script gives role "
                f"{real} ${created[real]}"
            )
        elif f"${{{match['var']}" not in postgres_env.get(match["var"], ""):
            errors.append(f"postgres: does not pass ${match['var']} to the init script")
    assert not errors, "\n".join(errors)


def test_ports_healthchecks_and_scaling_of_the_services(
    services: dict[str, dict[str, Any]],
) -> None:
    errors = []
    for real, (name, svc) in serving(services).items():
        port = int(environment(svc).get("QCFLOW_HTTP_PORT") or PORTS[real])
        probe = " ".join(str(part) for part in (svc.get("healthcheck") or {}).get("test", []))
        if not re.search(rf"http://(127\.0\.0\.1|localhost):{port}/(ready|health)\b", probe):
            errors.append(f"{name}: healthcheck should GET :{port}/ready or /health: {probe!r}")
        published = [str(p).rsplit(":", 1)[-1] for p in svc.get("ports") or []]
        if any(p != str(port) for p in published):
            errors.append(f"{name}: publishes container ports {published}, listens on {port}")
    exposed = {real for real, (_, svc) in serving(services).items() if svc.get("ports")}
    if exposed != {"intake", "review", "notify"}:
        errors.append(f"only intake, review and notify should publish ports: {sorted(exposed)}")
    render_name, render = serving(services)["render"]
    errors.extend(
        f"{render_name}: has {key}, which stops `docker compose up --scale render=N`"
        for key in ("container_name", "ports", "hostname")
        if key in render
    )
    assert not errors, "\n".join(errors)


# --- wiring between services ---------------------------------------------------------------------


def test_depends_on_targets_exist_and_can_satisfy_their_condition(
    services: dict[str, dict[str, Any]],
) -> None:
    errors = []
    for name, svc in services.items():
        for target, condition in depends_on(svc).items():
            if target not in services:
                errors.append(f"{name}: depends on unknown service {target!r}")
            elif condition not in CONDITIONS:
                errors.append(f"{name}: unknown depends_on condition {condition!r}")
            elif condition == "service_healthy" and "healthcheck" not in services[target]:
                errors.append(f"{name}: waits for {target} to be healthy, it has no healthcheck")
            elif condition == "service_completed_successfully" and str(
                services[target].get("restart", "no")
            ) in {"always", "unless-stopped"}:
                errors.append(f"{name}: waits for {target} to complete, but it always restarts")
    for real, (name, svc) in serving(services).items():
        needed = {
            "postgres": "service_healthy",
            "rabbitmq": "service_healthy",
            "minio": "service_healthy",
        }
        errors.extend(
            f"{name} ({real}): should depend on {dep} with {condition}"
            for dep, condition in needed.items()
            if depends_on(svc).get(dep) != condition
        )
    assert not errors, "\n".join(errors)


def test_long_running_services_have_healthchecks(services: dict[str, dict[str, Any]]) -> None:
    jobs = one_shot(services)
    errors = []
    for name, svc in services.items():
        if name in jobs:
            continue
        check = svc.get("healthcheck") or {}
        if not check.get("test") or check.get("disable") or check.get("test") == ["NONE"]:
            errors.append(f"{name}: long-running but has no healthcheck")
    assert not errors, "\n".join(errors)


def test_storage_points_at_minio_and_the_bucket_minio_init_creates(
    services: dict[str, dict[str, Any]],
) -> None:
    minio_name, minio = image_of(services, "minio/minio")
    init_name, init = image_of(services, "minio/mc")
    script = " ".join([*strings_in(init.get("entrypoint")), *strings_in(init.get("command"))])
    alias = re.search(r"mc alias set (\w+) (\S+)", script)
    assert alias, f"{init_name}: does not set an mc alias: {script!r}"
    endpoint = urlsplit(alias[2])
    assert (endpoint.hostname, endpoint.port) == (minio_name, 9000), (
        f"{init_name}: alias points at {alias[2]}, not the {minio_name} service"
    )
    made = re.findall(rf"mc mb (?:--\S+ )*{alias[1]}/([\w.-]+)", script)
    versioned = re.findall(rf"mc version enable {alias[1]}/([\w.-]+)", script)
    assert made, f"{init_name}: creates no bucket: {script!r}"
    assert set(versioned) == set(made), f"{init_name}: versioning {versioned} != buckets {made}"
    assert depends_on(init).get(minio_name) == "service_healthy", f"{init_name}: no wait for minio"

    minio_env, errors = environment(minio), []
    for real, (name, svc) in serving(services).items():
        env = environment(svc)
        if env.get("QCFLOW_STORAGE_BACKEND") != "s3":
            errors.append(f"{name}: QCFLOW_STORAGE_BACKEND should be s3")
        if env.get("QCFLOW_S3_ENDPOINT") != f"{minio_name}:9000":
            errors.append(
                f"{name}: QCFLOW_S3_ENDPOINT={env.get('QCFLOW_S3_ENDPOINT')!r}, "
                f"want host:port of {minio_name} without a scheme"
            )
        if env.get("QCFLOW_S3_BUCKET") not in made:
            errors.append(
                f"{name}: bucket {env.get('QCFLOW_S3_BUCKET')!r} is not among those "
                f"{init_name} creates: {made}"
            )
        for ours, theirs in (
            ("QCFLOW_S3_ACCESS_KEY", "MINIO_ROOT_USER"),
            ("QCFLOW_S3_SECRET_KEY", "MINIO_ROOT_PASSWORD"),
        ):
            if variables_in(env.get(ours, "")) != variables_in(minio_env.get(theirs, "")):
                errors.append(f"{name} ({real}): {ours} is not {minio_name}'s {theirs}")
        if depends_on(svc).get(init_name) != "service_completed_successfully":
            errors.append(f"{name}: should wait for {init_name} to complete")
    assert not errors, "\n".join(errors)


def test_broker_and_mail_point_at_their_services(services: dict[str, dict[str, Any]]) -> None:
    rabbit_name, rabbit = image_of(services, "rabbitmq:")
    rabbit_env = environment(rabbit)
    init_name = next(
        (
            n
            for n, s in services.items()
            if n != rabbit_name and any("rabbitmqadmin" in part for part in command(s))
        ),
        None,
    )
    assert init_name, "no service imports the RabbitMQ definitions with rabbitmqadmin"
    mailpit_name, mailpit = image_of(services, "axllent/mailpit")
    errors = []
    for name, svc in serving(services).values():
        env = environment(svc)
        amqp = re.fullmatch(
            r"amqp://\$\{(\w+)[^}]*\}:\$\{(\w+)[^}]*\}@([\w.-]+):(\d+)/",
            env.get("QCFLOW_AMQP_URL", ""),
        )
        if not amqp:
            errors.append(
                f"{name}: QCFLOW_AMQP_URL={env.get('QCFLOW_AMQP_URL')!r} should be "
                f"amqp://${{USER}}:${{PASS}}@{rabbit_name}:5672/"
            )
        elif (amqp[3], amqp[4]) != (rabbit_name, "5672"):
            errors.append(
                f"{name}: QCFLOW_AMQP_URL points at {amqp[3]}:{amqp[4]}, not {rabbit_name}:5672"
            )
        elif (
            variables_in(rabbit_env.get("RABBITMQ_DEFAULT_USER", "")),
            variables_in(rabbit_env.get("RABBITMQ_DEFAULT_PASS", "")),
        ) != ({amqp[1]}, {amqp[2]}):
            errors.append(f"{name}: QCFLOW_AMQP_URL is not {rabbit_name}'s default user/pass")
        if depends_on(svc).get(init_name) != "service_completed_successfully":
            errors.append(f"{name}: should wait for {init_name} (topology import) to complete")
        smtp_port = env.get("QCFLOW_SMTP_PORT", "")
        if env.get("QCFLOW_SMTP_HOST") != mailpit_name or not any(
            str(p).endswith(f":{smtp_port}") for p in mailpit.get("ports") or []
        ):
            errors.append(
                f"{name}: SMTP {env.get('QCFLOW_SMTP_HOST')}:{smtp_port} is not "
                f"{mailpit_name}'s SMTP port"
            )
    assert not errors, "\n".join(errors)


def test_rabbitmq_gets_config_and_definitions_but_no_hard_coded_users(
    services: dict[str, dict[str, Any]],
) -> None:
    rabbit_name, rabbit = image_of(services, "rabbitmq:")
    confs = [(h, t, ro) for h, t, ro in bind_mounts(rabbit) if t.startswith("/etc/rabbitmq/")]
    assert len(confs) == 1, f"{rabbit_name}: should mount one config under /etc/rabbitmq/: {confs}"
    host, target, read_only = confs[0]
    assert read_only, f"{rabbit_name}: mount {target} read-only"
    assert target.endswith(".conf"), f"{rabbit_name}: {target} is not a .conf file"
    settings = {
        line.partition("=")[0].strip()
        for line in host.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    }
    forbidden = settings & {
        "default_user",
        "default_pass",
        "load_definitions",
        "definitions.local.path",
        "management.load_definitions",
    }
    # Boot-time definitions make RabbitMQ skip creating RABBITMQ_DEFAULT_USER: no user at all.
    assert not forbidden, f"{host.name} must not set {sorted(forbidden)}"
    assert {"RABBITMQ_DEFAULT_USER", "RABBITMQ_DEFAULT_PASS"} <= set(environment(rabbit)), (
        f"{rabbit_name}: the broker user comes from RABBITMQ_DEFAULT_USER/PASS"
    )

    init_name, init = next(
        (n, s) for n, s in services.items() if any("rabbitmqadmin" in part for part in command(s))
    )
    mounted = {t: h for h, t, _ in bind_mounts(init)}
    cmd = command(init)
    assert "import" in cmd, f"{init_name}: rabbitmqadmin should `import` the definitions: {cmd}"
    imported = cmd[cmd.index("import") + 1]
    assert mounted.get(imported) == DEFINITIONS, (
        f"{init_name}: imports {imported}, which is not a mount of {DEFINITIONS}"
    )
    assert any(part in {"--host=" + rabbit_name, rabbit_name} for part in cmd), (
        f"{init_name}: rabbitmqadmin does not talk to {rabbit_name}: {cmd}"
    )
    assert depends_on(init).get(rabbit_name) == "service_healthy", f"{init_name}: no wait"


def test_named_volumes_and_bind_mounts_exist(
    compose: dict[str, Any],
    services: dict[str, dict[str, Any]],
) -> None:
    declared = set(compose.get("volumes") or {})
    errors = []
    for infra, data_dir in (
        ("rabbitmq:", "/var/lib/rabbitmq"),
        ("minio/minio", "/data"),
        ("postgres:", "/var/lib/postgresql/data"),
    ):
        name, svc = image_of(services, infra)
        volumes = [str(v).split(":")[:2] for v in svc.get("volumes") or [] if isinstance(v, str)]
        if not any(target == data_dir and source in declared for source, target in volumes):
            errors.append(f"{name}: {data_dir} should be a named volume declared under volumes:")
    for name, svc in services.items():
        errors.extend(
            f"{name}: bind mount source {host} does not exist"
            for host, _, _ in bind_mounts(svc)
            if not host.exists()
        )
        for volume in svc.get("volumes") or []:
            source = str(volume).split(":")[0] if isinstance(volume, str) else ""
            if source and not source.startswith((".", "/")) and source not in declared:
                errors.append(f"{name}: named volume {source!r} is not declared")
    assert not errors, "\n".join(errors)


# --- variables and secrets -----------------------------------------------------------------------


def test_every_compose_variable_is_listed_in_env_example(
    compose: dict[str, Any],
    env_example: dict[str, str],
) -> None:
    used = {var for text in strings_in(compose) for var in variables_in(text)}
    missing = used - set(env_example)
    assert not missing, f"docker-compose.yml uses variables .env.example lacks: {sorted(missing)}"
    unused = set(env_example) - used
    assert not unused, f".env.example lists variables docker-compose.yml never uses: {unused}"
    text = ENV_EXAMPLE.read_text(encoding="utf-8")
    assert re.search(r"(not|never) (be )?committed", text), (
        ".env.example should say that the real .env is not committed"
    )


def test_secrets_are_required_variables_never_literals_or_defaults(
    compose: dict[str, Any],
    services: dict[str, dict[str, Any]],
) -> None:
    errors = []
    for text in strings_in(compose):
        for match in INTERPOLATION.finditer(text):
            name = match["braced"] or match["bare"]
            if name and SECRET_NAME.search(name) and match["op"] != ":?":
                errors.append(f"secret ${name} must be written ${{{name}:?message}}: {text!r}")
    for name, svc in services.items():
        for key, value in environment(svc).items():
            if SECRET_NAME.search(key) and not re.fullmatch(r"\$\{\w+:\?[^}]+\}", value):
                errors.append(f"{name}: {key} must be a required ${{VAR:?...}}, not {value!r}")
    assert not errors, "\n".join(errors)


def test_env_example_passwords_inside_urls_are_url_safe(
    services: dict[str, dict[str, Any]],
    env_example: dict[str, str],
) -> None:
    in_urls = {
        var
        for svc in services.values()
        for value in environment(svc).values()
        if "://" in value
        for userinfo in [value.split("://", 1)[1].rpartition("@")[0]]
        if userinfo
        for var in variables_in(userinfo)
    }
    assert in_urls, "expected credentials inside the AMQP and database URLs"
    unsafe = {
        var: env_example.get(var)
        for var in in_urls
        if not URL_SAFE.fullmatch(env_example.get(var, ""))
    }
    assert not unsafe, f".env.example values used inside URLs must be URL-safe: {unsafe}"


# --- RabbitMQ definitions ------------------------------------------------------------------------


def test_definitions_json_is_the_generators_output() -> None:
    committed = DEFINITIONS.read_text(encoding="utf-8")
    assert committed == load_generator().render(), (
        f"{DEFINITIONS.relative_to(ROOT)} is stale: run python {GENERATOR.relative_to(ROOT)}"
    )
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--check"],
        cwd="/",
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, f"generator --check failed: {result.stderr}"


def test_definitions_declare_quorum_queues_with_dead_lettering() -> None:
    document = json.loads(DEFINITIONS.read_text(encoding="utf-8"))
    vhosts = {vhost["name"] for vhost in document.get("vhosts", [])}
    exchanges = {(e["vhost"], e["name"]): e for e in document.get("exchanges", [])}
    queues = {(q["vhost"], q["name"]): q for q in document.get("queues", [])}
    bindings = {
        (b["vhost"], b["source"], b["destination"], b["routing_key"])
        for b in document.get("bindings", [])
    }
    errors = [
        f"{kind} {name!r} is in undeclared vhost {vhost!r}"
        for kind, objects in (("exchange", exchanges), ("queue", queues))
        for vhost, name in objects
        if vhost not in vhosts
    ]
    errors.extend(
        f"binding {b} references an undeclared exchange or queue"
        for b in bindings
        if (b[0], b[1]) not in exchanges or (b[0], b[2]) not in queues
    )

    for service, queue in SERVICE_QUEUES.items():
        found = [q for (_, name), q in queues.items() if name == queue.name]
        if not found:
            errors.append(f"{service}: queue {queue.name} is not declared")
            continue
        declared, args = found[0], found[0].get("arguments", {})
        if not declared.get("durable") or args.get("x-queue-type") != "quorum":
            errors.append(f"{queue.name}: must be a durable quorum queue, got {declared}")
        dlx = args.get("x-dead-letter-exchange")
        if (declared["vhost"], dlx) not in exchanges:
            errors.append(f"{queue.name}: dead-letter exchange {dlx!r} is not declared")
            continue
        routing_key = args.get("x-dead-letter-routing-key", queue.name)
        targets = [
            dest
            for (vhost, source, dest, key) in bindings
            if (vhost, source, key) == (declared["vhost"], dlx, routing_key)
        ]
        if not any(
            queues[(declared["vhost"], t)]["arguments"].get("x-queue-type") == "quorum"
            for t in targets
        ):
            errors.append(
                f"{queue.name}: its dead letters ({dlx}, {routing_key!r}) reach no "
                f"quorum queue (bound: {targets})"
            )
    assert not errors, "\n".join(errors)
