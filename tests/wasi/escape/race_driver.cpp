// race_driver (owner: wasi): the "component swapped for a symlink mid-call" escape test. Runs the
// race.wasm guest through the real `wasipool run` while a host thread keeps atomically exchanging
// sandbox entries with symlinks that lead out (see race.c). Passes when the guest prints exactly
// "escapes: 0", exits 0, and nothing outside the sandbox was created, removed or modified.
//
//   race_driver --wasipool BIN --module race.wasm [--iterations N] [--resolver walk|openat2]
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

std::string g_base;

void die(const std::string& msg) {
  std::fprintf(stderr, "race_driver: %s (%s)\n", msg.c_str(), std::strerror(errno));
  std::exit(2);
}

void write_file(const std::string& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary);
  out << text;
  if (!out) die("cannot write " + p);
}

void mkdir_or_die(const std::string& p) {
  if (::mkdir(p.c_str(), 0755) != 0) die("mkdir " + p);
}

void symlink_or_die(const std::string& target, const std::string& p) {
  if (::symlink(target.c_str(), p.c_str()) != 0) die("symlink " + p);
}

std::set<std::string> list_dir(const std::string& p) {
  std::set<std::string> names;
  if (DIR* d = ::opendir(p.c_str())) {
    while (auto* e = ::readdir(d)) names.insert(e->d_name);
    ::closedir(d);
  }
  return names;
}

struct timespec mtime_of(const std::string& p) {
  struct stat st {};
  ::lstat(p.c_str(), &st);
  return st.st_mtim;
}

bool exchange(int dirfd, const char* a, const char* b) {
  return ::syscall(SYS_renameat2, dirfd, a, dirfd, b, 2 /* RENAME_EXCHANGE */) == 0;
}

void remove_tree(const std::string& p) {
  std::string cmd = "rm -rf '" + p + "'";
  if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "race_driver: could not remove %s\n", p.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  std::string wasipool, module, resolver;
  int iterations = 1500;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--wasipool") wasipool = v;
    else if (k == "--module") module = v;
    else if (k == "--iterations") iterations = std::atoi(v.c_str());
    else if (k == "--resolver") resolver = v;
  }
  if (wasipool.empty() || module.empty()) {
    std::fprintf(stderr, "usage: race_driver --wasipool BIN --module WASM [--iterations N] [--resolver R]\n");
    return 2;
  }
  char tmpl[] = "/tmp/wasipool-race-XXXXXX";
  if (!::mkdtemp(tmpl)) die("mkdtemp");
  g_base = tmpl;
  const std::string sb = g_base + "/sandbox", out = g_base + "/outdir";
  mkdir_or_die(sb);
  mkdir_or_die(out);
  write_file(g_base + "/secret.txt", "OUTSIDE");
  write_file(out + "/secret.txt", "OUTSIDE");
  write_file(out + "/OUTSIDE_MARKER", "x");
  mkdir_or_die(out + "/e");
  write_file(out + "/e/secret.txt", "OUTSIDE");
  mkdir_or_die(sb + "/d");
  mkdir_or_die(sb + "/d/e");
  write_file(sb + "/d/secret.txt", "inside");
  write_file(sb + "/d/e/secret.txt", "inside");
  write_file(sb + "/f", "inside");
  symlink_or_die("../outdir", sb + "/d_fake");
  symlink_or_die(out, sb + "/d_abs");
  symlink_or_die("../secret.txt", sb + "/f_fake");
  symlink_or_die(g_base + "/secret.txt", sb + "/f_abs");
  symlink_or_die("../created_outside.txt", sb + "/f_dangling");
  const auto outside_before = list_dir(out);
  const auto base_before = list_dir(g_base);
  const auto secret_mtime = mtime_of(g_base + "/secret.txt");
  const auto out_secret_mtime = mtime_of(out + "/secret.txt");

  int sbfd = ::open(sb.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (sbfd < 0) die("open sandbox");
  std::atomic<bool> stop{false};
  std::atomic<long> swaps{0};
  std::thread flipper([&] {
    const char* dirs[] = {"d_fake", "d_abs"};
    const char* files[] = {"f_fake", "f_abs", "f_dangling"};
    for (unsigned i = 0; !stop.load(std::memory_order_relaxed); ++i) {
      // Each exchange is atomic; doing it twice restores the real entry. Pausing a varying few
      // microseconds in both states lets the guest's calls land on either side of each swap, and
      // now and then in the middle of one of its resolutions.
      const char* dn = dirs[i % 2];
      const char* fn = files[i % 3];
      struct timespec pause = {0, static_cast<long>(1000 * (i % 7))};
      if (exchange(sbfd, "d", dn)) ++swaps;
      if (exchange(sbfd, "f", fn)) ++swaps;
      ::nanosleep(&pause, nullptr);
      exchange(sbfd, "d", dn);
      exchange(sbfd, "f", fn);
      ::nanosleep(&pause, nullptr);
    }
  });

  // Let the flipper get going before the guest starts, so a loaded machine cannot turn this into
  // a test without a race.
  for (int waited = 0; swaps.load() < 10 && waited < 5000; ++waited) ::usleep(1000);
  const long swaps_before = swaps.load();

  int pipefd[2];
  if (::pipe(pipefd) != 0) die("pipe");
  pid_t pid = ::fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    ::dup2(pipefd[1], 1);
    ::close(pipefd[0]);
    ::close(pipefd[1]);
    if (!resolver.empty()) ::setenv("WASIPOOL_WASI_RESOLVE", resolver.c_str(), 1);
    std::string dir = sb + "::/sandbox", n = std::to_string(iterations);
    std::vector<char*> args = {const_cast<char*>(wasipool.c_str()), const_cast<char*>("run"),
                               const_cast<char*>("--dir"), dir.data(), module.data(), n.data(),
                               nullptr};
    ::execv(args[0], args.data());
    std::perror("execv");
    ::_exit(127);
  }
  ::close(pipefd[1]);
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = ::read(pipefd[0], buf, sizeof buf)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    got.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  stop = true;
  flipper.join();
  ::close(sbfd);

  std::vector<std::string> failures;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    failures.push_back("exit status " + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1));
  if (got != "escapes: 0\n") failures.push_back("stdout was [" + got + "], expected [escapes: 0\\n]");
  if (list_dir(out) != outside_before) failures.push_back("outdir/ changed (something was created or removed)");
  if (list_dir(g_base) != base_before) failures.push_back("the directory around the sandbox changed");
  auto same = [](struct timespec a, struct timespec b) { return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec; };
  if (!same(mtime_of(g_base + "/secret.txt"), secret_mtime) ||
      !same(mtime_of(out + "/secret.txt"), out_secret_mtime))
    failures.push_back("an outside file's mtime changed");
  if (swaps.load() - swaps_before < 10)
    failures.push_back("the flipper barely ran while the guest did (" +
                       std::to_string(swaps.load() - swaps_before) + " swaps)");
  std::printf("race: %d iterations, %ld swaps, resolver %s\n", iterations, swaps.load(),
              resolver.empty() ? "auto" : resolver.c_str());
  remove_tree(g_base);
  for (const auto& f : failures) std::printf("FAIL: %s\n", f.c_str());
  return failures.empty() ? 0 : 1;
}
