"""The kubelet-view harness: registry + images + private node + CRI client (owner: cri).

One Harness = one node for one test (or one benchmark run): a docker-registry on loopback holding the
pause, busybox-httpd and app images, a containerd with the CRI plugin configured like a WASI node
(`wasipool node install` on its private config when that command is built, else the same runtime
sections written here), and helpers that run a pod through the CRI exactly as kubelet would and check
what a node operator would check. Teardown stops everything and reports anything left on the host.
Single-threaded.
"""
import importlib
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import kubelet  # noqa: E402
import ocipack  # noqa: E402
from node import Node  # noqa: E402
from registry import Registry  # noqa: E402

WASM_HANDLERS = {"spin": "io.containerd.spin.v1", "slight": "io.containerd.slight.v1",
                 "wasm": "io.containerd.wasm.v1"}
BUSYBOX = "/usr/bin/busybox"
def httpd_args(port):
    # The container is PID 1 of its pid namespace, where a signal without a handler is ignored: httpd
    # alone would sit out SIGTERM until the grace period's SIGKILL. sh traps TERM and exits cleanly.
    return ["sh", "-c", "trap 'exit 0' TERM; /bin/busybox httpd -f -v -p %d -h /www & wait" % port]
NOT_BUILT = "not built yet"


class HarnessError(Exception):
    pass


def load_pb2(build_dir):
    gen = os.path.join(build_dir, "tests", "cri", "gen")
    if not os.path.exists(os.path.join(gen, "cri_pb2.py")):
        raise HarnessError("%s/cri_pb2.py missing: build the cri_proto_py target (ninja -C %s cri_proto_py)"
                           % (gen, build_dir))
    sys.path.insert(0, gen)
    try:
        importlib.import_module("grpc")
        return importlib.import_module("cri_pb2")
    except ImportError as e:
        raise HarnessError("%s: the CRI client needs Debian's python3-grpcio and python3-protobuf; run it "
                           "with /usr/bin/python3 (this is %s)" % (e, sys.executable))


def run(argv, what, timeout=120):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise HarnessError("%s failed (exit %d): %s\nstdout: %s\nstderr: %s" % (
            what, r.returncode, " ".join(argv), r.stdout[-2000:], r.stderr[-2000:]))
    return r.stdout


