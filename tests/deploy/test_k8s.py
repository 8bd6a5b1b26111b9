"""Static checks of the Kubernetes manifests under deploy/k8s.

No cluster runs here, so these tests parse every YAML document with pyyaml and check that the
manifests agree with each other and with the code: service names and ports
(``shared.settings.SERVICE_PORTS``), settings (``Settings`` fields), queue names
(``SERVICE_QUEUES``), the Secret names and keys of ``secret.example.yaml`` and the RabbitMQ
definitions. Each check is a function returning the problems it found, so the negative tests at
the end can show that it reports a broken manifest. When ``kubectl`` is installed, the three
kustomizations (and the documented KEDA overlay) are also built with its kustomize.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
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

K8S = ROOT / "deploy" / "k8s"
KEDA = K8S / "keda"
DEPENDENCIES = K8S / "dependencies"
SECRET_EXAMPLE = K8S / "secret.example.yaml"
DEFINITIONS = ROOT / "deploy" / "rabbitmq" / "definitions.json"
KUSTOMIZATIONS = (K8S, KEDA, DEPENDENCIES)

SERVICES = tuple(str(name) for name in SERVICE_PORTS)
PORTS: dict[str, int] = {str(name): port for name, port in SERVICE_PORTS.items()}
SETTINGS_ENV = frozenset(f"QCFLOW_{field.upper()}" for field in Settings.model_fields)
# Settings that hold credentials: SecretStr fields, and URLs/keys that embed or are credentials.
SECRET_ENV = frozenset(
    f"QCFLOW_{name.upper()}"
    for name, field in Settings.model_fields.items()
    if "SecretStr" in str(field.annotation)
) | {"QCFLOW_AMQP_URL", "QCFLOW_DATABASE_URL", "QCFLOW_S3_ACCESS_KEY"}
PLACEHOLDER = "CHANGE_ME"
IMAGE = "qcflow"
PUBLIC_SERVICES = ("intake", "review", "notify")  # reached through a Service and the Ingress
# A URL with a password in it: scheme://user:password@host
URL_WITH_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^\s/:@]+:(?P<password>[^\s@]+)@")
PLACEHOLDER_SHAPE = re.compile(r"<[\w-]+>|\$\(\w+\)|\$\{\w+\}")

Doc = dict[str, Any]


# --- reading the files ---------------------------------------------------------------------------


def load_documents(path: Path) -> list[Doc]:
    docs = [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]
    for doc in docs:
        assert isinstance(doc, dict), f"{path.relative_to(ROOT)}: a document is not a mapping"
    return docs


def yaml_files() -> list[Path]:
    return sorted(p for p in K8S.rglob("*") if p.suffix in {".yaml", ".yml"} and p.is_file())


def kustomization(directory: Path) -> Doc:
    path = directory / "kustomization.yaml"
    assert path.is_file(), f"{directory.relative_to(ROOT)} has no kustomization.yaml"
    (doc,) = load_documents(path)
    return doc


def resource_files(directory: Path) -> Iterator[Path]:
    """The manifest files a kustomization includes, following directory resources."""
    for entry in kustomization(directory).get("resources") or []:
        target = (directory / entry).resolve()
        if target.is_dir():
            yield from resource_files(target)
        else:
            yield target


def documents_of(directory: Path) -> list[Doc]:
    return [doc for path in resource_files(directory) for doc in load_documents(path)]


def by_kind(docs: list[Doc], kind: str) -> dict[str, Doc]:
    found: dict[str, Doc] = {}
    for doc in docs:
        if doc.get("kind") == kind:
            name = doc["metadata"]["name"]
            assert name not in found, f"two {kind} objects named {name}"
            found[name] = doc
    return found


@pytest.fixture(scope="module")
def main_docs() -> list[Doc]:
    return documents_of(K8S)


@pytest.fixture(scope="module")
def keda_docs() -> list[Doc]:
    return documents_of(KEDA)


@pytest.fixture(scope="module")
def dependency_docs() -> list[Doc]:
    return documents_of(DEPENDENCIES)


@pytest.fixture(scope="module")
def deployments(main_docs: list[Doc]) -> dict[str, Doc]:
    return by_kind(main_docs, "Deployment")


@pytest.fixture(scope="module")
def config_data(main_docs: list[Doc]) -> dict[str, dict[str, str]]:
    return {name: doc.get("data") or {} for name, doc in by_kind(main_docs, "ConfigMap").items()}


@pytest.fixture(scope="module")
def example_secrets() -> dict[str, dict[str, str]]:
    secrets: dict[str, dict[str, str]] = {}
    for doc in load_documents(SECRET_EXAMPLE):
        assert doc.get("kind") == "Secret", "secret.example.yaml holds only Secrets"
        assert not doc.get("data"), "use stringData (readable placeholders), not base64 data"
        secrets[doc["metadata"]["name"]] = {k: str(v) for k, v in doc["stringData"].items()}
    return secrets


# --- looking into pods ---------------------------------------------------------------------------


def pod_spec(deployment: Doc) -> Doc:
    spec: Doc = deployment["spec"]["template"]["spec"]
    return spec


def containers(deployment: Doc, *, init: bool = True) -> list[Doc]:
    spec = pod_spec(deployment)
    return [*(spec.get("initContainers") or [] if init else []), *spec["containers"]]


def main_container(deployment: Doc) -> Doc:
    serving: list[Doc] = [
        c for c in pod_spec(deployment)["containers"] if (c.get("args") or [])[:1] == ["serve"]
    ]
    assert len(serving) == 1, f"{deployment['metadata']['name']}: one container must `serve`"
    return serving[0]


def secret_refs(docs: list[Doc]) -> set[tuple[str, str | None]]:
    """(Secret name, key) of every reference; key None for a whole-Secret envFrom."""
    refs: set[tuple[str, str | None]] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            ref = node.get("secretKeyRef")
            if isinstance(ref, dict):
                refs.add((ref["name"], ref["key"]))
            ref = node.get("secretRef")
            if isinstance(ref, dict) and "name" in ref:
                refs.add((ref["name"], None))
            for target in node.get("secretTargetRef") or []:  # KEDA TriggerAuthentication
                refs.add((target["name"], target["key"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(docs)
    return refs


def effective_env(
    container: Doc, config: dict[str, dict[str, str]], secrets: dict[str, dict[str, str]]
) -> dict[str, str]:
    """The container's environment, ConfigMaps and example Secrets filled in (env wins)."""
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        if "configMapRef" in source:
            env.update(config[source["configMapRef"]["name"]])
        if "secretRef" in source:
            env.update(secrets[source["secretRef"]["name"]])
    for item in container.get("env") or []:
        if "value" in item:
            env[item["name"]] = str(item["value"])
            continue
        source = item["valueFrom"]
        if "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            env[item["name"]] = config[ref["name"]][ref["key"]]
        elif "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            env[item["name"]] = secrets[ref["name"]][ref["key"]]
    return env


