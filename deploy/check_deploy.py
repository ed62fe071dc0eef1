"""Consistency checks of deploy/ that no schema can make, run by deploy/check.sh after the schema validation.

Usage: check_deploy.py REPO_ROOT RENDER_DIR
RENDER_DIR holds one `kubectl kustomize` output per kustomization (base.yaml, staging.yaml, production.yaml).

Each check prints `ok` or `FAIL` with every problem it found; the script exits 1 when any check failed. The checks
tie the files to each other and to the service's code: a Secret key the pods read but nobody is told to create,
an IV_* variable the service does not know (it refuses to start on one), a carrier credential the directory
names but the Secret lacks, a metric an alert watches that the service never exports.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import promql_parser
import yaml

ROOT = Path(sys.argv[1]).resolve()
RENDERED = Path(sys.argv[2]).resolve()
DEPLOY = ROOT / "deploy"
SECRETS_EXAMPLE = DEPLOY / "k8s/base/secrets.example.yaml"
CARRIER_CREDENTIALS_SECRET = "insurance-verifier-carrier-credentials"
# The Secrets the base references by name only; they must be described in secrets.example.yaml.
EXTERNAL_SECRETS = {"insurance-verifier-database", "insurance-verifier-tokens", CARRIER_CREDENTIALS_SECRET}
SEVERITIES = {"critical", "warning", "info"}

results: list[tuple[str, list[str]]] = []


def check(name: str) -> Callable[[Callable[[], Iterable[str]]], None]:
    """Runs the decorated generator at once; every string it yields is a problem."""

    def run(function: Callable[[], Iterable[str]]) -> None:
        try:
            problems = list(function())
        # A check that crashes (a file missing, a key absent) is a failed check, with its reason.
        except Exception as error:  # noqa: BLE001
            problems = [f"{type(error).__name__}: {error}"]
        results.append((name, problems))
        status = "ok  " if not problems else "FAIL"
        print(f"  {status} {name}")
        for problem in problems:
            print(f"         - {problem}")

    return run


def load_all(path: Path) -> list[dict[str, Any]]:
    with path.open() as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


def renders() -> dict[str, list[dict[str, Any]]]:
    return {path.stem: load_all(path) for path in sorted(RENDERED.glob("*.yaml"))}


def pod_specs(objects: list[dict[str, Any]]) -> Iterable[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(kind/name, pod template metadata, pod spec) of every workload."""
    for obj in objects:
        if obj["kind"] in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
            template = obj["spec"]["template"]
            yield f"{obj['kind']}/{obj['metadata']['name']}", template.get("metadata", {}), template["spec"]


def containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return spec.get("initContainers", []) + spec.get("containers", [])


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {obj["metadata"]["name"]: obj for obj in objects if obj["kind"] == kind}


def matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


# --- The service's settings, read from src/config.rs --------------------------------------------------------------


def settings_env_names() -> dict[str, str]:
    """Every IV_* variable the service accepts, with its Rust type: the fields of `Settings` in src/config.rs,
    nested structs joined by `__`, as figment's Env provider reads them. The structs deny unknown fields, so any
    other IV_ name stops the service at start."""
    source = (ROOT / "src/config.rs").read_text()
    structs: dict[str, list[tuple[str, str]]] = {}
    for match in re.finditer(r"pub struct (\w+) \{(.*?)\n\}", source, re.DOTALL):
        fields = re.findall(r"^\s*pub (\w+): ([\w:<>, ]+),", match.group(2), re.MULTILINE)
        structs[match.group(1)] = fields
    if "Settings" not in structs:
        raise RuntimeError("struct Settings not found in src/config.rs")
    names: dict[str, str] = {}

    def walk(struct: str, prefix: str) -> None:
        for field, field_type in structs[struct]:
            inner = re.sub(r"^Option<(.*)>$", r"\1", field_type.strip())
            key = f"{prefix}__{field.upper()}" if prefix else f"IV_{field.upper()}"
            if inner in structs:
                walk(inner, key)
            else:
                names[key] = inner

    walk("Settings", "")
    # Read by the CLI client and the test suite, not by the service (Settings::load ignores them).
    names |= {name: "String" for name in ("IV_CONFIG", "IV_SERVER", "IV_TOKEN", "IV_TEST_POSTGRES_URL")}
    return names


