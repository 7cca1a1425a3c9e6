"""The wasm app images of the kubelet-view tests, and the platform experiment (owner: cri).

push_app(): packs the repo's hello apps (examples/) with `wasipool image build` -- what a user runs --
and pushes them to the harness registry. Until that command is built, the same files are packed by
ocipack.py as a linux/amd64 image (the platform the experiment below found to pull through the CRI).
platform_matrix(): pushes the same spin app as several manifest shapes and pulls each through the CRI
exactly as kubelet does, recording which ones containerd accepts. Single-threaded.
"""
import json
import os
import subprocess

import ocipack
from cri_client import error_text

APPS = {
    # handler -> (files: image path -> build-dir path), image name
    "spin": ({"spin.toml": "examples/spin.toml", "hello_wagi.wasm": "examples/hello_wagi.wasm"}, "spin-hello"),
    "slight": ({"slightfile.toml": "examples/slight/hello_slight/slightfile.toml",
                "app.wasm": "examples/slight/hello_slight/app.wasm"},
               "slight-hello"),
}


class ImageError(Exception):
    pass


def app_files(h, handler):
    files, _ = APPS[handler]
    out = []
    for image_path, build_path in files.items():
        path = os.path.join(h.build_dir, build_path)
        if not os.path.exists(path):
            raise ImageError("the %s app file %s is missing (build the examples; for slight, examples/slight "
                             "from the slight team)" % (handler, path))
        with open(path, "rb") as f:
            out.append((image_path, f.read(), 0o644))
    return out


def wasipool_image_build(h, handler, out_tar, platform=None):
    """`wasipool image build APPDIR -t NAME:v1 -o TAR [--platform P]` on a directory holding exactly
    the app's files (what a user packs)."""
    _, name = APPS[handler]
    app_dir = os.path.join(h.node.dir, "app-" + handler)
    os.makedirs(app_dir, exist_ok=True)
    for image_path, data, mode in app_files(h, handler):
        with open(os.path.join(app_dir, image_path), "wb") as f:
            f.write(data)
        os.chmod(os.path.join(app_dir, image_path), mode)
    argv = [h.wasipool, "image", "build", app_dir, "-t", name + ":v1", "-o", out_tar]
    if platform:
        argv += ["--platform", platform]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise ImageError("`%s` failed (exit %d): %s%s" % (" ".join(argv), r.returncode, r.stdout, r.stderr))


def push_app(h, handler):
    key = "app-" + handler
    if key in h.images:
        return h.images[key]
    _, name = APPS[handler]
    tar = os.path.join(h.node.dir, name + ".tar")
    if h.image_build_available():
        wasipool_image_build(h, handler, tar)
    else:
        # Fallback until `wasipool image build` lands: the same files, linux/amd64.
        ocipack.write_image_tar(tar, app_files(h, handler), ["/"])
    h.images[key] = h.push_tar(tar, name)
    return h.images[key]


def platform_matrix(h, handler="spin"):
    """Pushes the spin app as each candidate shape and pulls it through the CRI. Returns
    {variant: outcome}: whether PullImage accepted it and whether a pod then ran it."""
    files = app_files(h, "spin")
    variants = {}
    d = h.node.dir

    def single(name, os_name, arch, config_media_type=ocipack.MEDIA_CONFIG):
        manifest, blobs = ocipack.image_blobs(files, ["/"], os_name=os_name, arch=arch,
                                              config_media_type=config_media_type)
        tar = os.path.join(d, name + ".tar")
        ocipack.write_layout_tar(tar, ocipack.MEDIA_MANIFEST, manifest, blobs, "v1")
        return tar

    variants["wasi/wasm manifest"] = single("p-wasi", "wasi", "wasm")
    variants["wasi/wasm, wasm config type"] = single("p-wasmcfg", "wasi", "wasm",
                                                     "application/vnd.wasm.config.v0+json")
    variants["linux/amd64 manifest"] = single("p-linux", "linux", "amd64")

    # An index naming both a wasi/wasm and a linux/amd64 manifest of the same layer.
    blobs = {}
    entries = []
    for os_name, arch in (("wasi", "wasm"), ("linux", "amd64")):
        manifest, b = ocipack.image_blobs(files, ["/"], os_name=os_name, arch=arch)
        blobs.update(b)
        entries.append({"mediaType": ocipack.MEDIA_MANIFEST, "digest": ocipack.sha256_digest(manifest),
                        "size": len(manifest), "platform": {"os": os_name, "architecture": arch}})
    index = json.dumps({"schemaVersion": 2, "mediaType": ocipack.MEDIA_INDEX, "manifests": entries},
                       sort_keys=True).encode()
    tar = os.path.join(d, "p-index.tar")
    ocipack.write_layout_tar(tar, ocipack.MEDIA_INDEX, index, blobs, "v1")
    variants["index wasi/wasm + linux/amd64"] = tar
    # An index naming only the wasi/wasm manifest.
    wasi_only = json.dumps({"schemaVersion": 2, "mediaType": ocipack.MEDIA_INDEX, "manifests": entries[:1]},
                           sort_keys=True).encode()
    tar = os.path.join(d, "p-index-wasi.tar")
    ocipack.write_layout_tar(tar, ocipack.MEDIA_INDEX, wasi_only, blobs, "v1")
    variants["index wasi/wasm only"] = tar

    if h.image_build_available():
        tar = os.path.join(d, "p-default.tar")
        wasipool_image_build(h, "spin", tar)
        variants["wasipool image build (default)"] = tar
        tar = os.path.join(d, "p-both.tar")
        wasipool_image_build(h, "spin", tar, "both")
        variants["wasipool image build --platform both"] = tar

    results = {}
    for number, (variant, tar) in enumerate(variants.items()):
        try:
            ref = h.push_tar(tar, "platform%d" % number, "v1")
        except Exception as e:
            results[variant] = "registry refused: %s" % e
            continue
        try:
            image_id = h.cri.pull_image(ref)
        except Exception as e:
            results[variant] = "pull rejected: %s" % error_text(e)
            continue
        results[variant] = "pulled %s; %s" % (image_id[:19], try_create(h, handler, ref, number))
    return results


def try_create(h, handler, ref, number):
    """A pull can succeed without the layers being unpacked for this platform: only CreateContainer
    (which prepares the rootfs snapshot from the unpacked layers) and StartContainer tell. Returns a
    one-line outcome."""
    from kubelet import ContainerSpec
    # Under runc the wasm cannot run, but the error names whether the layer was unpacked into the
    # rootfs: exec of the (0644) module gives "permission denied", a missing rootfs file "no such file".
    command = ["/hello_wagi.wasm"] if handler == "" else ["/"]
    pod = h.pod("platform%d" % number, handler, [ContainerSpec("app", ref, command=command)])
    try:
        pod.run()
    except Exception as e:
        outcome = "run failed: %s" % error_text(e)
    else:
        if handler == "":
            outcome = "created and started under runc"
        else:
            try:
                status, body, _ = pod.get("/hello", deadline_s=15)
                outcome = "%s pod answered %d %r" % (handler, status, body[:40])
            except AssertionError as e:
                outcome = "%s pod did not answer: %s" % (handler, e)
    try:
        pod.stop(grace_s=2)
        pod.remove()
        h.pods.remove(pod)
    except Exception as e:
        outcome += " (cleanup: %s)" % e
    return outcome