def resolve_port(container: Doc, port: int | str) -> int | None:
    if isinstance(port, int):
        return port
    named = {p.get("name"): p["containerPort"] for p in container.get("ports") or []}
    return named.get(port)


def image_repository(image: str) -> str:
    """`registry:5000/team/qcflow:1.2@sha256:...` -> `qcflow`."""
    without_digest = image.split("@", maxsplit=1)[0]
    last = without_digest.rsplit("/", 1)[-1]
    return last.split(":")[0]


# --- checks that return problems (used on the real files and on broken copies) ------------------


def deployment_problems(
    deployment: Doc, config: dict[str, dict[str, str]], secrets: dict[str, dict[str, str]]
) -> list[str]:
    name = deployment["metadata"]["name"]
    if name not in PORTS:
        return [f"Deployment {name} is not a qcflow service ({', '.join(SERVICES)})"]
    problems: list[str] = []
    for container in containers(deployment):
        problems += container_problems(name, container, effective_env(container, config, secrets))
    migrate = [c for c in pod_spec(deployment).get("initContainers") or [] if c.get("args")]
    if [c["args"] for c in migrate] != [["migrate", name]]:
        problems.append(f"{name}: needs one initContainer with args [migrate, {name}]")
    container = main_container(deployment)
    problems += serving_problems(name, container, effective_env(container, config, secrets))
    annotations = deployment["spec"]["template"]["metadata"].get("annotations") or {}
    if annotations.get("prometheus.io/port", str(PORTS[name])) != str(PORTS[name]):
        problems.append(f"{name}: metrics are scraped from the wrong port")
    return problems


