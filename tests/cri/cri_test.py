#!/usr/bin/python3
"""The kubelet-view tests (ctest cri.*; owner: cri). One case per run:

  runc     a runc pod (busybox httpd) through the whole CRI sequence -- proves the harness itself
  spin     a pod with runtime_handler "spin" (RuntimeClass wasmtime-spin-v1): GET POD_IP/hello -> hello
  slight   the same with handler "slight" (wasmtime-slight-v1)
  mixed    a runc pod and a spin pod running at the same time on the same node
  sidecar  a spin container and an ordinary busybox sidecar in one pod (handler spin)
  platform which image platforms kubelet's pull accepts (wasi/wasm manifest, linux/amd64, index)

Every case fails (exit 1) with the reason when anything is missing -- containerd, root, the shims,
`wasipool` -- never skips. Teardown problems (leftover processes, mounts, netns, cgroups, bridge,
ip_forward) fail the case too. Logs of the node are kept in <build>/tests/cri/logs/<case>.*.
"""
import argparse
import os
import shutil
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import Harness, HarnessError  # noqa: E402
from kubelet import ContainerSpec, check_log_file  # noqa: E402
import wasm_images  # noqa: E402


def expect_status(pod, path, code):
    status, _, _ = pod.get(path)
    if status != code:
        raise AssertionError("GET %s on pod %s: %d, expected %d" % (path, pod.name, status, code))


def case_runc(h):
    h.start()
    pod = h.pod("httpd", "", [h.httpd_container("httpd")])
    t = h.exercise(pod, before_stop=lambda: expect_status(pod, "/missing", 404))
    print("runc pod: start to first answer %.3f s" % t["start_to_answer_s"])


def wasm_pod(h, handler, name=None):
    image = wasm_images.push_app(h, handler)
    return h.pod(name or ("wasm-" + handler), handler, [ContainerSpec("hello-" + handler, image)])


def case_spin(h):
    h.start(handlers=("spin", "slight", "wasm"))
    t = h.exercise(wasm_pod(h, "spin"))
    print("spin pod (%s): start to first answer %.3f s" % (h.installed_by, t["start_to_answer_s"]))


def case_slight(h):
    h.start(handlers=("spin", "slight", "wasm"))
    t = h.exercise(wasm_pod(h, "slight"))
    print("slight pod (%s): start to first answer %.3f s" % (h.installed_by, t["start_to_answer_s"]))


def case_mixed(h):
    h.start(handlers=("spin", "slight", "wasm"))
    native = h.pod("httpd", "", [h.httpd_container("httpd")])
    wasm = wasm_pod(h, "spin")
    for pod in (native, wasm):
        pod.pull()
        pod.run()
    # Both pods are up at the same time; each answers on its own IP.
    if native.ip == wasm.ip:
        raise AssertionError("both pods got IP %s" % native.ip)
    for pod in (native, wasm, native):
        status, body, _ = pod.get()
        if (status, body) != (200, b"hello"):
            raise AssertionError("pod %s at %s: %d %r while the other pod runs" % (pod.name, pod.ip, status, body))
    for pod in (native, wasm):
        h.check_stats(pod)
        pod.stop()
        pod.remove()
        h.pods.remove(pod)
    print("runc pod %s and spin pod %s answered side by side" % (native.ip, wasm.ip))


def case_sidecar(h):
    h.start(handlers=("spin", "slight", "wasm"))
    image = wasm_images.push_app(h, "spin")
    sidecar = h.httpd_container("sidecar", 8080)
    pod = h.pod("spin-sidecar", "spin", [ContainerSpec("hello-spin", image), sidecar])
    pod.pull()
    # The shim sends the busybox container to runc in the same pod (same netns, own cgroup), so this
    # must work; AKS' WASI pools could not do it ("not in the same pod").
    pod.run()
    for port in (80, 8080):
        status, body, _ = pod.get("/hello", port)
        if (status, body) != (200, b"hello"):
            raise AssertionError("spin+sidecar pod port %d: %d %r" % (port, status, body))
    h.check_stats(pod)
    statuses = pod.stop()
    for name, st in statuses.items():
        if st.exit_code == 137:
            raise AssertionError("container %s needed SIGKILL" % name)
    for spec in pod.containers:
        check_log_file(pod.log_file(spec.name))
    pod.remove()
    h.pods.remove(pod)
    print("spin container (port 80) and busybox sidecar (port 8080) in one pod at %s" % pod.ip)


def case_platform(h):
    h.start(handlers=("spin", "slight", "wasm"))
    results = wasm_images.platform_matrix(h, "spin")
    for variant, outcome in results.items():
        print("platform %-28s %s" % (variant, outcome))
    for variant in ("wasipool image build (default)", "wasipool image build --platform both"):
        outcome = results.get(variant)
        if outcome is None or "answered 200 b'hello'" not in outcome:
            raise AssertionError("%s: not pulled and served by a spin pod through the CRI: %s" % (variant, outcome))


CASES = {"runc": case_runc, "spin": case_spin, "slight": case_slight, "mixed": case_mixed,
         "sidecar": case_sidecar, "platform": case_platform}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--case", required=True, choices=sorted(CASES))
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args()
    failed = False
    h = None
    try:
        h = Harness(args.build_dir, args.log_level)
        CASES[args.case](h)
        # Every pod was removed: nothing of theirs may remain while the node still runs.
        residue = h.residue()
        if residue:
            raise AssertionError("after RemovePodSandbox, left on the node: %s" % "; ".join(residue))
    except Exception as e:
        failed = True
        print("FAIL cri.%s: %s" % (args.case, e), file=sys.stderr)
        if not isinstance(e, (AssertionError, HarnessError)):
            traceback.print_exc()
        if h is not None:
            print("--- containerd log (tail) ---\n" + h.node.log_tail(60), file=sys.stderr)
    if h is not None:
        logs = os.path.join(os.path.abspath(args.build_dir), "tests", "cri", "logs")
        os.makedirs(logs, exist_ok=True)
        for src in ("containerd.log", "registry/registry.log"):
            path = os.path.join(h.node.dir, src)
            if os.path.exists(path):
                shutil.copy(path, os.path.join(logs, "%s.%s" % (args.case, os.path.basename(src))))
        problems = h.stop()
        for p in problems:
            print("FAIL cri.%s teardown: %s" % (args.case, p), file=sys.stderr)
        failed = failed or bool(problems)
    print("cri.%s: %s" % (args.case, "FAILED" if failed else "passed"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