def example_secrets() -> dict[str, set[str]]:
    secrets = {}
    for obj in load_all(SECRETS_EXAMPLE):
        keys = set(obj.get("stringData", {})) | set(obj.get("data", {}))
        secrets[obj["metadata"]["name"]] = keys
    return secrets


def strip_hash(name: str, known: Iterable[str]) -> str:
    """A generated name (`insurance-verifier-config-8k4d8bfbk7`) back to the name it was generated from."""
    for base in known:
        if re.fullmatch(re.escape(base) + r"-[a-z0-9]{10}", name):
            return base
    return name


def carrier_directory_envs(text: str) -> set[str]:
    directory = tomllib.loads(text)
    names = set()
    for route in directory.get("carriers", []):
        for key in ("credential_env", "username_env", "password_env"):
            if key in route:
                names.add(route[key])
    return names


def vector_selector_names(expr: Any) -> list[str]:
    """The metric names an expression selects."""
    names: list[str] = []

    def visit(node: Any) -> None:
        if type(node).__name__ == "VectorSelector" and node.name:
            names.append(node.name)

    promql_parser.walk(expr, visit)
    return names


RENDER = renders()
SETTINGS = settings_env_names()
EXAMPLES = example_secrets()


@check("every kustomization rendered (base, staging, production)")
def rendered_all() -> Iterable[str]:
    for name in ("base", "staging", "production"):
        if not RENDER.get(name):
            yield f"{name}: nothing rendered"


@check("workloads reference only ConfigMaps, Secrets, keys and ServiceAccounts that exist or are documented")
def references() -> Iterable[str]:
    for render, objects in RENDER.items():
        config_maps = by_kind(objects, "ConfigMap")
        secrets = by_kind(objects, "Secret")
        accounts = by_kind(objects, "ServiceAccount")

        def secret_keys(name: str, secrets: dict[str, dict[str, Any]] = secrets) -> set[str] | None:
            if name in secrets:
                return set(secrets[name].get("data") or {}) | set(secrets[name].get("stringData") or {})
            base = strip_hash(name, EXTERNAL_SECRETS)
            return EXAMPLES.get(base) if base in EXTERNAL_SECRETS else None

        for where, _, spec in pod_specs(objects):
            account = spec.get("serviceAccountName")
            if account and account not in accounts:
                yield f"{render}: {where} runs as ServiceAccount {account}, which is not rendered"
            for volume in spec.get("volumes", []):
                if "configMap" in volume and volume["configMap"]["name"] not in config_maps:
                    yield f"{render}: {where} mounts missing ConfigMap {volume['configMap']['name']}"
            for container in containers(spec):
                for source in container.get("envFrom", []):
                    if "configMapRef" in source and source["configMapRef"]["name"] not in config_maps:
                        yield f"{render}: {where} reads missing ConfigMap {source['configMapRef']['name']}"
                    if "secretRef" in source and secret_keys(source["secretRef"]["name"]) is None:
                        yield (
                            f"{render}: {where} reads Secret {source['secretRef']['name']}: neither rendered "
                            f"nor in secrets.example.yaml"
                        )
                for env in container.get("env", []):
                    ref = env.get("valueFrom", {}).get("secretKeyRef")
                    if not ref:
                        continue
                    keys = secret_keys(ref["name"])
                    if keys is None:
                        yield (
                            f"{render}: {where} env {env['name']}: Secret {ref['name']} is neither rendered "
                            f"nor in secrets.example.yaml"
                        )
                    elif ref["key"] not in keys and not ref.get("optional"):
                        yield f"{render}: {where} env {env['name']}: Secret {ref['name']} has no key {ref['key']}"


