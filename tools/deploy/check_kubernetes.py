#!/usr/bin/env python3
"""Checks tools/deploy/kubernetes.yaml without a cluster: it parses as YAML (python3-yaml), the
Deployment and Service fit together (selector and labels, the Service's target port, the
probes' port), readiness is GET /health, Prometheus is pointed at /metrics on the serving port,
resources are requested, and every flag in the container's args is one `engine serve --help`
lists (so the manifest does not drift from the CLI).

  tools/deploy/check_kubernetes.py [ENGINE]

ENGINE defaults to build/bin/engine. Exits 1 on a failed check; 0 with "skipped" when
python3-yaml is not installed. This is no substitute for `kubectl apply --dry-run=server`.
"""
import pathlib
import re
import subprocess
import sys

try:
    import yaml
except ImportError:
    print("skipped: python3-yaml is not installed")
    sys.exit(0)

root = pathlib.Path(__file__).resolve().parents[2]
engine = sys.argv[1] if len(sys.argv) > 1 else str(root / "build/bin/engine")
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


docs = list(yaml.safe_load_all((root / "tools/deploy/kubernetes.yaml").read_text()))
by_kind = {d["kind"]: d for d in docs if d}
check(set(by_kind) == {"Deployment", "Service"}, f"kinds {sorted(by_kind)}")
deployment, service = by_kind["Deployment"], by_kind["Service"]

template = deployment["spec"]["template"]
labels = template["metadata"]["labels"]
selector = deployment["spec"]["selector"]["matchLabels"]
check(selector.items() <= labels.items(), "the Deployment's selector misses its pods' labels")
check(service["spec"]["selector"].items() <= labels.items(),
      "the Service's selector misses the pods' labels")

(container,) = template["spec"]["containers"]
ports = {p["name"]: p["containerPort"] for p in container["ports"]}
for p in service["spec"]["ports"]:
    check(p["targetPort"] in ports or p["targetPort"] in ports.values(),
          f"the Service targets port {p['targetPort']}, not one of the container's {ports}")

readiness = container["readinessProbe"]["httpGet"]
check(readiness["path"] == "/health", f"readiness probes {readiness['path']}")
for name in ("readinessProbe", "livenessProbe"):
    probe = container[name]
    port = (probe.get("httpGet") or probe.get("tcpSocket"))["port"]
    check(port in ports or port in ports.values(), f"{name} on port {port}")

annotations = template["metadata"]["annotations"]
check(annotations.get("prometheus.io/scrape") == "true", "no prometheus.io/scrape: true")
check(annotations.get("prometheus.io/path") == "/metrics", "Prometheus not pointed at /metrics")
check(int(annotations.get("prometheus.io/port", -1)) in ports.values(),
      "Prometheus scrapes a port the container does not serve")
requests = container["resources"]["requests"]
check("cpu" in requests and "memory" in requests, f"resource requests {requests}")

args = container["args"]
check(args[0] == "serve", f"args start with {args[0]!r}, not serve")
port_arg = args[args.index("--port") + 1]
check(int(port_arg) in ports.values(), f"--port {port_arg} is not a container port")
help_text = subprocess.run([engine, "serve", "--help"], check=True, capture_output=True,
                           text=True).stdout
known = set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", help_text))
for arg in args[1:]:
    if arg.startswith("-"):
        check(arg in known, f"engine serve has no flag {arg}")

for f in failures:
    print("FAIL:", f)
print(f"{len(docs)} documents parsed; {len(failures)} failed checks")
sys.exit(1 if failures else 0)
