#!/usr/bin/python3
"""Pod start to first HTTP answer through containerd's CRI: a spin pod vs a native runc pod (owner: cri).

One node (tests/cri harness), images pulled once beforehand (as on a node where the image is cached).
Then CYCLES pod cycles alternating spin and runc: timed part = RunPodSandbox + CreateContainer +
StartContainer + the first successful GET http://POD_IP/hello from the host; untimed = StopContainer,
StopPodSandbox, RemoveContainer, RemovePodSandbox. Prints per-kind median/p90, the spin/runc ratio,
pods brought up per second, and whether the node was clean after all cycles (no shim or container
processes, mounts, netns or container cgroups left) and after teardown.
Usage: cri_podstart.py --build-dir BUILD [--cycles 50] [--handler spin|slight|runc-baseline]
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "cri"))

from harness import Harness  # noqa: E402
from kubelet import ContainerSpec  # noqa: E402
import wasm_images  # noqa: E402


def one_cycle(h, name, handler, spec):
    pod = h.pod(name, handler, [spec])
    t0 = time.monotonic()
    pod.run()
    status, body, _ = pod.get("/hello")
    t1 = time.monotonic()
    if (status, body) != (200, b"hello"):
        raise AssertionError("%s pod %s: %d %r" % (handler or "runc", name, status, body))
    parts = dict(pod.timings)
    pod.stop(grace_s=10)
    pod.remove()
    h.pods.remove(pod)
    return t1 - t0, time.monotonic() - t0, parts


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build-dir", required=True)
    parser.add_argument("--cycles", type=int, default=50)
    parser.add_argument("--handler", default="spin")
    args = parser.parse_args()
    h = Harness(args.build_dir)
    failed = False
    try:
        if args.handler == "runc-baseline":
            # runc against runc: the noise floor of the measurement, no wasm involved.
            h.start()
            candidate = ("", h.httpd_container("httpd2"))
        else:
            h.start(handlers=("spin", "slight", "wasm"))
            candidate = (args.handler, ContainerSpec("hello-" + args.handler, wasm_images.push_app(h, args.handler)))
        kinds = {args.handler: candidate, "runc": ("", h.httpd_container("httpd"))}
        for kind, (handler, spec) in kinds.items():
            h.cri.pull_image(spec.image)
            one_cycle(h, "warm-" + kind, handler, spec)  # first pod pays one-off costs (page cache)
        up = {kind: [] for kind in kinds}
        full = {kind: [] for kind in kinds}
        parts = {kind: {} for kind in kinds}
        wall0 = time.monotonic()
        for i in range(args.cycles):
            kind = list(kinds)[i % 2]
            handler, spec = kinds[kind]
            t_up, t_full, t_parts = one_cycle(h, "%s-%d" % (kind, i), handler, spec)
            for name, value in t_parts.items():
                parts[kind].setdefault(name, []).append(value)
            up[kind].append(t_up)
            full[kind].append(t_full)
        wall = time.monotonic() - wall0
        print("pod start -> first answer (RunPodSandbox+Create+Start+GET), %d cycles, ms:" % args.cycles)
        for kind in kinds:
            v = up[kind]
            print("  %-6s n=%d median %.1f p90 %.1f min %.1f   full cycle median %.1f" % (
                kind, len(v), 1e3 * statistics.median(v), 1e3 * pct(v, 0.9), 1e3 * min(v),
                1e3 * statistics.median(full[kind])))
            print("         of which " + ", ".join("%s %.1f" % (name, 1e3 * statistics.median(v))
                                          for name, v in parts[kind].items()))
        ratio = statistics.median(up[args.handler]) / statistics.median(up["runc"])
        print("  ratio %s/runc (medians): %.2fx" % (args.handler, ratio))
        for kind in kinds:
            print("  %-6s pods brought up per second (1 / median start): %.2f" % (
                kind, 1 / statistics.median(up[kind])))
        print("  full cycles (up + stop + remove) per second, both kinds: %.2f" % (args.cycles / wall))
        residue = h.residue()
        print("  after %d cycles, left on the node: %s" % (args.cycles, residue or "nothing"))
        failed = bool(residue)
    except Exception as e:
        print("FAIL: %s\n%s" % (e, h.node.log_tail(30)), file=sys.stderr)
        failed = True
    problems = h.stop()
    print("  teardown: %s" % ("clean" if not problems else "; ".join(problems)))
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
