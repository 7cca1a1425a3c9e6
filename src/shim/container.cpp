// Container: the process side of one task (see container.h). First skeleton so the Task service links;
// the real implementation follows in container*.cpp, cgroups*.cpp, stdio*.cpp, runc*.cpp, reaper*.cpp.
#include "shim/container.h"

namespace wasipool::shim {

ttrpc::Status Container::create(Flavour, const std::string&, const std::string&, const std::string&,
                                const std::vector<MountSpec>&, const StdioSpec&, std::unique_ptr<Container>*) {
  return ttrpc::Status::Error(ttrpc::Code::kUnimplemented, "Container::create: not built yet");
}

ttrpc::Status Container::cleanup_bundle(const std::string&, const std::string&, const std::string&, uint32_t* pid,
                                        ExitInfo* exit) {
  if (pid) *pid = 0;
  if (exit) *exit = ExitInfo{};
  return ttrpc::Status::Ok();
}

void start_process_monitor() {}

}  // namespace wasipool::shim
