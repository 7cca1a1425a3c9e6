"""Minimal OCI image packer for the kubelet-view tests (owner: cri).

Writes an OCI image layout tar (oci-layout, index.json, blobs/sha256/...) -- the same container format
`wasipool image build` emits -- for the images the tests need that are not wasm apps: the pod sandbox
(pause) image and a busybox httpd image. Layers are gzip'd tars with fixed mtimes and owners so the
same inputs always give the same digests (the registry then dedups across runs).
Single-threaded; pure functions of their inputs apart from the output file.
"""
import gzip
import hashlib
import io
import json
import tarfile

MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"


def sha256_digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layer_from_files(files):
    """files: list of (path_in_image, bytes, mode). Parent directories are added. Returns
    (gzip_blob, diff_id)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        seen_dirs = set()
        for path, data, mode in files:
            parts = path.strip("/").split("/")
            for i in range(1, len(parts)):
                d = "/".join(parts[:i])
                if d not in seen_dirs:
                    seen_dirs.add(d)
                    info = tarfile.TarInfo(d)
                    info.type = tarfile.DIRTYPE
                    info.mode = 0o755
                    tar.addfile(info)
            info = tarfile.TarInfo(path.strip("/"))
            info.size = len(data)
            info.mode = mode
            tar.addfile(info, io.BytesIO(data))
    uncompressed = raw.getvalue()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as f:
        f.write(uncompressed)
    return gz.getvalue(), sha256_digest(uncompressed)


def image_blobs(files, entrypoint, cmd=None, os_name="linux", arch="amd64", env=None,
                config_media_type=MEDIA_CONFIG):
    """Returns (manifest_bytes, blobs dict digest->bytes) for a one-layer image."""
    layer, diff_id = layer_from_files(files)
    config = {
        "architecture": arch,
        "os": os_name,
        "config": {"Entrypoint": entrypoint, "Cmd": cmd or [], "Env": env or ["PATH=/bin:/"],
                   "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
    }
    config_bytes = json.dumps(config, sort_keys=True).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": MEDIA_MANIFEST,
        "config": {"mediaType": config_media_type, "digest": sha256_digest(config_bytes),
                   "size": len(config_bytes)},
        "layers": [{"mediaType": MEDIA_LAYER_GZIP, "digest": sha256_digest(layer), "size": len(layer)}],
    }
    manifest_bytes = json.dumps(manifest, sort_keys=True).encode()
    blobs = {sha256_digest(config_bytes): config_bytes, sha256_digest(layer): layer,
             sha256_digest(manifest_bytes): manifest_bytes}
    return manifest_bytes, blobs


def write_layout_tar(path, top_media_type, top_bytes, blobs, ref_name, platform=None):
    """Writes an OCI layout tar whose index.json names one top-level manifest or index."""
    top_desc = {"mediaType": top_media_type, "digest": sha256_digest(top_bytes), "size": len(top_bytes),
                "annotations": {"org.opencontainers.image.ref.name": ref_name}}
    if platform:
        top_desc["platform"] = platform
    index = {"schemaVersion": 2, "manifests": [top_desc]}
    all_blobs = dict(blobs)
    all_blobs[sha256_digest(top_bytes)] = top_bytes
    with tarfile.open(path, "w") as tar:
        def add(name, data):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
        add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add("index.json", json.dumps(index).encode())
        for digest in sorted(all_blobs):
            add("blobs/sha256/" + digest.split(":", 1)[1], all_blobs[digest])


def write_image_tar(path, files, entrypoint, cmd=None, ref_name="latest"):
    """A linux/amd64 one-layer image as an OCI layout tar."""
    manifest_bytes, blobs = image_blobs(files, entrypoint, cmd)
    write_layout_tar(path, MEDIA_MANIFEST, manifest_bytes, blobs, ref_name,
                     platform={"os": "linux", "architecture": "amd64"})
