"""A real local OCI registry for the kubelet-view tests, and a pusher (owner: cri).

Registry: Debian's docker-registry (distribution 2.8) on 127.0.0.1:<free port> with a private config
and storage under the test's temp dir, so nodes pull images through containerd's CRI exactly as they
would from a remote registry (resolve, manifest/index by tag, blobs by digest).
Pusher: reads an OCI image layout tar (what `wasipool image build` and ocipack.py write) and uploads it
with the registry v2 API -- monolithic blob upload (POST then PUT ?digest=), manifest PUT by digest for
an index's children and by tag for the top. Single-threaded.
"""
import json
import os
import socket
import subprocess
import tarfile
import time
import urllib.error
import urllib.request


MEDIA_INDEX = "application/vnd.oci.image.index.v1+json"


class RegistryError(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Registry:
    def __init__(self, workdir):
        self.dir = os.path.join(workdir, "registry")
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.host = "127.0.0.1:%d" % self.port
        self.proc = None

    def start(self):
        config = os.path.join(self.dir, "config.yml")
        # Loopback only and no auth: the registry is reachable by this test's containerd alone.
        with open(config, "w") as f:
            f.write("version: 0.1\nlog:\n  level: error\n"
                    "storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n"
                    "http:\n  addr: %s\n" % (os.path.join(self.dir, "data"), self.host))
        self.log = open(os.path.join(self.dir, "registry.log"), "wb")
        self.proc = subprocess.Popen(["docker-registry", "serve", config], stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RegistryError("docker-registry exited with %d; log %s:\n%s" % (
                    self.proc.returncode, self.log.name, open(self.log.name).read()[-2000:]))
            try:
                with urllib.request.urlopen("http://%s/v2/" % self.host, timeout=1) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.05)
        raise RegistryError("docker-registry did not answer /v2/ on %s within 20 s" % self.host)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    # --- v2 API -------------------------------------------------------------------------------------
    def _request(self, method, url, data=None, headers=None):
        if not url.startswith("http"):
            url = "http://%s%s" % (self.host, url)
        req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def push_blob(self, repo, digest, data):
        status, _, _ = self._request("HEAD", "/v2/%s/blobs/%s" % (repo, digest))
        if status == 200:
            return
        status, headers, body = self._request("POST", "/v2/%s/blobs/uploads/" % repo)
        if status != 202:
            raise RegistryError("blob upload start for %s: HTTP %d %s" % (repo, status, body[:300]))
        location = headers["Location"]
        sep = "&" if "?" in location else "?"
        status, _, body = self._request("PUT", location + sep + "digest=" + digest, data=data,
                                        headers={"Content-Type": "application/octet-stream"})
        if status != 201:
            raise RegistryError("blob PUT %s to %s: HTTP %d %s" % (digest, repo, status, body[:300]))

    def push_manifest(self, repo, reference, media_type, data):
        status, _, body = self._request("PUT", "/v2/%s/manifests/%s" % (repo, reference), data=data,
                                        headers={"Content-Type": media_type})
        if status != 201:
            raise RegistryError("manifest PUT %s:%s (%s): HTTP %d %s" % (
                repo, reference, media_type, status, body[:500]))

    def push_layout_tar(self, tar_path, repo, tag):
        """Pushes the one top-level entry of the layout's index.json under repo:tag. Returns the
        image reference host/repo:tag."""
        with tarfile.open(tar_path) as tar:
            def read(name):
                member = tar.extractfile(name)
                if member is None:
                    raise RegistryError("%s: %s is not a file" % (tar_path, name))
                return member.read()
            try:
                index = json.loads(read("index.json"))
            except KeyError:
                raise RegistryError("%s: no index.json (not an OCI layout tar)" % tar_path)
            manifests = index.get("manifests") or []
            if not manifests:
                raise RegistryError("%s: index.json names no manifest" % tar_path)

            def blob(digest):
                try:
                    return read("blobs/sha256/" + digest.split(":", 1)[1])
                except KeyError:
                    raise RegistryError("%s: blob %s missing" % (tar_path, digest))

            def push_image_manifest(desc, reference):
                data = blob(desc["digest"])
                manifest = json.loads(data)
                for d in [manifest["config"]] + manifest.get("layers", []):
                    self.push_blob(repo, d["digest"], blob(d["digest"]))
                self.push_manifest(repo, reference, desc.get("mediaType") or manifest.get("mediaType"),
                                   data)

            if len(manifests) > 1:
                # One manifest per platform listed directly in index.json: index.json is itself an
                # OCI image index, so it is pushed as the tag's index once its children are there.
                for child in manifests:
                    push_image_manifest(child, child["digest"])
                top_index = {"schemaVersion": 2, "mediaType": MEDIA_INDEX,
                             "manifests": [{k: v for k, v in m.items() if k != "annotations"}
                                           for m in manifests]}
                self.push_manifest(repo, tag, MEDIA_INDEX, json.dumps(top_index).encode())
                return "%s/%s:%s" % (self.host, repo, tag)
            top = manifests[0]
            media = top.get("mediaType", "")
            if media.endswith("index.v1+json") or media.endswith("manifest.list.v2+json"):
                data = blob(top["digest"])
                for child in json.loads(data).get("manifests", []):
                    push_image_manifest(child, child["digest"])
                self.push_manifest(repo, tag, media, data)
            else:
                push_image_manifest(top, tag)
        return "%s/%s:%s" % (self.host, repo, tag)