class Harness:
    def __init__(self, build_dir, log_level="info"):
        self.build_dir = os.path.abspath(build_dir)
        self.wasipool = os.path.join(self.build_dir, "wasipool")
        self.pb = load_pb2(self.build_dir)
        import cri_client
        self.client_class = cri_client.CriClient
        self.node = Node(self.build_dir, log_level)
        self.registry = Registry(self.node.dir)
        self.images = {}
        self.pods = []
        self.all_pods = []
        self.cri = None
        self.installed_by = None
        self.config_before_install = None

    # --- setup --------------------------------------------------------------------------------------
    def start(self, handlers=()):
        for tool in ("containerd", "containerd-shim-runc-v2", "runc", "docker-registry", "ip"):
            if not shutil.which(tool):
                raise HarnessError("%s not found on PATH (Debian packages containerd, runc, "
                                   "docker-registry, iproute2)" % tool)
        if os.geteuid() != 0:
            raise HarnessError("the CRI tests need root (containerd, CNI, cgroups)")
        self.registry.start()
        self.images["pause"] = self.push_pause()
        self.node.write_config(self.images["pause"], self.registry.host)
        if handlers:
            self.install_handlers(handlers)
        self.cri = self.node.start(lambda sock: self.client_class(sock, self.pb))
        return self

    def install_handlers(self, handlers):
        """Makes the node a WASI node: `wasipool node install` on the private config when that command
        exists, else the runtime sections and shim links written here."""
        if not os.path.exists(self.wasipool):
            raise HarnessError("%s missing: build the wasipool target" % self.wasipool)
        probe = subprocess.run([self.wasipool, "node", "--help"], capture_output=True, text=True)
        if NOT_BUILT not in probe.stdout + probe.stderr:
            with open(self.node.config_path, "rb") as f:
                self.config_before_install = f.read()
            install = [self.wasipool, "node", "install", "--config", self.node.config_path,
                       "--bin-dir", self.node.bin_dir, "--no-restart"]
            run(install, "wasipool node install")
            with open(self.node.config_path, "rb") as f:
                installed = f.read()
            run(install, "wasipool node install (again)")
            with open(self.node.config_path, "rb") as f:
                if f.read() != installed:
                    raise HarnessError("a second `wasipool node install` changed %s" % self.node.config_path)
            # status exits 0 only when every handler is registered and resolves to a shim on the PATH
            # containerd will run with (our bin dir first, see Node.start).
            run([self.wasipool, "node", "status", "--config", self.node.config_path, "--bin-dir",
                 self.node.bin_dir, "--path", self.node.bin_dir + ":" + os.environ.get("PATH", "")],
                "wasipool node status")
            self.installed_by = "wasipool node install"
            return
        for handler in handlers:
            shim = "containerd-shim-%s-v1" % handler
            os.symlink(self.wasipool, os.path.join(self.node.bin_dir, shim))
            self.node.add_runtime(handler, WASM_HANDLERS[handler])
        self.installed_by = "harness (wasipool node install not built yet)"

    # --- images -------------------------------------------------------------------------------------
    def image_build_available(self):
        probe = subprocess.run([self.wasipool, "image", "--help"], capture_output=True, text=True) \
            if os.path.exists(self.wasipool) else None
        return probe is not None and NOT_BUILT not in probe.stdout + probe.stderr

    def push_tar(self, tar_path, repo, tag="v1"):
        return self.registry.push_layout_tar(tar_path, repo, tag)

    def pack_native(self, name, files, entrypoint):
        """A linux/amd64 image of `files` [(path, bytes, mode)] as an OCI layout tar: built with
        `wasipool image build --platform linux/amd64 --entrypoint ...` (what users run), or by ocipack
        when that command is not built."""
        tar = os.path.join(self.node.dir, name + ".tar")
        if not self.image_build_available():
            ocipack.write_image_tar(tar, files, entrypoint)
            return tar
        context = os.path.join(self.node.dir, "ctx-" + name)
        for path, data, mode in files:
            target = os.path.join(context, path)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with open(target, "wb") as f:
                f.write(data)
            os.chmod(target, mode)
        argv = [self.wasipool, "image", "build", context, "-t", name + ":v1", "-o", tar,
                "--platform", "linux/amd64"]
        for arg in entrypoint:
            argv += ["--entrypoint", arg]
        run(argv, "wasipool image build (%s)" % name)
        return tar

    def push_pause(self):
        pause = os.path.join(self.build_dir, "tests", "cri", "pause")
        if not os.path.exists(pause):
            raise HarnessError("%s missing: build the cri_pause target" % pause)
        with open(pause, "rb") as f:
            tar = self.pack_native("pause", [("pause", f.read(), 0o755)], ["/pause"])
        return self.push_tar(tar, "pause", "3.9")

    def push_httpd(self):
        if "httpd" not in self.images:
            with open(BUSYBOX, "rb") as f:
                busybox = f.read()
            tar = self.pack_native("httpd", [("bin/busybox", busybox, 0o755), ("www/hello", b"hello", 0o644)],
                                   ["/bin/busybox"])
            self.images["httpd"] = self.push_tar(tar, "httpd")
        return self.images["httpd"]

    def httpd_container(self, name, port=80):
        """An ordinary (runc) container: busybox httpd serving /www/hello = "hello" on port."""
        return kubelet.ContainerSpec(name, self.push_httpd(), command=["/bin/busybox"], args=httpd_args(port),
                                     port=port)

    # --- pods ---------------------------------------------------------------------------------------
    def pod(self, name, handler, containers):
        pod = kubelet.Pod(self.cri, self.node.dir, self.node.cgroup_parent, name, handler, containers)
        self.pods.append(pod)
        self.all_pods.append(pod)
        return pod

    def exercise(self, pod, expect_body=b"hello", port=80, check_logs=True, before_stop=None):
        """kubelet's whole sequence for one pod, checked at each step. Returns timings."""
        t0 = time.monotonic()
        pod.pull()
        t_pulled = time.monotonic()
        ip = pod.run()
        status, body, _ = pod.get("/hello", port)
        t_answer = time.monotonic()
        if status != 200 or body != expect_body:
            raise AssertionError("pod %s (%s) GET http://%s/hello -> %d %r, expected 200 %r" % (
                pod.name, pod.handler, ip, status, body[:200], expect_body))
        self.check_stats(pod)
        if before_stop:
            before_stop()
        states = pod.stop(grace_s=10)
        for name, st in states.items():
            if st.state != self.pb.CONTAINER_EXITED:
                raise AssertionError("container %s after StopContainer: state %s, expected EXITED" % (
                    name, self.pb.ContainerState.Name(st.state)))
            # 137 = killed by SIGKILL after the grace period: the container ignored SIGTERM.
            if st.exit_code == 137:
                raise AssertionError("container %s needed SIGKILL: SIGTERM not honoured within the grace "
                                     "period (exit 137, reason %s)" % (name, st.reason))
        if check_logs:
            for spec in pod.containers:
                lines = kubelet.check_log_file(pod.log_file(spec.name))
                if not lines:
                    raise AssertionError("container %s log %s is empty" % (spec.name, pod.log_file(spec.name)))
        pod.remove()
        self.pods.remove(pod)
        return {"pull_s": t_pulled - t0, "start_to_answer_s": t_answer - t_pulled}

    def check_stats(self, pod, deadline_s=10):
        for name, cid in pod.container_ids.items():
            start = time.monotonic()
            while True:
                stats = self.cri.container_stats(cid)
                cpu = stats.cpu.usage_core_nano_seconds.value if stats.HasField("cpu") else 0
                mem = stats.memory.working_set_bytes.value if stats.HasField("memory") else 0
                if cpu > 0 and mem > 0:
                    break
                if time.monotonic() - start > deadline_s:
                    raise AssertionError("ContainerStats(%s/%s): cpu.usage_core_nano_seconds=%d "
                                         "memory.working_set_bytes=%d, expected both > 0 (stats: %s)" % (
                                             pod.name, name, cpu, mem, str(stats).replace("\n", " ")[:400]))
                time.sleep(0.2)

    def note_netns(self):
        """Tells the node which netns and sandbox ids are its own (teardown touches nothing else)."""
        self.node.netns_paths.update(p.netns for p in self.all_pods if p.netns)
        self.node.sandbox_ids.update(p.sandbox_id for p in self.all_pods if p.sandbox_id)

    def residue(self):
        """Leftovers of removed pods while the node runs (containerd and the registry excepted)."""
        self.note_netns()
        return self.node.residue(keep_pids=[self.registry.proc.pid] if self.registry.proc else [])

    # --- teardown -----------------------------------------------------------------------------------
    def stop(self):
        """Stops pods left by a failed test, containerd, the registry; cleans the host. Returns a list
        of problems (leftovers) -- empty when clean."""
        problems = []
        self.note_netns()
        for pod in list(self.pods):
            try:
                pod.stop(grace_s=2)
                pod.remove()
            except Exception as e:
                problems.append("cleanup of pod %s: %s" % (pod.name, e))
        if self.cri:
            self.cri.close()
        if self.installed_by == "wasipool node install":
            # The node after real pods: uninstall must give back the config byte for byte.
            try:
                run([self.wasipool, "node", "uninstall", "--config", self.node.config_path, "--bin-dir",
                     self.node.bin_dir, "--no-restart"], "wasipool node uninstall")
                with open(self.node.config_path, "rb") as f:
                    if f.read() != self.config_before_install:
                        problems.append("`wasipool node uninstall` did not restore %s byte for byte"
                                        % self.node.config_path)
            except HarnessError as e:
                problems.append(str(e))
        self.registry.stop()
        forced = self.node.teardown()
        problems += ["teardown had to remove: " + f for f in forced]
        problems += ["left on the host: " + f for f in self.node.check_clean()]
        sandbox_ids = [p.sandbox_id for p in self.all_pods if p.sandbox_id]
        problems += ["left on the host: shim socket " + f for f in self.node.shim_sockets_left(sandbox_ids)]
        return problems
