// ttrpc_fake_task NAMESPACE ID — serves containerd.task.v2.Task/State with our ttrpc::Server on the
// abstract socket `ctr shim --id ID` dials ("\0/containerd-shim/NS/ID/shim.sock\0", trailing NUL
// included, as Go builds it), so containerd's own Go ttrpc client can be pointed at our server. State
// answers fixed values derived from the request; every other method is left unregistered so the
// UNIMPLEMENTED path is seen through ctr too. Prints "ready" once listening; runs until killed.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "shim/ttrpc/ttrpc.h"
#include "task.pb.h"

int main(int argc, char** argv) {
  using namespace wasipool;
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s NAMESPACE ID\n", argv[0]);
    return 2;
  }
  std::string name = std::string("/containerd-shim/") + argv[1] + "/" + argv[2] + "/shim.sock";
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (name.size() + 2 > sizeof sa.sun_path) {
    std::fprintf(stderr, "name too long\n");
    return 2;
  }
  std::memcpy(sa.sun_path + 1, name.data(), name.size());  // leading NUL: abstract; trailing NUL kept
  socklen_t len = socklen_t(offsetof(sockaddr_un, sun_path) + 1 + name.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&sa), len) != 0 || ::listen(fd, 16) != 0) {
    std::perror("ttrpc_fake_task: listen");
    return 1;
  }
  ttrpc::Server server;
  server.register_typed<containerd::task::v2::StateRequest, containerd::task::v2::StateResponse>(
      "containerd.task.v2.Task", "State",
      [](const ttrpc::CallInfo&, const containerd::task::v2::StateRequest& req,
         containerd::task::v2::StateResponse* resp) {
        resp->set_id(req.id());
        resp->set_bundle("/bundles/" + req.id());
        resp->set_pid(4242);
        resp->set_status(containerd::v1::types::RUNNING);
        resp->set_stdout("/fifo/" + req.id() + "-stdout");
        return ttrpc::Status::Ok();
      });
  std::printf("ready\n");
  std::fflush(stdout);
  return server.serve(fd);
}
