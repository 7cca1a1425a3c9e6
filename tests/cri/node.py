"""A private Kubernetes node for the kubelet-view tests: containerd + its CRI plugin + CNI (owner: cri).

Everything lives under one short temp dir W (root, state, sockets, CNI config and IPAM leases, registry
storage, logs); the only host-wide objects are the ones the kernel and CNI force on us, and each is
recorded so teardown() removes exactly those and check_clean() proves it:
  - the bridge link wpcri<rand> (CNI bridge plugin) on a private 10.88.<rand>.0/24 subnet,
  - net.ipv4.ip_forward (the bridge plugin's isGateway turns it on): saved, restored -- by the last of
    the nodes running at once on this machine (IpForward below),
  - pod netns mounts under /var/run/netns (containerd 1.6's CRI hard-codes that dir),
  - CNI result cache files under /var/lib/cni (libcni's default CacheDir, not configurable in 1.6),
  - the cgroup parent /wpcri<rand> under each v1 controller (what kubelet's pod cgroups would be).
Never touches /run/containerd, /etc/containerd or the host's containerd. Single-threaded.
"""
import fcntl
import glob
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import tempfile
import time

CRI = 'plugins."io.containerd.grpc.v1.cri"'
CGROUP_V1_ROOT = "/sys/fs/cgroup"


class NodeError(Exception):
    pass


class IpForward:
    """net.ipv4.ip_forward is one host-wide value and several nodes (tests, benchmarks, other people's
    runs) may overlap: the first one in records the original value in STATE, each node registers its
    dir, and the last one out restores the value. Entries of crashed runs (dir gone) are dropped."""

    STATE = "/run/wasipool-cri-ip_forward.json"
    SYSCTL = "/proc/sys/net/ipv4/ip_forward"

    def __init__(self, node_dir):
        self.node_dir = node_dir

    def _update(self, change):
        # The lock is on /run itself, so no lock file outlives the runs.
        lock = os.open(os.path.dirname(self.STATE), os.O_RDONLY | os.O_DIRECTORY)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                with open(self.STATE) as f:
                    state = json.load(f)
            except (OSError, ValueError):
                state = {"original": read_file(self.SYSCTL).strip(), "nodes": []}
            state["nodes"] = [d for d in state["nodes"] if os.path.isdir(d)]
            result = change(state)
            if state["nodes"]:
                with open(self.STATE, "w") as f:
                    json.dump(state, f)
            elif os.path.exists(self.STATE):
                os.unlink(self.STATE)
            return result
        finally:
            os.close(lock)

    def register(self):
        self._update(lambda st: st["nodes"].append(self.node_dir))

    def release(self):
        """Restores the original value if no other node runs. Returns the original value, or None
        while other nodes still run."""
        def change(st):
            st["nodes"] = [d for d in st["nodes"] if d != self.node_dir]
            if st["nodes"]:
                return None
            with open(self.SYSCTL, "w") as f:
                f.write(st["original"])
            return st["original"]
        return self._update(change)


def read_file(path, default=""):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default


def list_dir(path):
    try:
        return set(os.listdir(path))
    except OSError:
        return set()