@check("every IV_* variable (manifests, compose, Dockerfile) is a setting in src/config.rs")
def env_names_are_settings() -> Iterable[str]:
    # (where, name, value or None when it comes from elsewhere)
    found: list[tuple[str, str, str | None]] = []
    for render, objects in RENDER.items():
        for obj in objects:
            if obj["kind"] == "ConfigMap":
                found += [
                    (f"{render}: ConfigMap {obj['metadata']['name']}", key, value)
                    for key, value in (obj.get("data") or {}).items()
                ]
        for where, _, spec in pod_specs(objects):
            for container in containers(spec):
                found += [(f"{render}: {where}", env["name"], env.get("value")) for env in container.get("env", [])]
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    for service, body in compose["services"].items():
        environment = body.get("environment") or {}
        pairs = (
            environment.items()
            if isinstance(environment, dict)
            else [tuple(e.split("=", 1)) if "=" in e else (e, None) for e in environment]
        )
        found += [(f"compose service {service}", key, None if value is None else str(value)) for key, value in pairs]
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    found += [("Dockerfile ENV", name, value) for name, value in re.findall(r"\b(IV_[A-Z0-9_]+)=(\S+)", dockerfile)]
    for where, name, value in found:
        if not name.startswith("IV_"):
            continue
        if name not in SETTINGS:
            yield f"{where}: {name} is not a setting (the service refuses to start on unknown IV_ variables)"
        elif (
            SETTINGS[name] in ("String", "PathBuf")
            and value is not None
            and re.fullmatch(r"[+-]?\d+(\.\d+)?|true|false", value.strip())
        ):
            # figment reads bare digits and booleans as numbers and booleans, and a text setting refuses them.
            yield (
                f"{where}: {name}={value} is read as a number or boolean; write it in double quotes, "
                f"e.g. {name}='\"{value}\"'"
            )
    if not any(name.startswith("IV_") for _, name, _ in found):
        yield "no IV_ variable found at all: the check itself is broken"


@check("carrier directories: credentials named are in the credentials Secret; routes match the starter")
def carrier_directories() -> Iterable[str]:
    for render, objects in RENDER.items():
        config_maps = by_kind(objects, "ConfigMap")
        secrets = by_kind(objects, "Secret")
        directory = next(
            (cm for name, cm in config_maps.items() if name.startswith("insurance-verifier-carriers")), None
        )
        if directory is None:
            yield f"{render}: no insurance-verifier-carriers ConfigMap"
            continue
        needed = carrier_directory_envs(directory["data"]["carriers.toml"])
        rendered_secret = next((s for n, s in secrets.items() if n.startswith(CARRIER_CREDENTIALS_SECRET)), None)
        if rendered_secret is not None:
            have = set(rendered_secret.get("data") or {}) | set(rendered_secret.get("stringData") or {})
            source = "the rendered Secret"
        else:
            have = EXAMPLES.get(CARRIER_CREDENTIALS_SECRET, set())
            source = "secrets.example.yaml"
        for name in sorted(needed - have):
            yield f"{render}: carriers.toml names {name}, missing from {source} ({CARRIER_CREDENTIALS_SECRET})"

    starter = tomllib.loads((ROOT / "data/carriers/kentucky.toml").read_text())["carriers"]
    k8s = tomllib.loads((DEPLOY / "k8s/base/carriers.toml").read_text())["carriers"]
    starter_ids = [route["id"] for route in starter]
    k8s_ids = [route["id"] for route in k8s]
    if starter_ids != k8s_ids:
        yield f"k8s/base/carriers.toml routes {k8s_ids} differ from the starter's {starter_ids}"
    # Matching must behave as the starter's (the labelled name table is tested against it); only routing differs.
    same_keys = (
        "display_name",
        "names",
        "brands",
        "not_names",
        "format",
        "service_types",
        "one_service_type_per_request",
        "max_concurrency",
        "requests_per_second",
        "connect_timeout",
        "request_timeout",
    )
    for ours, theirs in zip(k8s, starter):
        for key in same_keys:
            if ours.get(key) != theirs.get(key):
                yield f"k8s/base/carriers.toml route {ours['id']}: {key} differs from the starter's"
        placeholder = any(p.upper().startswith("SANDBOX") for p in theirs["payer_ids"])
        if not placeholder and ours["payer_ids"] != theirs["payer_ids"]:
            yield f"k8s/base/carriers.toml route {ours['id']}: payer_ids differ from the starter's"
        if not ours["base_url"].startswith("https://"):
            yield f"k8s/base/carriers.toml route {ours['id']}: base_url is not https"
        if any(p.upper().startswith("SANDBOX") for p in ours["payer_ids"]):
            yield f"k8s/base/carriers.toml route {ours['id']}: SANDBOX payer IDs are refused on https routes"
    staging = (DEPLOY / "k8s/overlays/staging/carriers.toml").read_text()
    if staging != (DEPLOY / "carriers.compose.toml").read_text():
        yield "k8s/overlays/staging/carriers.toml differs from deploy/carriers.compose.toml: copy it again"