def container_problems(service: str, container: Doc, env: dict[str, str]) -> list[str]:
    """What every container of a service's pod (migrate and serve) must get right."""
    label = f"{service}/{container['name']}"
    problems: list[str] = []
    if image_repository(str(container.get("image", ""))) != IMAGE:
        problems.append(f"{label}: image {container.get('image')!r} is not {IMAGE}")
    if container.get("command"):
        problems.append(f"{label}: `command` replaces the image's `qcflow` entrypoint")
    resources = container.get("resources") or {}
    problems += [
        f"{label}: resources.{bound} needs cpu and memory"
        for bound in ("requests", "limits")
        if not {"cpu", "memory"} <= set(resources.get(bound) or {})
    ]
    if env.get("QCFLOW_SERVICE") != service:
        problems.append(f"{label}: QCFLOW_SERVICE is {env.get('QCFLOW_SERVICE')!r}")
    if unknown := unknown_settings(env):
        problems.append(f"{label}: not Settings fields: {unknown}")
    database = urlsplit(env.get("QCFLOW_DATABASE_URL", ""))
    if database.username != service or database.path != f"/{service}":
        problems.append(f"{label}: QCFLOW_DATABASE_URL is not {service}'s own role/database")
    return problems


def serving_problems(service: str, container: Doc, env: dict[str, str]) -> list[str]:
    """The `serve` container: command, address, port and probes."""
    port = PORTS[service]
    problems: list[str] = []
    if container["args"] != ["serve", service]:
        problems.append(f"{service}: args {container['args']} are not [serve, {service}]")
    if env.get("QCFLOW_HTTP_HOST") != "0.0.0.0":  # noqa: S104 - inside a pod, on purpose
        problems.append(f"{service}: QCFLOW_HTTP_HOST must be 0.0.0.0 to be reachable")
    if env.get("QCFLOW_HTTP_PORT", str(port)) != str(port):
        problems.append(f"{service}: QCFLOW_HTTP_PORT {env['QCFLOW_HTTP_PORT']} is not {port}")
    container_ports = [p["containerPort"] for p in container.get("ports") or []]
    if container_ports != [port]:
        problems.append(f"{service}: container ports {container_ports} are not [{port}]")
    probes = [("readinessProbe", "/ready"), ("livenessProbe", "/health")]
    if "startupProbe" in container:
        probes.append(("startupProbe", "/health"))
    for probe, path in probes:
        get = (container.get(probe) or {}).get("httpGet") or {}
        if get.get("path") != path or resolve_port(container, get.get("port", "")) != port:
            problems.append(f"{service}: {probe} must GET {path} on port {port}, not {get}")
    return problems


def unknown_settings(keys: Iterable[str]) -> list[str]:
    return sorted(k for k in keys if k.startswith("QCFLOW_") and k not in SETTINGS_ENV)


def missing_secret_refs(
    refs: set[tuple[str, str | None]], secrets: dict[str, dict[str, str]]
) -> list[str]:
    problems = []
    for name, key in sorted(refs, key=str):
        if name not in secrets:
            problems.append(f"Secret {name} is not defined in secret.example.yaml")
        elif key is not None and key not in secrets[name]:
            problems.append(f"Secret {name} has no key {key} in secret.example.yaml")
    return problems


def scaled_object_problems(scaled: Doc, deployments: dict[str, Doc]) -> list[str]:
    problems = []
    spec = scaled["spec"]
    target = spec["scaleTargetRef"]
    if target.get("kind", "Deployment") != "Deployment" or target["name"] != "render":
        problems.append(f"ScaledObject scales {target}, not Deployment render")
    if "render" not in deployments:
        problems.append("there is no render Deployment to scale")
    triggers = [t for t in spec.get("triggers") or [] if t.get("type") == "rabbitmq"]
    if len(triggers) != 1:
        return [*problems, "ScaledObject needs one rabbitmq trigger"]
    metadata = triggers[0]["metadata"]
    if metadata.get("queueName") != SERVICE_QUEUES["render"].name:
        problems.append(f"rabbitmq trigger watches {metadata.get('queueName')!r}")
    if metadata.get("mode", "QueueLength") != "QueueLength":
        problems.append("the rabbitmq trigger must scale on queue length")
    target_length = metadata.get("value", metadata.get("queueLength"))
    if not str(target_length or "").isdigit() or int(target_length) < 1:
        problems.append(f"queue length target {target_length!r} is not a positive number")
    if int(spec.get("minReplicaCount", 0)) < 1:
        problems.append("render must keep at least one replica (consumer and PDB)")
    return problems


