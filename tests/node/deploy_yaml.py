#!/usr/bin/env python3
"""deploy/ is valid YAML and consistent: the seed's RuntimeClasses exactly, the installer DaemonSet's
paths inside its hostPath mounts, the example apps on RuntimeClasses that exist, and every nodeSelector
label one that `wasipool node label` prints (so the labels a node gets are the ones pods select on).
Usage: deploy_yaml.py WASIPOOL DEPLOY_DIR"""
import glob
import os
import subprocess
import sys

import yaml

wasipool, deploy = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


docs = {}
for path in sorted(glob.glob(os.path.join(deploy, "**", "*.yaml"), recursive=True)):
    with open(path) as f:
        try:
            docs[os.path.relpath(path, deploy)] = [d for d in yaml.safe_load_all(f) if d is not None]
        except yaml.YAMLError as e:
            failures.append(f"{path}: {e}")
check(docs, "no YAML files in deploy/")
objects = [(name, d) for name, ds in docs.items() for d in ds]
for name, d in objects:
    check(isinstance(d, dict) and "apiVersion" in d and "kind" in d and "name" in d.get("metadata", {}),
          f"{name}: a document without apiVersion/kind/metadata.name")

# The seed's RuntimeClasses, unchanged (AKS WASI node pools, use-wasi-node-pools.md, 2022).
seed = {
    "wasmtime-slight-v1": ("slight", {"kubernetes.azure.com/wasmtime-slight-v1": "true"}),
    "wasmtime-spin-v1": ("spin", {"kubernetes.azure.com/wasmtime-spin-v1": "true"}),
}
rcs = {d["metadata"]["name"]: d for _, d in objects if d.get("kind") == "RuntimeClass"}
for rc, (handler, selector) in seed.items():
    d = docs.get("runtimeclasses.yaml", [])
    got = [x for x in d if x["metadata"]["name"] == rc]
    check(len(got) == 1, f"runtimeclasses.yaml lacks {rc}")
    if got:
        check(got[0] == {"apiVersion": "node.k8s.io/v1", "kind": "RuntimeClass", "metadata": {"name": rc},
                         "handler": handler, "scheduling": {"nodeSelector": selector}},
              f"{rc} differs from the seed: {got[0]}")

labels = subprocess.run([wasipool, "node", "label"], capture_output=True, text=True).stdout.split()
check("kubernetes.azure.com/wasmtime-spin-v1=true" in labels, f"wasipool node label prints {labels}")
handlers = subprocess.run([wasipool, "node", "status", "--bin-dir", "/nonexistent", "--config", "/nonexistent",
                           "--no-dump"], capture_output=True, text=True).stdout
for name, rc in rcs.items():
    for k, v in rc.get("scheduling", {}).get("nodeSelector", {}).items():
        check(f"{k}={v}" in labels, f"RuntimeClass {name} selects {k}={v}, which wasipool node label does not set")
    check(f"io.containerd.{rc['handler']}.v1" in handlers,
          f"RuntimeClass {name}: handler {rc['handler']} is not one wasipool installs")

# The installer DaemonSet.
ds = [d for _, d in objects if d.get("kind") == "DaemonSet"]
check(len(ds) == 1, "expected one DaemonSet")
for d in ds:
    spec = d["spec"]["template"]["spec"]
    check(d["spec"]["selector"]["matchLabels"].items() <= d["spec"]["template"]["metadata"]["labels"].items(),
          "DaemonSet selector does not match its pod labels")
    check(spec.get("hostPID") is True, "installer needs hostPID (restart through PID 1's namespaces)")
    for k, v in spec.get("nodeSelector", {}).items():
        check(f"{k}={v}" in labels, f"DaemonSet selects {k}={v}, which wasipool node label does not set")
    init = spec["initContainers"][0]
    cmd = init["command"]
    check(cmd[:3] == ["/wasipool", "node", "install"] and "--host-namespaces" in cmd, f"installer command {cmd}")
    check(init["securityContext"].get("privileged") is True, "installer must be privileged (setns)")
    mounts = {m["name"]: m["mountPath"] for m in init["volumeMounts"]}
    host = {v["name"]: v["hostPath"]["path"] for v in spec["volumes"] if "hostPath" in v}
    for flag, host_path in (("--bin-dir", "/usr/local/bin"), ("--config", "/etc/containerd/config.toml")):
        value = cmd[cmd.index(flag) + 1]
        # the flag's path must lie in a mount whose hostPath maps it to the host path we mean
        hits = [n for n, mp in mounts.items()
                if (value + "/").startswith(mp.rstrip("/") + "/") and n in host
                and host[n].rstrip("/") + value[len(mp.rstrip("/")):] == host_path]
        check(hits, f"installer {flag} {value} is not {host_path} on the host through a hostPath mount")

# Example apps: Deployment + Service pairs, on a RuntimeClass that exists, the seed's pod shape.
deps = [(n, d) for n, d in objects if d.get("kind") == "Deployment"]
svcs = [d for _, d in objects if d.get("kind") == "Service"]
check(len(deps) >= 2, "expected a spin and a slight Deployment")
for name, d in deps:
    pod = d["spec"]["template"]
    rc = pod["spec"].get("runtimeClassName")
    check(rc in rcs, f"{name}: runtimeClassName {rc} is not defined in deploy/")
    c = pod["spec"]["containers"][0]
    check(c.get("command") == ["/"], f"{name}: command must be [\"/\"] as in the seed")
    check(c.get("resources") == {"requests": {"cpu": "10m", "memory": "10Mi"},
                                 "limits": {"cpu": "500m", "memory": "128Mi"}}, f"{name}: resources differ from the seed")
    check(d["spec"]["selector"]["matchLabels"].items() <= pod["metadata"]["labels"].items(), f"{name}: selector")
    check(any(s["spec"]["selector"].items() <= pod["metadata"]["labels"].items()
              and any(p.get("targetPort") == 80 for p in s["spec"]["ports"]) for s in svcs),
          f"{name}: no Service targets its pods on port 80")
check({rcs[d["spec"]["template"]["spec"]["runtimeClassName"]]["handler"] for _, d in deps
       if d["spec"]["template"]["spec"].get("runtimeClassName") in rcs} >= {"spin", "slight"},
      "examples must cover spin and slight")

for f in failures:
    print("FAIL:", f)
print(f"{len(objects)} objects in {len(docs)} files; {len(failures)} failures")
sys.exit(1 if failures else 0)