@check("selectors, named ports and targets line up (Services, probes, HPA, PDB, NetworkPolicies)")
def wiring() -> Iterable[str]:
    for render, objects in RENDER.items():
        pods = list(pod_specs(objects))
        for obj in objects:
            kind, name = obj["kind"], obj["metadata"]["name"]
            if kind == "Deployment":
                selector = obj["spec"]["selector"]["matchLabels"]
                if not matches(selector, obj["spec"]["template"]["metadata"]["labels"]):
                    yield f"{render}: Deployment/{name} selector does not match its pod labels"
            if kind == "Service":
                selected = [
                    p
                    for p in pods
                    if matches(obj["spec"]["selector"], p[1].get("labels", {})) and not p[0].startswith("Job/")
                ]
                if not selected:
                    yield f"{render}: Service/{name} selects no pods"
                port_names = {
                    port.get("name") for _, _, spec in selected for c in containers(spec) for port in c.get("ports", [])
                }
                for port in obj["spec"]["ports"]:
                    target = port.get("targetPort")
                    if isinstance(target, str) and target not in port_names:
                        yield f"{render}: Service/{name} targets port {target!r}, not declared by its pods"
            if kind in ("HorizontalPodAutoscaler",):
                ref = obj["spec"]["scaleTargetRef"]
                if ref["name"] not in by_kind(objects, ref["kind"]):
                    yield f"{render}: {kind}/{name} scales missing {ref['kind']}/{ref['name']}"
                if obj["spec"]["minReplicas"] > obj["spec"]["maxReplicas"]:
                    yield f"{render}: {kind}/{name} minReplicas above maxReplicas"
            if kind == "PodDisruptionBudget":
                selected = [p for p in pods if matches(obj["spec"]["selector"]["matchLabels"], p[1].get("labels", {}))]
                if not selected:
                    yield f"{render}: PodDisruptionBudget/{name} selects no pods"
                deployments = [
                    d
                    for d in by_kind(objects, "Deployment").values()
                    if matches(obj["spec"]["selector"]["matchLabels"], d["spec"]["template"]["metadata"]["labels"])
                ]
                hpas = by_kind(objects, "HorizontalPodAutoscaler")
                for deployment in deployments:
                    floor = min(
                        [deployment["spec"].get("replicas", 1)]
                        + [
                            h["spec"]["minReplicas"]
                            for h in hpas.values()
                            if h["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
                        ]
                    )
                    if obj["spec"].get("minAvailable", 0) >= floor:
                        yield (
                            f"{render}: PodDisruptionBudget/{name} minAvailable {obj['spec']['minAvailable']} "
                            f"would block every drain at {floor} replicas"
                        )
            if kind == "NetworkPolicy":
                selected = [
                    p
                    for p in pods
                    if matches(obj["spec"]["podSelector"].get("matchLabels", {}), p[1].get("labels", {}))
                ]
                if not selected:
                    yield f"{render}: NetworkPolicy/{name} selects no pods"
                port_names = {
                    port.get("name") for _, _, spec in selected for c in containers(spec) for port in c.get("ports", [])
                }
                for rule in obj["spec"].get("ingress", []):
                    for port in rule.get("ports", []):
                        if isinstance(port.get("port"), str) and port["port"] not in port_names:
                            yield f"{render}: NetworkPolicy/{name} admits port {port['port']!r}, not declared"
        for where, _, spec in pods:
            for container in containers(spec):
                declared = {port.get("name"): port["containerPort"] for port in container.get("ports", [])}
                for probe_kind in ("startupProbe", "livenessProbe", "readinessProbe"):
                    probe = container.get(probe_kind)
                    if not probe:
                        continue
                    for handler in ("grpc", "httpGet", "tcpSocket"):
                        port = probe.get(handler, {}).get("port")
                        if isinstance(port, str) and port not in declared:
                            yield f"{render}: {where} {probe_kind} uses undeclared port {port!r}"
                        if isinstance(port, int) and declared and port not in declared.values():
                            yield f"{render}: {where} {probe_kind} probes port {port}, not a container port"


@check("pods are hardened (restricted Pod Security) and drain within their grace period")
def hardening() -> Iterable[str]:
    for render, objects in RENDER.items():
        config = {}
        for obj in objects:
            if obj["kind"] == "ConfigMap" and obj["metadata"]["name"].startswith("insurance-verifier-config"):
                config = obj.get("data", {})
        for where, _, spec in pod_specs(objects):
            pod_security = spec.get("securityContext", {})
            if spec.get("automountServiceAccountToken") is not False:
                yield f"{render}: {where} mounts a service account token"
            if pod_security.get("seccompProfile", {}).get("type") != "RuntimeDefault":
                yield f"{render}: {where} has no RuntimeDefault seccomp profile"
            for container in containers(spec):
                security = container.get("securityContext", {})
                label = f"{render}: {where} container {container['name']}"
                if not (security.get("runAsNonRoot") or pod_security.get("runAsNonRoot")):
                    yield f"{label} may run as root"
                if security.get("allowPrivilegeEscalation") is not False:
                    yield f"{label} allows privilege escalation"
                if security.get("readOnlyRootFilesystem") is not True:
                    yield f"{label} has a writable root filesystem"
                if "ALL" not in security.get("capabilities", {}).get("drop", []):
                    yield f"{label} keeps Linux capabilities"
                resources = container.get("resources", {})
                if not resources.get("requests") or not resources.get("limits", {}).get("memory"):
                    yield f"{label} lacks resource requests or a memory limit"
                image = container.get("image", "")
                if render != "base" and "/" not in image:
                    yield f"{label} image {image!r} was not pinned by the overlay's images"
            if not where.startswith("Deployment/insurance-verifier"):
                continue
            grace = spec.get("terminationGracePeriodSeconds", 30)
            shutdown = config.get("IV_SHUTDOWN_GRACE", "25s")
            seconds = int(shutdown.rstrip("s")) if re.fullmatch(r"\d+s", shutdown) else None
            pre_stop = containers(spec)[0].get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
            if seconds is None:
                yield f"{render}: IV_SHUTDOWN_GRACE {shutdown!r}: write whole seconds (e.g. 25s) so it can be checked"
            elif grace < seconds + pre_stop + 5:
                yield (
                    f"{render}: terminationGracePeriodSeconds {grace} leaves no margin over preStop {pre_stop}s "
                    f"+ shutdown_grace {seconds}s"
                )


@check("compose: files mounted exist, dependencies and telemetry endpoints name services")
def compose_wiring() -> Iterable[str]:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    for name, body in services.items():
        for volume in body.get("volumes", []):
            source = volume.split(":", 1)[0] if isinstance(volume, str) else volume.get("source", "")
            if source.startswith(".") and not (DEPLOY / source).exists():
                yield f"service {name} mounts {source}, which does not exist"
        depends = body.get("depends_on", {})
        for dependency in depends if isinstance(depends, (list, dict)) else []:
            if dependency not in services:
                yield f"service {name} depends on unknown service {dependency}"
        environment = body.get("environment") or {}
        endpoint = environment.get("IV_TELEMETRY__OTLP_ENDPOINT") if isinstance(environment, dict) else None
        if endpoint:
            host = re.sub(r"^https?://", "", endpoint).split(":")[0]
            if host not in services:
                yield f"service {name} sends traces to {host}, not a compose service"
    collector = yaml.safe_load((DEPLOY / "otel-collector.yaml").read_text())
    for exporter, body in (collector.get("exporters") or {}).items():
        endpoint = (body or {}).get("endpoint")
        if endpoint:
            host = re.sub(r"^https?://", "", endpoint).split(":")[0]
            if host not in services:
                yield f"otel-collector exporter {exporter} sends to {host}, not a compose service"
    prometheus = yaml.safe_load((DEPLOY / "prometheus.yml").read_text())
    for job in prometheus.get("scrape_configs", []):
        for static in job.get("static_configs", []):
            for target in static.get("targets", []):
                host, _, port = target.partition(":")
                if host not in services:
                    yield f"prometheus job {job['job_name']} scrapes {host}, not a compose service"
                elif port != "9464" and host.startswith("verifier"):
                    yield f"prometheus scrapes {target}, but the verifiers serve metrics on 9464"
    mounted = {volume.split(":")[1] for volume in services.get("prometheus", {}).get("volumes", [])}
    for rule_file in prometheus.get("rule_files", []):
        if rule_file not in mounted:
            yield f"prometheus rule file {rule_file} is not mounted into the prometheus service"


@check("otel-collector.yaml: every pipeline component is defined")
def collector_config() -> Iterable[str]:
    collector = yaml.safe_load((DEPLOY / "otel-collector.yaml").read_text())
    pipelines = collector.get("service", {}).get("pipelines", {})
    if not pipelines:
        yield "no pipelines"
    for pipeline, body in pipelines.items():
        for section in ("receivers", "processors", "exporters"):
            for component in body.get(section, []):
                if component not in (collector.get(section) or {}):
                    yield f"pipeline {pipeline} uses {section[:-1]} {component}, which is not defined"
        if not body.get("receivers") or not body.get("exporters"):
            yield f"pipeline {pipeline} needs at least one receiver and one exporter"
    for extension in collector.get("service", {}).get("extensions", []):
        if extension not in (collector.get("extensions") or {}):
            yield f"service extension {extension} is not defined"


@check("alerts.yml: rules parse as PromQL, watch exported metrics, and have severity, summary and runbook")
def alert_rules() -> Iterable[str]:
    rules_file = yaml.safe_load((DEPLOY / "alerts.yml").read_text())
    source = "\n".join(path.read_text() for path in (ROOT / "src").rglob("*.rs"))
    exported = set(re.findall(r'"(iv_[a-z0-9_]+)"', source))
    readme = (DEPLOY / "README.md").read_text() if (DEPLOY / "README.md").exists() else ""
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", heading.strip().lower()).replace(" ", "-")
        for heading in re.findall(r"^#+ (.+)$", readme, re.MULTILINE)
    }
    seen = set()
    groups = rules_file.get("groups") or []
    if not groups:
        yield "no rule groups"
    for group in groups:
        for rule in group.get("rules", []):
            name = rule.get("alert") or rule.get("record") or "?"
            if name in seen:
                yield f"{name}: defined twice"
            seen.add(name)
            unknown = set(rule) - {"alert", "record", "expr", "for", "keep_firing_for", "labels", "annotations"}
            if unknown:
                yield f"{name}: unknown keys {sorted(unknown)}"
            try:
                expr = promql_parser.parse(rule["expr"])
            except ValueError as error:
                yield f"{name}: expr does not parse: {error}"
                continue
            metrics = vector_selector_names(expr)
            for metric in metrics:
                base = re.sub(r"_(bucket|count|sum)$", "", metric)
                if metric.startswith("iv_") and metric not in exported and base not in exported:
                    yield f'{name}: metric {metric} is not exported by the service (no "{base}" in src/)'
            if "alert" in rule:
                if rule.get("labels", {}).get("severity") not in SEVERITIES:
                    yield f"{name}: severity must be one of {sorted(SEVERITIES)}"
                annotations = rule.get("annotations", {})
                for key in ("summary", "description", "runbook"):
                    if not annotations.get(key):
                        yield f"{name}: annotation {key} missing"
                runbook = annotations.get("runbook", "")
                if runbook.startswith("deploy/README.md#") and runbook.split("#", 1)[1] not in anchors:
                    yield f"{name}: runbook {runbook} has no matching heading in deploy/README.md"


failed = [name for name, problems in results if problems]
print(f"deploy: {len(results) - len(failed)} passed, {len(failed)} failed (consistency checks)")
sys.exit(1 if failed else 0)
