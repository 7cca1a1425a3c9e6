// The pod sandbox ("pause") process of the kubelet-view tests, packed into a local OCI image that
// containerd's CRI plugin uses as sandbox_image. Owner: cri. Single-threaded.
// It holds the pod's namespaces for the pod's lifetime: sleeps until SIGTERM or SIGINT (clean exit 0),
// and reaps any orphan re-parented to it (it is PID 1 of the pod when the pid namespace is shared), so
// no zombie outlives its parent in the pod.
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested = 0;

static void on_stop(int sig) {
  (void)sig;
  stop_requested = 1;
}

static void on_child(int sig) {
  (void)sig;
  // Reap every exited child; WNOHANG because several may have exited behind one SIGCHLD.
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(int argc, char** argv) {
  (void)argc;
  (void)argv;
  struct sigaction stop_action;
  memset(&stop_action, 0, sizeof stop_action);
  stop_action.sa_handler = on_stop;
  sigaction(SIGTERM, &stop_action, NULL);
  sigaction(SIGINT, &stop_action, NULL);
  struct sigaction child_action;
  memset(&child_action, 0, sizeof child_action);
  child_action.sa_handler = on_child;
  child_action.sa_flags = SA_NOCLDSTOP | SA_RESTART;
  sigaction(SIGCHLD, &child_action, NULL);
  // Block the stop signals outside sigsuspend so one arriving between the check and the wait is not
  // lost (a plain pause() could then sleep until SIGKILL, past the grace period).
  sigset_t stop_set, wait_set;
  sigemptyset(&stop_set);
  sigaddset(&stop_set, SIGTERM);
  sigaddset(&stop_set, SIGINT);
  sigprocmask(SIG_BLOCK, &stop_set, &wait_set);
  sigdelset(&wait_set, SIGTERM);
  sigdelset(&wait_set, SIGINT);
  while (!stop_requested) sigsuspend(&wait_set);
  fprintf(stderr, "pause: stopped\n");
  return 0;
}