def committed_credentials(text: str) -> list[str]:
    """Passwords inside URLs that are not placeholders (CHANGE_ME, <password>, $(VAR))."""
    return [
        match.group(0)
        for match in URL_WITH_PASSWORD.finditer(text)
        if PLACEHOLDER not in match["password"]
        and not PLACEHOLDER_SHAPE.fullmatch(match["password"])
    ]


# --- files and kustomizations --------------------------------------------------------------------


def test_every_yaml_file_parses_into_named_kubernetes_objects() -> None:
    files = yaml_files()
    assert len(files) >= 10, f"expected the manifests under {K8S.relative_to(ROOT)}"
    for path in files:
        for doc in load_documents(path):
            where = f"{path.relative_to(ROOT)}: {doc.get('kind')}"
            assert doc.get("apiVersion"), f"{where}: no apiVersion"
            assert doc.get("kind"), f"{where}: no kind"
            if doc["kind"] != "Kustomization":
                assert doc.get("metadata", {}).get("name"), f"{where}: no metadata.name"


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=lambda d: str(d.relative_to(ROOT)))
def test_kustomization_lists_existing_files_and_every_manifest_beside_it(directory: Path) -> None:
    doc = kustomization(directory)
    assert doc.get("namespace") == "qcflow"
    listed = doc.get("resources") or []
    assert listed, f"{directory.relative_to(ROOT)}: no resources"
    for entry in listed:
        target = directory / entry
        assert target.is_file() or (target / "kustomization.yaml").is_file(), f"missing {entry}"
        if target.is_file():
            assert load_documents(target), f"{entry} has no document"
    for generator in doc.get("configMapGenerator") or []:
        for entry in generator.get("files") or []:
            assert (directory / entry.split("=")[-1]).is_file(), f"generator file {entry} missing"
    assert not doc.get("secretGenerator"), "no Secret may be generated from the repository"
    beside = {
        p.name
        for p in directory.iterdir()
        if p.suffix in {".yaml", ".yml"} and p.name != "kustomization.yaml"
    }
    assert SECRET_EXAMPLE.name not in listed, "secret.example.yaml must never be applied"
    unlisted = beside - set(listed) - {SECRET_EXAMPLE.name}
    assert not unlisted, f"manifests not in {directory.relative_to(ROOT)}/kustomization: {unlisted}"


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=lambda d: str(d.relative_to(ROOT)))
def test_no_kustomization_includes_a_secret(directory: Path) -> None:
    for doc in documents_of(directory):
        assert doc.get("kind") != "Secret", f"{directory.name} applies Secret {doc['metadata']}"


def test_no_credentials_are_committed_anywhere_under_deploy_k8s() -> None:
    for path in yaml_files():
        found = committed_credentials(path.read_text(encoding="utf-8"))
        assert not found, f"{path.relative_to(ROOT)} holds credentials: {found}"
        if path != SECRET_EXAMPLE:
            assert all(doc.get("kind") != "Secret" for doc in load_documents(path)), path


def test_secret_example_holds_placeholders_for_settings_only(
    example_secrets: dict[str, dict[str, str]],
) -> None:
    assert example_secrets, "secret.example.yaml defines no Secret"
    for name, data in example_secrets.items():
        assert not unknown_settings(data), f"{name}: {unknown_settings(data)}"
        for key, value in data.items():
            assert PLACEHOLDER in value, f"{name}.{key} looks like a real value: {value!r}"


# --- the four services ---------------------------------------------------------------------------


def test_one_deployment_per_service(deployments: dict[str, Doc]) -> None:
    assert sorted(deployments) == sorted(SERVICES)


@pytest.mark.parametrize("service", SERVICES)
def test_deployment_runs_its_service_on_its_port_with_probes_and_resources(
    service: str,
    deployments: dict[str, Doc],
    config_data: dict[str, dict[str, str]],
    example_secrets: dict[str, dict[str, str]],
) -> None:
    assert deployment_problems(deployments[service], config_data, example_secrets) == []


