// Cgroup metrics in containerd's cgroups Metrics protobufs (v1 and v2), as the runc shim reports them:
// `kubectl top`, HPA and `ctr task metrics` decode exactly these two type URLs.
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <sstream>

#include "metrics_v1.pb.h"
#include "metrics_v2.pb.h"
#include "shim/cgroups.h"

namespace wasipool::shim {

namespace {

// A single number; "max" (unlimited) reads as `max_value`.
uint64_t read_u64(const std::string& path, uint64_t max_value = 0) {
  std::string text;
  if (!read_small_file(path, &text)) return 0;
  if (text.compare(0, 3, "max") == 0) return max_value;
  return std::strtoull(text.c_str(), nullptr, 10);
}

// "key value" lines (memory.stat, cpu.stat, cpuacct.stat, memory.events).
std::map<std::string, uint64_t> read_keyed(const std::string& path) {
  std::map<std::string, uint64_t> out;
  std::string text;
  if (!read_small_file(path, &text)) return out;
  std::stringstream ss(text);
  std::string key;
  uint64_t value;
  while (ss >> key >> value) out[key] = value;
  return out;
}

void fill_entry(const std::string& prefix, io::containerd::cgroups::v1::MemoryEntry* e) {
  e->set_usage(read_u64(prefix + "usage_in_bytes"));
  e->set_limit(read_u64(prefix + "limit_in_bytes"));
  e->set_max(read_u64(prefix + "max_usage_in_bytes"));
  e->set_failcnt(read_u64(prefix + "failcnt"));
}

void stats_v1_memory(const std::string& dir, io::containerd::cgroups::v1::Metrics* m) {
  auto* mem = m->mutable_memory();
  auto s = read_keyed(dir + "/memory.stat");
  auto g = [&](const char* k) { auto it = s.find(k); return it == s.end() ? uint64_t{0} : it->second; };
  mem->set_cache(g("cache"));
  mem->set_rss(g("rss"));
  mem->set_rss_huge(g("rss_huge"));
  mem->set_mapped_file(g("mapped_file"));
  mem->set_dirty(g("dirty"));
  mem->set_writeback(g("writeback"));
  mem->set_pg_pg_in(g("pgpgin"));
  mem->set_pg_pg_out(g("pgpgout"));
  mem->set_pg_fault(g("pgfault"));
  mem->set_pg_maj_fault(g("pgmajfault"));
  mem->set_inactive_anon(g("inactive_anon"));
  mem->set_active_anon(g("active_anon"));
  mem->set_inactive_file(g("inactive_file"));
  mem->set_active_file(g("active_file"));
  mem->set_unevictable(g("unevictable"));
  mem->set_hierarchical_memory_limit(g("hierarchical_memory_limit"));
  mem->set_hierarchical_swap_limit(g("hierarchical_memsw_limit"));
  mem->set_total_cache(g("total_cache"));
  mem->set_total_rss(g("total_rss"));
  mem->set_total_rss_huge(g("total_rss_huge"));
  mem->set_total_mapped_file(g("total_mapped_file"));
  mem->set_total_dirty(g("total_dirty"));
  mem->set_total_writeback(g("total_writeback"));
  mem->set_total_pg_pg_in(g("total_pgpgin"));
  mem->set_total_pg_pg_out(g("total_pgpgout"));
  mem->set_total_pg_fault(g("total_pgfault"));
  mem->set_total_pg_maj_fault(g("total_pgmajfault"));
  mem->set_total_inactive_anon(g("total_inactive_anon"));
  mem->set_total_active_anon(g("total_active_anon"));
  mem->set_total_inactive_file(g("total_inactive_file"));
  mem->set_total_active_file(g("total_active_file"));
  mem->set_total_unevictable(g("total_unevictable"));
  fill_entry(dir + "/memory.", mem->mutable_usage());
  if (::access((dir + "/memory.memsw.usage_in_bytes").c_str(), F_OK) == 0)
    fill_entry(dir + "/memory.memsw.", mem->mutable_swap());
  if (::access((dir + "/memory.kmem.usage_in_bytes").c_str(), F_OK) == 0) {
    fill_entry(dir + "/memory.kmem.", mem->mutable_kernel());
    fill_entry(dir + "/memory.kmem.tcp.", mem->mutable_kernel_tcp());
  }
  auto oom = read_keyed(dir + "/memory.oom_control");
  auto* oc = m->mutable_memory_oom_control();
  oc->set_oom_kill_disable(oom["oom_kill_disable"]);
  oc->set_under_oom(oom["under_oom"]);
  oc->set_oom_kill(oom["oom_kill"]);
}

void stats_v1_cpu(const std::string& cpu_dir, const std::string& acct_dir, io::containerd::cgroups::v1::Metrics* m) {
  auto* cpu = m->mutable_cpu();
  if (!acct_dir.empty()) {
    auto* u = cpu->mutable_usage();
    u->set_total(read_u64(acct_dir + "/cpuacct.usage"));
    std::string per;
    if (read_small_file(acct_dir + "/cpuacct.usage_percpu", &per)) {
      std::stringstream ss(per);
      uint64_t v;
      while (ss >> v) u->add_per_cpu(v);
    }
    // cpuacct.stat counts USER_HZ ticks; Metrics wants nanoseconds.
    auto st = read_keyed(acct_dir + "/cpuacct.stat");
    long hz = ::sysconf(_SC_CLK_TCK);
    uint64_t ns_per_tick = hz > 0 ? 1000000000ull / static_cast<uint64_t>(hz) : 10000000ull;
    u->set_user(st["user"] * ns_per_tick);
    u->set_kernel(st["system"] * ns_per_tick);
  }
  if (!cpu_dir.empty()) {
    auto st = read_keyed(cpu_dir + "/cpu.stat");
    auto* t = cpu->mutable_throttling();
    t->set_periods(st["nr_periods"]);
    t->set_throttled_periods(st["nr_throttled"]);
    t->set_throttled_time(st["throttled_time"]);
  }
}

std::string stats_v2(const std::string& dir, std::string* value) {
  io::containerd::cgroups::v2::Metrics m;
  auto* pids = m.mutable_pids();
  pids->set_current(read_u64(dir + "/pids.current"));
  pids->set_limit(read_u64(dir + "/pids.max", 0));
  auto cs = read_keyed(dir + "/cpu.stat");
  auto* cpu = m.mutable_cpu();
  cpu->set_usage_usec(cs["usage_usec"]);
  cpu->set_user_usec(cs["user_usec"]);
  cpu->set_system_usec(cs["system_usec"]);
  cpu->set_nr_periods(cs["nr_periods"]);
  cpu->set_nr_throttled(cs["nr_throttled"]);
  cpu->set_throttled_usec(cs["throttled_usec"]);
  auto ms = read_keyed(dir + "/memory.stat");
  auto* mem = m.mutable_memory();
  mem->set_anon(ms["anon"]);
  mem->set_file(ms["file"]);
  mem->set_kernel_stack(ms["kernel_stack"]);
  mem->set_slab(ms["slab"]);
  mem->set_sock(ms["sock"]);
  mem->set_shmem(ms["shmem"]);
  mem->set_file_mapped(ms["file_mapped"]);
  mem->set_file_dirty(ms["file_dirty"]);
  mem->set_file_writeback(ms["file_writeback"]);
  mem->set_anon_thp(ms["anon_thp"]);
  mem->set_inactive_anon(ms["inactive_anon"]);
  mem->set_active_anon(ms["active_anon"]);
  mem->set_inactive_file(ms["inactive_file"]);
  mem->set_active_file(ms["active_file"]);
  mem->set_unevictable(ms["unevictable"]);
  mem->set_slab_reclaimable(ms["slab_reclaimable"]);
  mem->set_slab_unreclaimable(ms["slab_unreclaimable"]);
  mem->set_pgfault(ms["pgfault"]);
  mem->set_pgmajfault(ms["pgmajfault"]);
  mem->set_workingset_refault(ms["workingset_refault"]);
  mem->set_workingset_activate(ms["workingset_activate"]);
  mem->set_workingset_nodereclaim(ms["workingset_nodereclaim"]);
  mem->set_pgrefill(ms["pgrefill"]);
  mem->set_pgscan(ms["pgscan"]);
  mem->set_pgsteal(ms["pgsteal"]);
  mem->set_pgactivate(ms["pgactivate"]);
  mem->set_pgdeactivate(ms["pgdeactivate"]);
  mem->set_pglazyfree(ms["pglazyfree"]);
  mem->set_pglazyfreed(ms["pglazyfreed"]);
  mem->set_thp_fault_alloc(ms["thp_fault_alloc"]);
  mem->set_thp_collapse_alloc(ms["thp_collapse_alloc"]);
  // "max" = unlimited: containerd reports math.MaxUint64.
  mem->set_usage(read_u64(dir + "/memory.current"));
  mem->set_usage_limit(read_u64(dir + "/memory.max", UINT64_MAX));
  mem->set_swap_usage(read_u64(dir + "/memory.swap.current"));
  mem->set_swap_limit(read_u64(dir + "/memory.swap.max", UINT64_MAX));
  mem->set_max_usage(read_u64(dir + "/memory.peak"));
  auto ev = read_keyed(dir + "/memory.events");
  auto* e = m.mutable_memory_events();
  e->set_low(ev["low"]);
  e->set_high(ev["high"]);
  e->set_max(ev["max"]);
  e->set_oom(ev["oom"]);
  e->set_oom_kill(ev["oom_kill"]);
  if (!m.SerializeToString(value)) return "cannot serialize io.containerd.cgroups.v2.Metrics";
  return "";
}

}  // namespace

std::string Cgroup::stats(std::string* type_url, std::string* value) const {
  if (!valid() || !exists()) return "cgroup " + rel_ + " does not exist";
  if (v2_) {
    *type_url = "io.containerd.cgroups.v2.Metrics";
    return stats_v2(dir_of(""), value);
  }
  io::containerd::cgroups::v1::Metrics m;
  std::string pids = dir_of("pids");
  if (!pids.empty()) {
    m.mutable_pids()->set_current(read_u64(pids + "/pids.current"));
    m.mutable_pids()->set_limit(read_u64(pids + "/pids.max", 0));
  }
  std::string cpu = dir_of("cpu"), acct = dir_of("cpuacct");
  if (!cpu.empty() || !acct.empty()) stats_v1_cpu(cpu, acct, &m);
  std::string mem = dir_of("memory");
  if (!mem.empty()) stats_v1_memory(mem, &m);
  *type_url = "io.containerd.cgroups.v1.Metrics";
  if (!m.SerializeToString(value)) return "cannot serialize io.containerd.cgroups.v1.Metrics";
  return "";
}

}  // namespace wasipool::shim
