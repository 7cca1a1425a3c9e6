// ttrpc_forward_event ADDRESS NAMESPACE CONTAINER_ID — sends one /tasks/oom event to containerd's
// Events/Forward over ttrpc with our Client, exactly as a 1.6 shim's publisher does (metadata
// containerd-namespace-ttrpc, bare type URL, ~5 s timeout), with the shim's own event messages
// (proto/events.proto, proto/events_ttrpc.proto). Exit 0 when containerd answers OK.
#include <chrono>
#include <cstdio>

#include "events.pb.h"
#include "events_ttrpc.pb.h"
#include "shim/ttrpc/ttrpc.h"

int main(int argc, char** argv) {
  using namespace wasipool;
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s ADDRESS NAMESPACE CONTAINER_ID\n", argv[0]);
    return 2;
  }
  std::string err;
  auto client = ttrpc::Client::connect(argv[1], &err);
  if (!client) {
    std::fprintf(stderr, "ttrpc_forward_event: %s\n", err.c_str());
    return 1;
  }
  containerd::events::TaskOOM oom;
  oom.set_container_id(argv[3]);
  containerd::services::events::ttrpc::v1::ForwardRequest req;
  auto* env = req.mutable_envelope();
  auto now = std::chrono::system_clock::now().time_since_epoch();
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
  env->mutable_timestamp()->set_seconds(ns / 1000000000);
  env->mutable_timestamp()->set_nanos(int32_t(ns % 1000000000));
  env->set_namespace_(argv[2]);
  env->set_topic("/tasks/oom");
  env->mutable_event()->set_type_url("containerd.events.TaskOOM");  // bare name: typeurl v1.0.2
  env->mutable_event()->set_value(oom.SerializeAsString());
  std::string out;
  ttrpc::Status st = client->call("containerd.services.events.ttrpc.v1.Events", "Forward",
                                  req.SerializeAsString(), &out, 5'000'000'000,
                                  {{"containerd-namespace-ttrpc", argv[2]}});
  if (!st.ok()) {
    std::fprintf(stderr, "ttrpc_forward_event: Forward: code %d: %s\n", int(st.code), st.message.c_str());
    return 1;
  }
  std::printf("forwarded /tasks/oom for %s\n", argv[3]);
  return 0;
}