@pytest.mark.parametrize("service", SERVICES)
def test_settings_load_from_each_pods_environment(
    service: str,
    deployments: dict[str, Doc],
    config_data: dict[str, dict[str, str]],
    example_secrets: dict[str, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = effective_env(main_container(deployments[service]), config_data, example_secrets)
    for key in [k for k in os.environ if k.startswith("QCFLOW_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.service == service
    assert settings.port == PORTS[service]
    assert settings.storage_backend == "s3"
    assert settings.database_url
    assert settings.database_url.startswith("postgresql+asyncpg://")
    assert settings.amqp_url.startswith("amqp")


def test_each_service_reads_only_its_own_database_secret(deployments: dict[str, Doc]) -> None:
    seen: dict[str, str] = {}
    for name, deployment in deployments.items():
        for container in containers(deployment):
            for item in container.get("env") or []:
                if item["name"] == "QCFLOW_DATABASE_URL":
                    secret = item["valueFrom"]["secretKeyRef"]["name"]
                    assert seen.setdefault(name, secret) == secret, f"{name}: two DB secrets"
    assert sorted(seen) == sorted(SERVICES)
    assert len(set(seen.values())) == len(SERVICES), f"services share a DB Secret: {seen}"


def test_configmap_keys_are_non_secret_settings(config_data: dict[str, dict[str, str]]) -> None:
    assert config_data, "no ConfigMap in the main set"
    for name, data in config_data.items():
        assert all(key.startswith("QCFLOW_") for key in data), f"ConfigMap {name}: {data}"
        assert not unknown_settings(data), f"ConfigMap {name}: {unknown_settings(data)}"
        leaked = sorted(SECRET_ENV & set(data))
        assert not leaked, f"ConfigMap {name} holds credentials {leaked}: use the Secret"


def test_secret_values_come_from_secrets(deployments: dict[str, Doc]) -> None:
    for name, deployment in deployments.items():
        for container in containers(deployment):
            for item in container.get("env") or []:
                if item["name"] in SECRET_ENV:
                    assert "secretKeyRef" in item.get("valueFrom", {}), f"{name}: {item['name']}"


def test_secret_refs_match_secret_example(
    main_docs: list[Doc], keda_docs: list[Doc], example_secrets: dict[str, dict[str, str]]
) -> None:
    refs = secret_refs(main_docs) | secret_refs(keda_docs)
    assert missing_secret_refs(refs, example_secrets) == []
    used = {(n, k) for n, k in refs} | {(n, None) for n, _ in refs}
    unused = sorted(
        f"{name}.{key}"
        for name, data in example_secrets.items()
        for key in data
        if (name, key) not in used and (name, None) not in used
    )
    assert not unused, f"secret.example.yaml keys nothing reads: {unused}"


def test_pods_do_not_get_service_link_variables(deployments: dict[str, Doc]) -> None:
    # A Service named qcflow-http would otherwise inject QCFLOW_HTTP_PORT=tcp://...
    for name, deployment in deployments.items():
        assert pod_spec(deployment).get("enableServiceLinks") is False, name


def test_public_services_and_ingress(main_docs: list[Doc], deployments: dict[str, Doc]) -> None:
    services = by_kind(main_docs, "Service")
    assert sorted(services) == sorted(PUBLIC_SERVICES)
    for name, service in services.items():
        spec = service["spec"]
        assert spec.get("type", "ClusterIP") == "ClusterIP"
        pod_labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert spec["selector"].items() <= pod_labels.items(), f"{name} selects no {name} pod"
        (port,) = spec["ports"]
        assert port["port"] == PORTS[name]
        assert resolve_port(main_container(deployments[name]), port["targetPort"]) == PORTS[name]
    ingresses = by_kind(main_docs, "Ingress")
    assert ingresses, "no Ingress example"
    backends = [
        path["backend"]["service"]
        for ingress in ingresses.values()
        for rule in ingress["spec"]["rules"]
        for path in rule["http"]["paths"]
    ]
    assert {b["name"] for b in backends} == set(PUBLIC_SERVICES)
    for backend in backends:
        port = backend["port"]
        service_ports = services[backend["name"]]["spec"]["ports"]
        assert any(
            port.get("name") == p.get("name") or port.get("number") == p["port"]
            for p in service_ports
        )


def test_render_has_an_hpa_and_a_pdb(main_docs: list[Doc], deployments: dict[str, Doc]) -> None:
    render = deployments["render"]
    assert "replicas" not in render["spec"], "the HPA owns render's replica count"
    hpas = [
        doc
        for doc in by_kind(main_docs, "HorizontalPodAutoscaler").values()
        if doc["spec"]["scaleTargetRef"]["name"] == "render"
    ]
    assert len(hpas) == 1, "render needs exactly one HPA in the main set"
    (hpa,) = hpas
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"]["kind"] == "Deployment"
    assert hpa["spec"]["minReplicas"] >= 2
    assert hpa["spec"]["maxReplicas"] > hpa["spec"]["minReplicas"]
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    pod_labels = render["spec"]["template"]["metadata"]["labels"]
    pdbs = [
        doc
        for doc in by_kind(main_docs, "PodDisruptionBudget").values()
        if doc["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    ]
    assert len(pdbs) == 1, "render needs one PodDisruptionBudget"
    # Drains must stay possible at the HPA's minimum.
    assert pdbs[0]["spec"].get("minAvailable", 0) < hpa["spec"]["minReplicas"]


def test_keda_scales_render_on_its_queue(keda_docs: list[Doc], deployments: dict[str, Doc]) -> None:
    scaled = by_kind(keda_docs, "ScaledObject")
    assert list(scaled) == ["render"]
    assert scaled_object_problems(scaled["render"], deployments) == []
    authentications = by_kind(keda_docs, "TriggerAuthentication")
    for trigger in scaled["render"]["spec"]["triggers"]:
        if "authenticationRef" in trigger:
            assert trigger["authenticationRef"]["name"] in authentications
    assert all(doc["apiVersion"].startswith("keda.sh/") for doc in keda_docs)


# --- dependencies: RabbitMQ ----------------------------------------------------------------------


def test_rabbitmq_cluster_has_three_nodes_without_boot_time_definitions(
    dependency_docs: list[Doc],
) -> None:
    clusters = by_kind(dependency_docs, "RabbitmqCluster")
    assert len(clusters) == 1
    (cluster,) = clusters.values()
    assert cluster["spec"]["replicas"] == 3
    config = (cluster["spec"].get("rabbitmq") or {}).get("additionalConfig", "")
    # Boot-time definitions stop RabbitMQ from creating the operator's default user.
    assert "load_definitions" not in config
    assert "definitions.import_backend" not in config


def test_definitions_import_job_uses_the_committed_definitions(
    dependency_docs: list[Doc],
) -> None:
    assert json.loads(
        (DEPENDENCIES / "definitions.json").read_text(encoding="utf-8")
    ) == json.loads(DEFINITIONS.read_text(encoding="utf-8")), (
        "deploy/k8s/dependencies/definitions.json differs from deploy/rabbitmq/definitions.json"
    )
    generators = kustomization(DEPENDENCIES).get("configMapGenerator") or []
    names = {g["name"] for g in generators if "definitions.json" in g.get("files", [])}
    (cluster,) = by_kind(dependency_docs, "RabbitmqCluster")
    jobs = by_kind(dependency_docs, "Job")
    assert len(jobs) == 1
    (job,) = jobs.values()
    spec = job["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    (container,) = spec["containers"]
    script = " ".join([*container.get("command", []), *container.get("args", [])])
    mounted = [
        m["mountPath"]
        for m in container["volumeMounts"]
        if volumes[m["name"]].get("configMap", {}).get("name") in names
    ]
    assert mounted, "the Job does not mount the generated definitions ConfigMap"
    assert f"import {mounted[0].rstrip('/')}/definitions.json" in script
    refs = secret_refs(dependency_docs)
    assert refs, "the Job needs the operator's default-user credentials"
    assert all(name == f"{cluster}-default-user" for name, _ in refs), refs
    assert {key for _, key in refs} <= {"username", "password"}


# --- building with kustomize ----------------------------------------------------------------------


def kustomize(directory: Path) -> list[Doc]:
    kubectl = shutil.which("kubectl")
    assert kubectl is not None, "kubectl is installed by scripts/bootstrap.sh (Debian package)"
    result = subprocess.run(
        [kubectl, "kustomize", str(directory)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.mark.parametrize("directory", KUSTOMIZATIONS, ids=lambda d: str(d.relative_to(ROOT)))
def test_kustomize_builds(directory: Path) -> None:
    built = kustomize(directory)
    assert built
    assert all(doc["kind"] != "Secret" for doc in built)
    namespaced = [doc for doc in built if doc["kind"] != "Namespace"]
    assert all(doc["metadata"].get("namespace") == "qcflow" for doc in namespaced)


def test_documented_keda_overlay_replaces_the_cpu_hpa(tmp_path: Path) -> None:
    shutil.copytree(K8S, tmp_path / "qcflow" / "deploy" / "k8s")
    overlay = tmp_path / "overlays" / "production"
    overlay.mkdir(parents=True)
    documented = kustomization(KEDA)  # the recipe is in the comment of keda/kustomization.yaml
    recipe = (KEDA / "kustomization.yaml").read_text(encoding="utf-8")
    assert "$patch: delete" in recipe
    assert documented["resources"] == ["scaledobject.yaml"]
    (overlay / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "resources": ["../../qcflow/deploy/k8s", "../../qcflow/deploy/k8s/keda"],
                "patches": [
                    {
                        "patch": "$patch: delete\napiVersion: autoscaling/v2\n"
                        "kind: HorizontalPodAutoscaler\nmetadata:\n  name: render\n"
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    kinds = [doc["kind"] for doc in kustomize(overlay)]
    assert "HorizontalPodAutoscaler" not in kinds
    assert kinds.count("ScaledObject") == 1
    assert kinds.count("Deployment") == len(SERVICES)


# --- the checks can fail -------------------------------------------------------------------------


def _set(path: str, value: object) -> Callable[[Doc], None]:
    """A mutation setting a dotted path (list indexes as numbers) in a copied document."""

    def mutate(doc: Doc) -> None:
        *parents, last = path.split(".")
        node: Any = doc
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        node[int(last) if last.isdigit() else last] = value

    return mutate


C = "spec.template.spec.containers.0"
BROKEN_DEPLOYMENTS = {
    "wrong image": _set(f"{C}.image", "nginx:latest"),
    "wrong service in args": _set(f"{C}.args", ["serve", "review"]),
    "wrong port": _set(f"{C}.ports", [{"name": "http", "containerPort": 8002}]),
    "readiness on /health": _set(f"{C}.readinessProbe.httpGet.path", "/health"),
    "liveness on another port": _set(f"{C}.livenessProbe.httpGet.port", 9999),
    "no limits": _set(f"{C}.resources", {"requests": {"cpu": "1", "memory": "1Gi"}}),
    "misspelt setting": _set(f"{C}.env.0", {"name": "QCFLOW_SERVCE", "value": "intake"}),
    "wrong QCFLOW_SERVICE": _set(f"{C}.env.0", {"name": "QCFLOW_SERVICE", "value": "notify"}),
    "port override": _set(f"{C}.env.0", {"name": "QCFLOW_HTTP_PORT", "value": "9000"}),
    "migrates another service": _set(
        "spec.template.spec.initContainers.0.args", ["migrate", "all"]
    ),
}


@pytest.mark.parametrize("breakage", BROKEN_DEPLOYMENTS)
def test_deployment_check_reports_a_broken_deployment(
    breakage: str,
    deployments: dict[str, Doc],
    config_data: dict[str, dict[str, str]],
    example_secrets: dict[str, dict[str, str]],
) -> None:
    broken = copy.deepcopy(deployments["intake"])
    # env.0 must be QCFLOW_SERVICE for the env mutations to replace it
    assert main_container(broken)["env"][0]["name"] == "QCFLOW_SERVICE"
    BROKEN_DEPLOYMENTS[breakage](broken)
    assert deployment_problems(broken, config_data, example_secrets) != []


def test_other_checks_report_problems(
    keda_docs: list[Doc], deployments: dict[str, Doc], example_secrets: dict[str, dict[str, str]]
) -> None:
    assert unknown_settings({"QCFLOW_HTTP_HOST": "", "QCFLOW_S3_ENDPOINTS": ""}) == [
        "QCFLOW_S3_ENDPOINTS"
    ]
    assert missing_secret_refs({("qcflow-secrets", "QCFLOW_AUTH_SECRETS")}, example_secrets)
    assert missing_secret_refs({("qcflow-other", None)}, example_secrets)
    scaled = copy.deepcopy(by_kind(keda_docs, "ScaledObject")["render"])
    _set("spec.triggers.0.metadata.queueName", "render.dead-letter")(scaled)
    assert scaled_object_problems(scaled, deployments)
    scaled = copy.deepcopy(by_kind(keda_docs, "ScaledObject")["render"])
    _set("spec.scaleTargetRef.name", "notify")(scaled)
    assert scaled_object_problems(scaled, deployments)
    assert committed_credentials("QCFLOW_AMQP_URL: amqp://qcflow:hunter2@rabbitmq:5672/")
    assert not committed_credentials("amqp://qcflow:CHANGE_ME@rabbitmq:5672/")
    assert not committed_credentials("postgresql://<svc>:<password>@<host>:5432/<svc>")
