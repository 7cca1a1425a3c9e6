"""kubelet's side of a pod's life, as CRI calls (owner: cri).

Builds the PodSandboxConfig and ContainerConfig messages the way kubelet (cgroupfs driver, cgroup v1)
builds them for the seed's pods -- resources converted with kubelet's formulas, cgroup_parent, log
directory and per-container log path, DNS, /etc/hosts and termination-log bind mounts, kubelet's labels
-- and drives PullImage -> RunPodSandbox -> CreateContainer -> StartContainer -> ... -> RemovePodSandbox.
Single-threaded per Pod object.
"""
import json
import os
import re
import time
import urllib.error
import urllib.request
import uuid

# kubelet pkg/kubelet/cm/helpers_linux.go constants.
MIN_SHARES = 2
MAX_SHARES = 262144
SHARES_PER_CPU = 1024
QUOTA_PERIOD_US = 100000
MIN_QUOTA_US = 1000
GUARANTEED_OOM_SCORE_ADJ = -997
CGROUP_ROOT = "/sys/fs/cgroup"

CRI_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d) (stdout|stderr) [FP] ")


def milli_cpu_to_shares(milli):
    if milli == 0:
        return MIN_SHARES
    return max(MIN_SHARES, min(MAX_SHARES, milli * SHARES_PER_CPU // 1000))


def milli_cpu_to_quota(milli, period=QUOTA_PERIOD_US):
    if milli == 0:
        return 0
    return max(MIN_QUOTA_US, milli * period // 1000)


def memory_capacity():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("/proc/meminfo has no MemTotal")


def burstable_oom_score_adj(memory_request):
    # kubelet pkg/kubelet/qos/policy.go GetContainerOOMScoreAdjust for the Burstable class.
    adj = 1000 - (1000 * memory_request) // memory_capacity()
    if adj < 1000 + GUARANTEED_OOM_SCORE_ADJ:
        return 1000 + GUARANTEED_OOM_SCORE_ADJ
    if adj == 1000:
        return 999
    return adj


class ContainerSpec:
    """One container of a pod spec. Defaults are the seed's (spin-and-slight.md §1)."""

    def __init__(self, name, image, command=("/",), args=(), cpu_request_m=10, cpu_limit_m=500,
                 memory_request=10 * 2**20, memory_limit=128 * 2**20, port=80):
        self.name = name
        self.image = image
        self.command = list(command)
        self.args = list(args)
        self.cpu_request_m = cpu_request_m
        self.cpu_limit_m = cpu_limit_m
        self.memory_request = memory_request
        self.memory_limit = memory_limit
        self.port = port


class Pod:
    def __init__(self, cri, node_dir, cgroup_parent_root, name, handler, containers, namespace="default"):
        self.cri = cri
        self.pb = cri.pb
        self.name = name
        self.namespace = namespace
        self.uid = str(uuid.uuid4())
        self.handler = handler
        self.containers = containers
        self.pod_dir = os.path.join(node_dir, "pods", self.uid)
        # kubelet: /var/log/pods/<namespace>_<name>_<uid>; created by kubelet before RunPodSandbox.
        self.log_directory = os.path.join(node_dir, "log", "%s_%s_%s" % (namespace, name, self.uid))
        # kubelet's cgroupfs pod cgroup for the Burstable QoS class: <root>/burstable/pod<uid>.
        self.cgroup_parent = "%s/burstable/pod%s" % (cgroup_parent_root, self.uid)
        self.pod_id = None
        self.sandbox_id = None
        self.netns = None  # /var/run/netns/cni-<uuid>, from the sandbox's runtime spec
        self.container_ids = {}
        self.ip = None

    # --- messages -----------------------------------------------------------------------------------
    def _resources(self, cpu_request_m, cpu_limit_m, memory_limit, oom_adj=0):
        return self.pb.LinuxContainerResources(
            cpu_shares=milli_cpu_to_shares(cpu_request_m), cpu_quota=milli_cpu_to_quota(cpu_limit_m),
            cpu_period=QUOTA_PERIOD_US, memory_limit_in_bytes=memory_limit, oom_score_adj=oom_adj)

    def sandbox_config(self):
        pb = self.pb
        labels = {"io.kubernetes.pod.name": self.name, "io.kubernetes.pod.namespace": self.namespace,
                  "io.kubernetes.pod.uid": self.uid, "app": self.name}
        config = pb.PodSandboxConfig(
            metadata=pb.PodSandboxMetadata(name=self.name, uid=self.uid, namespace=self.namespace, attempt=0),
            hostname=self.name,
            log_directory=self.log_directory,
            dns_config=pb.DNSConfig(servers=["10.96.0.10"],
                                    searches=["%s.svc.cluster.local" % self.namespace, "svc.cluster.local",
                                              "cluster.local"],
                                    options=["ndots:5"]),
            labels=labels,
            annotations={"kubernetes.io/config.source": "api", "kubernetes.io/config.seen": "wasipool-cri-test"},
        )
        config.linux.cgroup_parent = self.cgroup_parent
        config.linux.security_context.namespace_options.network = pb.POD
        config.linux.security_context.namespace_options.pid = pb.CONTAINER
        config.linux.security_context.namespace_options.ipc = pb.POD
        # kubelet >= 1.24 passes the pod's summed resources to the sandbox (for runtimes sizing the pod).
        config.linux.resources.CopyFrom(self._resources(
            sum(c.cpu_request_m for c in self.containers), sum(c.cpu_limit_m for c in self.containers),
            sum(c.memory_limit for c in self.containers)))
        return config

    def container_config(self, spec):
        pb = self.pb
        os.makedirs(os.path.join(self.log_directory, spec.name), exist_ok=True)
        termination_log = os.path.join(self.pod_dir, "containers", spec.name, "termination-log")
        os.makedirs(os.path.dirname(termination_log), exist_ok=True)
        open(termination_log, "w").close()
        config = pb.ContainerConfig(
            metadata=pb.ContainerMetadata(name=spec.name, attempt=0),
            image=pb.ImageSpec(image=spec.image),
            command=spec.command,
            args=spec.args,
            envs=[pb.KeyValue(key="KUBERNETES_SERVICE_HOST", value="10.96.0.1"),
                  pb.KeyValue(key="KUBERNETES_SERVICE_PORT", value="443")],
            mounts=[pb.Mount(container_path="/etc/hosts", host_path=self.etc_hosts),
                    pb.Mount(container_path="/dev/termination-log", host_path=termination_log)],
            labels={"io.kubernetes.container.name": spec.name, "io.kubernetes.pod.name": self.name,
                    "io.kubernetes.pod.namespace": self.namespace, "io.kubernetes.pod.uid": self.uid},
            annotations={"io.kubernetes.container.restartCount": "0",
                         "io.kubernetes.container.terminationMessagePath": "/dev/termination-log",
                         "io.kubernetes.pod.terminationGracePeriod": "30"},
            log_path=os.path.join(spec.name, "0.log"),
        )
        config.linux.resources.CopyFrom(self._resources(
            spec.cpu_request_m, spec.cpu_limit_m, spec.memory_limit,
            burstable_oom_score_adj(spec.memory_request)))
        config.linux.security_context.namespace_options.network = pb.POD
        config.linux.security_context.namespace_options.pid = pb.CONTAINER
        config.linux.security_context.namespace_options.ipc = pb.POD
        return config

    # --- lifecycle ----------------------------------------------------------------------------------
    def pull(self):
        sandbox = self.sandbox_config()
        return {spec.image: self.cri.pull_image(spec.image, sandbox) for spec in self.containers}

    def run(self):
        """RunPodSandbox + (CreateContainer + StartContainer) for every container, in kubelet's order."""
        os.makedirs(self.log_directory, exist_ok=True)
        os.makedirs(self.pod_dir, exist_ok=True)
        # kubelet writes the pod's /etc/hosts and bind-mounts it into each container.
        self.etc_hosts = os.path.join(self.pod_dir, "etc-hosts")
        sandbox = self.sandbox_config()
        t0 = time.monotonic()
        self.pod_id = self.cri.run_pod_sandbox(sandbox, self.handler)
        self.timings = {"RunPodSandbox": time.monotonic() - t0}
        self.sandbox_id = self.pod_id  # kept after removal, for the teardown checks
        status, info = self.cri.pod_sandbox_status_verbose(self.pod_id)
        self.ip = status.network.ip
        self.netns = netns_of(info)
        with open(self.etc_hosts, "w") as f:
            f.write("127.0.0.1\tlocalhost\n%s\t%s\n" % (self.ip, self.name))
        for spec in self.containers:
            cid = self.cri.create_container(self.pod_id, self.container_config(spec), sandbox)
            self.container_ids[spec.name] = cid
            self.cri.start_container(cid)
        self.timings["Create+Start"] = time.monotonic() - t0 - self.timings["RunPodSandbox"]
        return self.ip

    def get(self, path="/hello", port=80, deadline_s=30):
        """HTTP GET from the host to the pod IP, retried until the server answers. Returns
        (status, body bytes, seconds until the answer)."""
        if not self.ip:
            raise AssertionError("pod %s has no IP in PodSandboxStatus.network.ip" % self.name)
        url = "http://%s:%d%s" % (self.ip, port, path)
        start = time.monotonic()
        last = None
        while time.monotonic() - start < deadline_s:
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    return r.status, r.read(), time.monotonic() - start
            except urllib.error.HTTPError as e:
                return e.code, e.read(), time.monotonic() - start
            except (urllib.error.URLError, ConnectionError, OSError) as e:
                last = e
                time.sleep(0.01)
        raise AssertionError("GET %s: no answer within %d s (last error: %s)" % (url, deadline_s, last))

    def log_file(self, container_name):
        return os.path.join(self.log_directory, container_name, "0.log")

    def stop(self, grace_s=10):
        """StopContainer(timeout=grace) for each container, then StopPodSandbox. Returns the
        ContainerStatus of each container after its stop."""
        statuses = {}
        for name, cid in self.container_ids.items():
            self.cri.stop_container(cid, grace_s)
            statuses[name] = self.cri.container_status(cid)
        if self.pod_id:
            self.cri.stop_pod_sandbox(self.pod_id)
        return statuses

    def remove(self):
        for cid in self.container_ids.values():
            self.cri.remove_container(cid)
        self.container_ids = {}
        if self.pod_id:
            self.cri.remove_pod_sandbox(self.pod_id)
            self.pod_id = None
        # kubelet removes the pod's cgroup once the sandbox is gone; a container cgroup still inside
        # it (a runtime that did not clean up) makes rmdir fail with EBUSY, which we report.
        for controller in sorted(os.listdir(CGROUP_ROOT)):
            path = os.path.join(CGROUP_ROOT, controller, self.cgroup_parent.lstrip("/"))
            if os.path.isdir(path) and not os.path.islink(os.path.join(CGROUP_ROOT, controller)):
                try:
                    os.rmdir(path)
                except OSError as e:
                    raise AssertionError("pod cgroup %s not removable after RemovePodSandbox: %s (left: %s)"
                                         % (path, e.strerror, os.listdir(path)))


def netns_of(info):
    """The pod's network namespace path from PodSandboxStatus(verbose) info (containerd puts the
    sandbox's runtime spec there), or None."""
    try:
        spec = json.loads(info.get("info", "{}")).get("runtimeSpec", {})
    except ValueError:
        return None
    for ns in spec.get("linux", {}).get("namespaces", []):
        if ns.get("type") == "network" and ns.get("path"):
            return ns["path"]
    return None


def check_log_file(path):
    """The CRI log file exists and every line is in CRI format. Returns the lines' messages."""
    if not os.path.exists(path):
        raise AssertionError("container log file %s does not exist" % path)
    messages = []
    with open(path, errors="replace") as f:
        for number, line in enumerate(f, 1):
            if not CRI_LOG_LINE.match(line):
                raise AssertionError("%s:%d is not a CRI log line: %r" % (path, number, line[:200]))
            messages.append(line.rstrip("\n").split(" ", 3)[3])
    return messages