class Node:
    def __init__(self, build_dir, log_level="info"):
        self.build_dir = build_dir
        self.log_level = log_level
        # Short prefix: unix socket paths are limited to 108 bytes and the shims put theirs under state.
        self.dir = tempfile.mkdtemp(prefix="wpcri.", dir="/tmp")
        tag = "%04x" % random.randrange(0x10000)
        self.name = "wpcri" + tag
        self.bridge = self.name
        self.cgroup_parent = "/" + self.name
        self.subnet_octet = self._free_subnet_octet()
        self.subnet = "10.88.%d.0/24" % self.subnet_octet
        self.socket = os.path.join(self.dir, "c.sock")
        self.config_path = os.path.join(self.dir, "config.toml")
        self.bin_dir = os.path.join(self.dir, "bin")
        self.runtimes = {}  # handler -> runtime_type added by us (when node install is not used)
        self.proc = None
        self.ip_forward = IpForward(self.dir)
        self.ip_forward_restored = None
        # Pod netns paths of this node's pods (Harness fills it from the sandboxes' runtime specs):
        # /var/run/netns is shared with any other node on the machine, so only these are ours.
        self.netns_paths = set()
        self.sandbox_ids = set()  # ours, to recognise libcni's per-sandbox cache files (loopback too)
        self.cni_cache_before = set(glob.glob("/var/lib/cni/results/*"))
        # Host dirs containerd/libcni create on first use; removed again (when empty) if we made them.
        self.host_dirs_created = [p for p in ("/var/lib/cni/results", "/var/lib/cni", "/var/run/netns")
                                  if not os.path.exists(p)]
        os.makedirs(self.bin_dir)
        self.ip_forward.register()

    def _free_subnet_octet(self):
        routes = subprocess.run(["ip", "-4", "route"], capture_output=True, text=True).stdout
        for _ in range(100):
            octet = random.randrange(1, 255)
            if "10.88.%d." % octet not in routes:
                return octet
        raise NodeError("no free 10.88.x.0/24 subnet (ip route: %s)" % routes)

    # --- configuration ------------------------------------------------------------------------------
    def write_cni_config(self):
        net_d = os.path.join(self.dir, "net.d")
        os.makedirs(net_d, exist_ok=True)
        conflist = {
            "cniVersion": "0.4.0",
            "name": self.name,
            "plugins": [{
                "type": "bridge",
                "bridge": self.bridge,
                "isGateway": True,
                # No NAT rules on the host: pods here only talk to the host through the bridge, and
                # masquerade rules would be host-wide state outliving a crashed test.
                "ipMasq": False,
                "hairpinMode": True,
                "ipam": {
                    "type": "host-local",
                    # Leases under W, not /var/lib/cni/networks: nothing of ours is left on the host.
                    "dataDir": os.path.join(self.dir, "ipam"),
                    "ranges": [[{"subnet": self.subnet}]],
                    "routes": [{"dst": "0.0.0.0/0"}],
                },
            }],
        }
        # containerd's CRI adds the loopback plugin (type loopback from bin_dir) to every pod itself.
        with open(os.path.join(net_d, "10-%s.conflist" % self.name), "w") as f:
            json.dump(conflist, f, indent=2)
        return net_d

    def write_registry_hosts(self, registry_host):
        # containerd >= 1.5 hosts.toml: the local registry is plain HTTP on loopback.
        d = os.path.join(self.dir, "certs.d", registry_host)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "hosts.toml"), "w") as f:
            f.write('server = "http://%s"\n\n[host."http://%s"]\n  capabilities = ["pull", "resolve"]\n'
                    % (registry_host, registry_host))

    def write_config(self, sandbox_image, registry_host):
        net_d = self.write_cni_config()
        self.write_registry_hosts(registry_host)
        d = self.dir
        text = """version = 2
root = "{d}/root"
state = "{d}/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "{d}/c.sock"

[ttrpc]
  address = "{d}/c.sock.ttrpc"

[debug]
  level = "{level}"

[plugins."io.containerd.internal.v1.opt"]
  path = "{d}/opt"

[{cri}]
  sandbox_image = "{sandbox}"
  # This VM has no CAP_SYS_RESOURCE: lowering oom_score_adj (pause asks for -998) would fail.
  restrict_oom_score_adj = true
  # The streaming server (exec/attach/port-forward) listens on loopback only, on any free port.
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  disable_tcp_service = true
  enable_selinux = false
  disable_apparmor = true

  [{cri}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"

    [{cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [{cri}.containerd.runtimes.runc.options]
        SystemdCgroup = false

  [{cri}.cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "{net_d}"
    max_conf_num = 1

  [{cri}.registry]
    config_path = "{d}/certs.d"
""".format(d=d, level=self.log_level, cri=CRI, sandbox=sandbox_image, net_d=net_d)
        with open(self.config_path, "w") as f:
            f.write(text)

    def add_runtime(self, handler, runtime_type):
        """Adds a CRI runtime handler section (the fallback when `wasipool node install` is not
        available)."""
        with open(self.config_path, "a") as f:
            f.write('\n[{cri}.containerd.runtimes.{h}]\n  runtime_type = "{t}"\n'.format(
                cri=CRI, h=handler, t=runtime_type))

    # --- containerd ---------------------------------------------------------------------------------
    def start(self, client_factory):
        env = dict(os.environ)
        # containerd resolves io.containerd.<x>.v1 to containerd-shim-<x>-v1 on its PATH: our bin dir
        # first, so the shims under test are found and never a host-installed one.
        env["PATH"] = self.bin_dir + ":" + env.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        self.log_path = os.path.join(self.dir, "containerd.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(["containerd", "--config", self.config_path], stdout=self.log,
                                     stderr=subprocess.STDOUT, env=env, start_new_session=True)
        deadline = time.time() + 30
        last_error = None
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise NodeError("containerd exited with %d:\n%s" % (self.proc.returncode, self.log_tail()))
            if os.path.exists(self.socket):
                client = client_factory(self.socket)
                try:
                    client.version()
                    return client
                except Exception as e:  # the CRI plugin may still be initialising
                    last_error = e
                    client.close()
            time.sleep(0.1)
        raise NodeError("containerd's CRI did not answer Version within 30 s (%s):\n%s" % (
            last_error, self.log_tail()))

    def log_tail(self, n=40):
        return "\n".join(read_file(self.log_path).splitlines()[-n:]) if hasattr(self, "log_path") else ""

    def stop_containerd(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    # --- teardown -----------------------------------------------------------------------------------
    def _our_processes(self):
        """Pids of processes (shims and their children) whose command line or cwd names our dir."""
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == os.getpid():
                continue
            cmdline = read_file("/proc/%s/cmdline" % entry).replace("\0", " ")
            try:
                cwd = os.readlink("/proc/%s/cwd" % entry)
            except OSError:
                cwd = ""
            if self.dir in cmdline or cwd.startswith(self.dir):
                pids.append(int(entry))
        return pids

    def _cgroup_pids(self):
        pids = set()
        for path in self._our_cgroups():
            for root, _, files in os.walk(path):
                if "cgroup.procs" in files:
                    pids.update(int(x) for x in read_file(os.path.join(root, "cgroup.procs")).split())
        return sorted(pids)

    def _our_mounts(self):
        mounts = []
        for line in read_file("/proc/self/mountinfo").splitlines():
            fields = line.split()
            if len(fields) > 4 and fields[4].startswith(self.dir):
                mounts.append(fields[4])
        return mounts

    def _new_netns(self):
        return sorted(os.path.basename(p) for p in self.netns_paths if os.path.exists(p))

    def _our_cgroups(self):
        found = []
        for controller in sorted(list_dir(CGROUP_V1_ROOT)):
            path = os.path.join(CGROUP_V1_ROOT, controller, self.cgroup_parent.lstrip("/"))
            if os.path.isdir(path):
                found.append(path)
        return found

    def _is_ours(self, cache_path):
        """libcni names cache files <network>-<sandbox id>-<ifname>: ours carry our network's name or
        (the loopback network, same name on every node) one of our sandbox ids."""
        name = os.path.basename(cache_path)
        return self.name in name or any(sid in name for sid in self.sandbox_ids)

    def _new_cni_cache(self):
        return sorted(set(glob.glob("/var/lib/cni/results/*")) - self.cni_cache_before)

    def teardown(self):
        """Stops containerd and removes every trace, whatever state the test left. Returns the list of
        things that had to be force-removed (empty after a clean run)."""
        forced = []
        self.stop_containerd()
        for pid in self._our_processes():
            forced.append("process %d (%s)" % (pid, read_file("/proc/%d/cmdline" % pid).replace("\0", " ")[:120]))
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        # Container processes (pause, workloads) live in another mount namespace, so neither their
        # cmdline nor cwd names W; our cgroup tree finds them.
        for pid in self._cgroup_pids():
            forced.append("container process %d (%s)" % (pid, read_file("/proc/%d/cmdline" % pid).replace("\0", " ")[:80]))
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.time() + 5
        while self._cgroup_pids() and time.time() < deadline:
            time.sleep(0.05)
        for mount in sorted(self._our_mounts(), key=len, reverse=True):
            forced.append("mount " + mount)
            subprocess.run(["umount", "-l", mount], capture_output=True)
        for ns in self._new_netns():
            forced.append("netns " + ns)
            path = os.path.join("/var/run/netns", ns)
            subprocess.run(["umount", path], capture_output=True)
            try:
                os.unlink(path)
            except OSError:
                pass
        for path in self._new_cni_cache():
            if self._is_ours(path):
                forced.append("cni cache " + path)
                os.unlink(path)
        if subprocess.run(["ip", "link", "show", self.bridge], capture_output=True).returncode == 0:
            # The bridge is never removed by CNI DEL (the plugin leaves it for other pods): expected.
            subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)
        left_cgroups = {}
        for path in self._our_cgroups():
            for root, dirs, _ in sorted(os.walk(path, topdown=False), key=lambda t: -len(t[0])):
                # <parent>/burstable/pod<uid> are kubelet's to remove (we play kubelet); anything
                # deeper is a container cgroup the runtime (runc or a shim) should have removed.
                if root[len(path):].count("/") > 2:
                    left_cgroups.setdefault(root[len(path):], []).append(path.split("/")[-2])
                try:
                    os.rmdir(root)
                except OSError as e:
                    forced.append("cgroup %s: %s" % (root, e))
        for path in self.shim_sockets_left(self.sandbox_ids):
            forced.append("shim socket " + path)  # its shim was killed above, before it could unlink
            os.unlink(path)
        for path in self.host_dirs_created:
            if os.path.isdir(path) and not os.listdir(path):
                if path == "/var/run/netns":
                    subprocess.run(["umount", path], capture_output=True)  # iproute2 may bind it
                os.rmdir(path)
        forced += ["container cgroup %s%s (%s)" % (self.cgroup_parent, rel, ",".join(ctrls))
                   for rel, ctrls in sorted(left_cgroups.items())]
        self.ip_forward_restored = self.ip_forward.release()
        shutil.rmtree(self.dir, ignore_errors=True)
        return forced

    def residue(self, keep_pids=()):
        """What pods left behind while containerd still runs (after all pods were removed): shim and
        container processes, rootfs mounts, pod netns, container cgroups. Must be empty."""
        left = ["process %d (%s)" % (p, read_file("/proc/%d/cmdline" % p).replace("\0", " ")[:100])
                for p in self._our_processes() if not (self.proc and p == self.proc.pid) and p not in keep_pids]
        left += ["mount " + m for m in self._our_mounts()]
        left += ["netns " + n for n in self._new_netns()]
        for path in self._our_cgroups():
            for root, _, _ in os.walk(path):
                if root[len(path):].count("/") > 2:
                    left.append("container cgroup " + root)
        return left

    def shim_sockets_left(self, sandbox_ids):
        """containerd 1.6 shims (runc-v2) listen on /run/containerd/s/<sha256(address/ns/group id)>,
        outside our dir; the shim removes it when it exits. The ones of our pods that still exist."""
        left = []
        for sandbox_id in sandbox_ids:
            key = os.path.join(self.socket, "k8s.io", sandbox_id)
            path = "/run/containerd/s/" + hashlib.sha256(key.encode()).hexdigest()
            if os.path.exists(path):
                left.append(path)
        return left

    def check_clean(self):
        """What is still left on the host after teardown (must be empty)."""
        left = []
        left += ["process %d" % p for p in self._our_processes()]
        left += ["mount " + m for m in self._our_mounts()]
        left += ["netns " + n for n in self._new_netns()]
        left += ["cni cache " + p for p in self._new_cni_cache() if self._is_ours(p)]
        left += ["cgroup " + c for c in self._our_cgroups()]
        if subprocess.run(["ip", "link", "show", self.bridge], capture_output=True).returncode == 0:
            left.append("bridge " + self.bridge)
        if self.ip_forward_restored is not None and \
                read_file(IpForward.SYSCTL).strip() != self.ip_forward_restored:
            left.append("ip_forward not restored to %s" % self.ip_forward_restored)
        if os.path.exists(self.dir):
            left.append("dir " + self.dir)
        return left
