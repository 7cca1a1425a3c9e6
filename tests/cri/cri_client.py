"""CRI v1 client over containerd's gRPC socket (owner: cri).

Uses grpc's generic channel.unary_unary with the protobuf messages protoc generated from our
cri.proto (tests/cri/CMakeLists.txt runs `protoc --python_out` into the build dir): Debian's
grpc_tools ships protoc 3.5, whose generated service stubs do not load under protobuf 4.21, while the
system protoc 3.21 generates message modules that do. Thread-safe like a grpc channel.
"""
import grpc


def error_text(error):
    """The runtime's own message for a failed CRI call (grpc's details()), else str(error)."""
    details = getattr(error, "details", None)
    return details() if callable(details) else str(error)


class CriClient:
    def __init__(self, socket_path, pb2):
        self.pb = pb2
        self.channel = grpc.insecure_channel("unix://" + socket_path)

    def close(self):
        self.channel.close()

    def _call(self, service, method, request, response_type, timeout):
        rpc = self.channel.unary_unary("/runtime.v1.%s/%s" % (service, method),
                                       request_serializer=type(request).SerializeToString,
                                       response_deserializer=response_type.FromString)
        return rpc(request, timeout=timeout)

    def _runtime(self, method, request, timeout=60):
        return self._call("RuntimeService", method, request, getattr(self.pb, method + "Response"), timeout)

    def _image(self, method, request, timeout=120):
        return self._call("ImageService", method, request, getattr(self.pb, method + "Response"), timeout)

    # --- RuntimeService -----------------------------------------------------------------------------
    def version(self):
        return self._runtime("Version", self.pb.VersionRequest(version="v1"), timeout=5)

    def run_pod_sandbox(self, config, runtime_handler):
        return self._runtime("RunPodSandbox", self.pb.RunPodSandboxRequest(
            config=config, runtime_handler=runtime_handler)).pod_sandbox_id

    def stop_pod_sandbox(self, pod_id):
        self._runtime("StopPodSandbox", self.pb.StopPodSandboxRequest(pod_sandbox_id=pod_id))

    def remove_pod_sandbox(self, pod_id):
        self._runtime("RemovePodSandbox", self.pb.RemovePodSandboxRequest(pod_sandbox_id=pod_id))

    def pod_sandbox_status(self, pod_id):
        return self._runtime("PodSandboxStatus", self.pb.PodSandboxStatusRequest(
            pod_sandbox_id=pod_id)).status

    def pod_sandbox_status_verbose(self, pod_id):
        r = self._runtime("PodSandboxStatus", self.pb.PodSandboxStatusRequest(pod_sandbox_id=pod_id, verbose=True))
        return r.status, dict(r.info)

    def create_container(self, pod_id, config, sandbox_config):
        return self._runtime("CreateContainer", self.pb.CreateContainerRequest(
            pod_sandbox_id=pod_id, config=config, sandbox_config=sandbox_config)).container_id

    def start_container(self, container_id):
        self._runtime("StartContainer", self.pb.StartContainerRequest(container_id=container_id))

    def stop_container(self, container_id, timeout):
        # kubelet's own deadline for the call is the grace period plus a margin.
        self._runtime("StopContainer", self.pb.StopContainerRequest(
            container_id=container_id, timeout=timeout), timeout=timeout + 30)

    def remove_container(self, container_id):
        self._runtime("RemoveContainer", self.pb.RemoveContainerRequest(container_id=container_id))

    def container_status(self, container_id):
        return self._runtime("ContainerStatus", self.pb.ContainerStatusRequest(
            container_id=container_id)).status

    def container_stats(self, container_id):
        return self._runtime("ContainerStats", self.pb.ContainerStatsRequest(
            container_id=container_id)).stats

    # --- ImageService -------------------------------------------------------------------------------
    def pull_image(self, image, sandbox_config=None):
        request = self.pb.PullImageRequest(image=self.pb.ImageSpec(image=image))
        if sandbox_config is not None:
            request.sandbox_config.CopyFrom(sandbox_config)
        return self._image("PullImage", request).image_ref

    def list_images(self):
        return list(self._image("ListImages", self.pb.ListImagesRequest()).images)
