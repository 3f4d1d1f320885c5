#!/usr/bin/env python3
"""Side-by-side speed benchmark: archsim against SimPy and against a bare heap loop.

What it measures
    Whole-process CPU seconds (user + sys, from os.wait4: the resource usage of exactly
    that child, start-up, loading, simulation, summaries and output included) and peak
    RSS (ru_maxrss) of each of these, on the same models:

      model  tool      command                                                  customers
      mm1    archsim   archsim run benches/models/mm1.toml   (1111 s at 900/s)  ~1 M
      mm1    bare      bare-mm1 --customers 1000000          (crates/bare-loop)  1 M
      mm1    simpy     simpy_bench.py mm1 -N 200000 --json                       200 k
      chain  archsim   archsim run benches/models/chain.toml (2000 s at 100/s)  ~200 k
      chain  simpy     simpy_bench.py chain -N 50000 --json                      50 k

    mm1 is M/M/1 at rho 0.9 (arrivals 0.9 per ms, exponential service of mean 1 ms, one
    server, FIFO); chain is the held-thread chain C1 (client -> gateway -> order ->
    payment -> bank, 100/s, 12/10/8/2 workers, exponential work of mean 2/6/14/14 ms,
    each caller holding its worker while it waits, 2 ms on every hop each way). The
    SimPy peer is benches/peers/simpy_bench.py, a copy of the workplace's peer (idiomatic SimPy 4.1, one process per
    customer). bare-mm1 is the plainest possible event loop (a BinaryHeap of (time, seq,
    kind), a VecDeque, Pcg64Mcg, the mean response only): the floor.

    archsim runs with RAYON_NUM_THREADS=1 (one thread), stdout to /dev/null and
    `--json FILE`, from which the customers are read: the requests the clients actually
    sent (variants[0].summary.conservation, summed over flows), not the nominal count.
    The others report their own count. The sides run in turn, A B C D E A B C D E ...,
    for --rounds rounds, so drift on a shared machine hits every side alike.

How to run (from anywhere; paths are relative to the repository root)
    python3 scripts/bench-side-by-side.py                 # 5 rounds, builds first
    python3 scripts/bench-side-by-side.py --rounds 3 --json bench.json
    python3 scripts/bench-side-by-side.py --quick --rounds 1   # smoke run, 1/10 size
    python3 scripts/bench-side-by-side.py --scaling       # also duration and threads

    It first runs `cargo build --release` (archsim) and `cargo build --release -p
    bare-loop` (bare-mm1) unless --no-build, or --archsim / --bare name a binary of
    your own. SimPy must be importable by this Python (`pip install simpy==4.1.1`);
    without it the SimPy rows are skipped, unless --require-simpy (then exit 1).

How to read it
    One row per model and tool: customers of one run, CPU seconds (median of the
    rounds, then min-max), customers per CPU second (customers / median CPU), peak RSS
    (max over the rounds) and the mean response in ms (a check that the sides simulate
    the same model: mm1 should be near 1/(mu - lambda) = 10 ms everywhere). Below it
    the ratios against the targets of issue 11, each PASS or MISS:

      mm1   archsim / bare loop, CPU per customer           <= 4x
      mm1   archsim / SimPy, customers per CPU second       >= 100x
      chain archsim / SimPy, customers per CPU second       >= 60x

    Ratios use per-customer figures, since the sides run different numbers of customers
    (SimPy is far slower and gets fewer so a round stays short; archsim's fixed start-up
    cost is then spread over more customers, which is how a user runs it). With --quick
    start-up weighs ten times more: its ratios are a smoke test, not a measurement.

    Whole process means all that `archsim run` does, the tracing of replication 1 for
    the critical paths and response breakdowns included (in the same run since 0.2;
    when this script was written a one-replication run simulated twice).
    The mean response differs a little between the sides by chance (other random
    streams) and because the SimPy peer leaves its first 10% of customers out of it.

    --scaling adds: archsim mm1 at 1111 s vs 11110 s (~1 M vs ~10 M customers, one
    replication, one thread): CPU ratio (target <= 11, i.e. 10x customers within 1.1x of
    10x time) and peak RSS ratio (target <= 1.25, and 10 M under 40 MiB); and mm1 at
    1111 s with 8 replications (8 M customers) on RAYON_NUM_THREADS=1 vs 2: the
    wall-clock speed-up (target >= 1.8x); and mm1 at 1111 s with 2 replications, whose
    replication 2 is untraced: the one-replication run's CPU per customer against that
    replication's (the two-replication run's CPU minus the one-replication run's, paired
    by round), what tracing adds to a one-replication run (target <= 1.15, issue 11).
    Until 2026-12-06 the thread runs were 111 s runs, about 20 ms of work each: 8 of
    them took 0.17 s on one thread, so the fixed costs of starting two threads and the
    traced replication 1 finishing last weighed as much as the parallelism (1.70x there, 1.9x at 1111 s, the same binary, the same hour).
    Wall-clock figures need an otherwise idle machine.

    --instructions adds, once each (the counts are deterministic), the instructions
    executed by `archsim run` on mm1, chain and backlog with 1 and with 2 replications
    and by the bare loop, counted by valgrind's callgrind (Debian's `valgrind`):
    instructions per customer, archsim's against the bare loop's, and what tracing
    adds. `benches/models/backlog.toml` (a queue whose one consumer falls 9 000
    messages behind during a slow fault, 120 k requests, its own 600 s even under
    --quick) is there for tracing alone: its requests live for seconds behind
    thousands of others, which is where the tracer's cost once hid (+252% before
    c5d34d4 found a request's spans by links; M/M/1 and the chain, whose requests are
    short, showed nothing). Replication
    1 is traced and replication 2 is not, so the second run's extra instructions are an
    untraced replication, and (1 replication - that) is a traced one (both carry the
    fixed cost of start-up, loading and the report, about 1%). Unlike CPU seconds on a
    shared machine (10% apart between rounds), these counts repeat to within a few
    thousand and carry from one machine to another with the same binary; they are not
    time (archsim runs more instructions per cycle than the bare loop).

    --json OUT writes every raw measurement (command, round, user/sys/wall seconds, peak
    RSS, customers, the child's parsed output) with the summary and the verdicts.
"""
import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Where `cargo build --release` puts the binaries (it honours CARGO_TARGET_DIR).
TARGET = REPO / os.environ.get("CARGO_TARGET_DIR", "target")
DEFAULT_ARCHSIM = TARGET / "release" / "archsim"
DEFAULT_BARE = TARGET / "release" / "bare-mm1"
DEFAULT_SIMPY = REPO / "benches" / "peers" / "simpy_bench.py"
MM1_TOML = REPO / "benches" / "models" / "mm1.toml"
CHAIN_TOML = REPO / "benches" / "models" / "chain.toml"
BACKLOG_TOML = REPO / "benches" / "models" / "backlog.toml"

# Full size. --quick divides every count and duration by 10.
MM1_SECONDS = 1111.0  # 900/s -> ~1 M customers
CHAIN_SECONDS = 2000.0  # 100/s -> 200 k customers
BARE_N = 1_000_000
SIMPY_MM1_N = 200_000
SIMPY_CHAIN_N = 50_000

TARGETS = {
    "mm1_vs_bare": 4.0,  # archsim CPU per customer / bare's, at most
    "mm1_vs_simpy": 100.0,  # archsim customers per CPU s / SimPy's, at least
    "chain_vs_simpy": 60.0,
    "scaling_cpu": 11.0,  # 10 M vs 1 M CPU, at most (10x within 1.1x)
    "scaling_rss": 1.25,  # 10 M vs 1 M peak RSS, at most
    "scaling_rss_mib": 40.0,  # 10 M peak RSS, below
    "threads_speedup": 1.8,  # 8 replications on 2 threads vs 1, wall clock, at least
    "tracing_cpu": 1.15,  # one-replication run / an untraced replication, CPU, at most
}


def fmt_seconds(s):
    """A duration string archsim accepts ("111.1s", "1111s")."""
    return f"{s:g}s"


def vm_hwm_kib(pid="self"):
    """VmHWM (peak RSS of the current address space) of a process in KiB, or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


class HwmSampler(threading.Thread):
    """Reads the child's VmHWM every few ms while the main thread waits in os.wait4."""

    def __init__(self, pid, interval=0.002):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak = None
        self.done = threading.Event()

    def run(self):
        while not self.done.is_set():
            v = vm_hwm_kib(self.pid)
            if v is not None:
                self.peak = v if self.peak is None else max(self.peak, v)
            self.done.wait(self.interval)


def run_child(argv, env_extra=None, want_stdout=True):
    """Run argv to completion; return its rusage-based measurement and output.

    The child's stdout and stderr go to temporary files (no pipe, so no deadlock and
    nothing to read while it runs); os.wait4 reaps exactly this child and gives its own
    resource usage.

    Peak RSS: Linux keeps, across exec, the peak RSS of the address space that exec
    replaced, which for a child of this script is this Python process's (about 15 MiB).
    So ru_maxrss = max(this process's VmHWM, the child's own peak). When it is above
    this process's VmHWM it is the child's peak, exactly; otherwise the child's peak is
    below that floor and is taken from its /proc/PID/status VmHWM, sampled every 2 ms
    (a lower bound, exact unless the peak came in the child's last 2 ms)."""
    env = dict(os.environ)
    if env_extra:
        env.update(env_extra)
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as out:
        stdout = out if want_stdout else subprocess.DEVNULL
        t0 = time.perf_counter()
        # Popen returns after the exec (vfork, or its error pipe), so /proc/PID is the
        # child's own address space from the first sample on.
        proc = subprocess.Popen(argv, stdout=stdout, stderr=err, env=env)
        sampler = HwmSampler(proc.pid)
        sampler.start()
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        sampler.done.set()
        sampler.join()
        floor = vm_hwm_kib()
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        out.seek(0)
        text = out.read().decode(errors="replace") if want_stdout else ""
        errtext = err.read().decode(errors="replace")
    if proc.returncode != 0:
        sys.exit(
            f"error: {' '.join(map(str, argv))} exited {proc.returncode}\n{errtext.strip()}"
        )
    exact = floor is None or ru.ru_maxrss > floor
    peak = ru.ru_maxrss if exact or sampler.peak is None else sampler.peak
    return {
        "argv": [str(a) for a in argv],
        "env": env_extra or {},
        "user_s": ru.ru_utime,
        "sys_s": ru.ru_stime,
        "cpu_s": ru.ru_utime + ru.ru_stime,
        "wall_s": wall,
        "maxrss_kib": peak,
        "rss_source": "ru_maxrss" if exact or sampler.peak is None else "VmHWM sampled",
        "ru_maxrss_kib": ru.ru_maxrss,  # KiB on Linux; see above for the floor
        "parent_hwm_kib": floor,
        "sampled_hwm_kib": sampler.peak,
        "stdout": text,
    }


def last_json_line(text):
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise ValueError(f"no JSON line in output: {text[:200]!r}")


def archsim_counts(doc):
    """Requests sent by the clients (all replications) and the mean response (ms).

    From `archsim run --json`: variants[0].summary.conservation is the ledger of each
    replication (requests_sent counts warm-up too); flows[].latency.mean is a figure."""
    summary = doc["variants"][0]["summary"]
    sent = sum(c["requests_sent"] for c in summary["conservation"])
    flows = summary["flows"]
    mean_ms = fig(flows[0]["latency"]["mean"]) if len(flows) == 1 else None
    return sent, mean_ms


def fig(x):
    """A JSON figure: a number, or {"mean", "ci95"}."""
    if isinstance(x, dict):
        return x.get("mean")
    return x


# Ten seconds, one replication, no network or protocol cost.
CLIFF_HEADER = """[simulation]
seed = 1
duration = "10s"
replications = 1
[network]
latency = "0s"
[protocols.rest]
per_message = "0s"
per_kib = "0s"
"""


def closed_toml(users, think):
    """A closed loop of `users` users thinking `think` (exp) between requests to one
    service of ample workers: about `users` think timers pending at any instant."""
    return CLIFF_HEADER + f"""[services.s]
workers = 1000
queue = 1000000
operations.op = {{ work = {{ dist = "exp", mean = "1ms" }} }}
[[workload]]
flow = "f"
entry = "s.op"
arrivals = {{ closed = {{ users = {users}, think = {{ dist = "exp", mean = "{think}" }} }} }}
"""


def chain_toml(hops, rate):
    """A synchronous chain of `hops` services, each holding its worker while it calls
    the next, 10 us of exponential work per hop, no network cost."""
    out = [CLIFF_HEADER]
    for i in range(hops):
        step = (f', steps = [ {{ call = "s{i + 1}.op" }} ]' if i + 1 < hops else "")
        out.append(f"""[services.s{i}]
workers = 64
queue = 1000000
operations.op = {{ work = {{ dist = "exp", mean = "10us" }}{step} }}
""")
    out.append(f"""[[workload]]
flow = "f"
entry = "s0.op"
arrivals = {{ poisson = "{rate}/s" }}
""")
    return "".join(out)


# name, TOML, work units per customer (pending timers or hops), what the unit is
CLIFFS = [
    ("closed 1e3 users", lambda: closed_toml(1_000, "10ms"), 1, "customer"),
    ("closed 1e5 users", lambda: closed_toml(100_000, "1s"), 1, "customer"),
    ("chain 4 hops", lambda: chain_toml(4, 50_000), 4, "hop"),
    ("chain 200 hops", lambda: chain_toml(200, 1_000), 200, "hop"),
]


def count_instructions(argv, env_extra=None):
    """Instructions `argv` executes (valgrind's callgrind, its `I refs` line)."""
    env = dict(os.environ)
    env.update(env_extra or {})
    vg = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    r = subprocess.run(vg + [str(a) for a in argv], capture_output=True, text=True,
                       env=env)
    if r.returncode != 0:
        sys.exit(f"error: {' '.join(map(str, argv))} under valgrind exited"
                 f" {r.returncode}\n{r.stderr.strip()[-2000:]}")
    m = re.search(r"I\s+refs:\s+([\d,]+)", r.stderr)
    if not m:
        sys.exit(f"error: no `I refs` line from valgrind for {argv[0]}")
    return int(m.group(1).replace(",", "")), r.stdout


class Bench:
    def __init__(self, args):
        self.args = args
        self.scale = 0.1 if args.quick else 1.0
        self.runs = []  # every raw measurement

    # --- the five sides -------------------------------------------------------------
    def archsim(self, model, toml, seconds, threads=1, replications=None, tag=None):
        with tempfile.TemporaryDirectory() as tmp:
            jpath = Path(tmp) / "out.json"
            argv = [self.args.archsim, "run", toml, "--quiet", "--json", jpath,
                    "--duration", fmt_seconds(seconds)]
            if replications is not None:
                argv += ["--replications", str(replications)]
            m = run_child(argv, {"RAYON_NUM_THREADS": str(threads)}, want_stdout=False)
            doc = json.loads(jpath.read_text())
        m["customers"], m["mean_ms"] = archsim_counts(doc)
        m.update(model=model, tool="archsim", tag=tag or "main")
        return m

    def bare(self, n):
        m = run_child([self.args.bare, "--customers", str(n)])
        out = last_json_line(m["stdout"])
        m.update(model="mm1", tool="bare loop", tag="main", customers=out["customers"],
                 mean_ms=out["mean_ms"], child=out)
        return m

    def simpy(self, model, n):
        m = run_child([self.args.python, self.args.simpy_script, model, "-N", str(n),
                       "--json"])
        out = last_json_line(m["stdout"])
        m.update(model=model, tool="SimPy", tag="main", customers=out["customers"],
                 mean_ms=out["mean_ms"], child=out)
        return m

    def record(self, m, rnd):
        m["round"] = rnd
        m.pop("stdout", None)
        self.runs.append(m)
        if not self.args.quiet:
            print(f"  round {rnd}: {m['model']:<5} {m['tool']:<9} {m['customers']:>9} "
                  f"customers  {m['cpu_s']:7.3f} CPU s  {m['maxrss_kib'] / 1024:6.1f} MiB",
                  file=sys.stderr, flush=True)

    # --- the main comparison --------------------------------------------------------
    def main_rounds(self, with_simpy):
        s = self.scale
        sides = [
            lambda: self.archsim("mm1", MM1_TOML, MM1_SECONDS * s),
            lambda: self.bare(int(BARE_N * s)),
        ]
        if with_simpy:
            sides.append(lambda: self.simpy("mm1", int(SIMPY_MM1_N * s)))
        sides.append(lambda: self.archsim("chain", CHAIN_TOML, CHAIN_SECONDS * s))
        if with_simpy:
            sides.append(lambda: self.simpy("chain", int(SIMPY_CHAIN_N * s)))
        for rnd in range(1, self.args.rounds + 1):
            for side in sides:
                self.record(side(), rnd)

    def scaling_rounds(self):
        short, long_ = MM1_SECONDS * self.scale, MM1_SECONDS * 10 * self.scale
        rep_s = MM1_SECONDS * self.scale
        for rnd in range(1, self.args.rounds + 1):
            for tag, secs in (("scale-1x", short), ("scale-10x", long_)):
                self.record(self.archsim("mm1", MM1_TOML, secs, 1, 1, tag), rnd)
            # Replication 2 is untraced: against the one-replication run beside it, what
            # tracing replication 1 adds to its CPU.
            self.record(self.archsim("mm1", MM1_TOML, short, 1, 2, "reps2"), rnd)
            for threads in (1, 2):
                tag = f"reps8-threads{threads}"
                self.record(self.archsim("mm1", MM1_TOML, rep_s, threads, 8, tag), rnd)


    def cliff_rounds(self):
        with tempfile.TemporaryDirectory() as tmp:
            paths = []
            for name, toml, _, _ in CLIFFS:
                p = Path(tmp) / (name.replace(" ", "-") + ".toml")
                p.write_text(toml())
                paths.append(p)
            for rnd in range(1, self.args.rounds + 1):
                for (name, _, _, _), p in zip(CLIFFS, paths):
                    self.record(self.archsim("cliff", p, 10.0, 1, 1, name), rnd)


def instruction_counts(bench):
    """Instructions of archsim (1 and 2 replications) on both models and of the bare
    loop, once each; see --instructions in the module's docstring."""
    s, args = bench.scale, bench.args
    out = {}
    # The backlog model keeps its length under --quick: its fault window is at 100 s.
    for model, toml, secs in (("mm1", MM1_TOML, MM1_SECONDS * s),
                              ("chain", CHAIN_TOML, CHAIN_SECONDS * s),
                              ("backlog", BACKLOG_TOML, None)):
        for reps in (1, 2):
            with tempfile.TemporaryDirectory() as tmp:
                jpath = Path(tmp) / "out.json"
                argv = [args.archsim, "run", toml, "--quiet", "--json", jpath,
                        "--replications", str(reps)]
                if secs is not None:
                    argv += ["--duration", fmt_seconds(secs)]
                n, _ = count_instructions(argv, {"RAYON_NUM_THREADS": "1"})
                doc = json.loads(jpath.read_text())
            sent = [c["requests_sent"] for c in doc["variants"][0]["summary"]["conservation"]]
            out[f"{model}/archsim/{reps}"] = {"instructions": n, "customers": sent}
            if not args.quiet:
                print(f"  instructions: {model:<5} archsim, {reps} replication(s):"
                      f" {n:,}", file=sys.stderr, flush=True)
    n, stdout = count_instructions([args.bare, "--customers", str(int(BARE_N * s))])
    out["mm1/bare"] = {"instructions": n, "customers": [last_json_line(stdout)["customers"]]}
    return out


def report_instructions(counts):
    rows, derived = [], {}
    for key, label in (("mm1/archsim/1", "archsim run, 1 replication"),
                       ("mm1/archsim/2", "archsim run, 2 replications"),
                       ("mm1/bare", "bare loop"),
                       ("chain/archsim/1", "archsim run, 1 replication"),
                       ("chain/archsim/2", "archsim run, 2 replications"),
                       ("backlog/archsim/1", "archsim run, 1 replication"),
                       ("backlog/archsim/2", "archsim run, 2 replications")):
        c = counts[key]
        customers = sum(c["customers"])
        c["per_customer"] = c["instructions"] / customers
        rows.append([key.split("/")[0], label, f"{customers:,}",
                     f"{c['instructions'] / 1e6:,.1f} M", f"{c['per_customer']:,.0f}"])
    print()
    print("Instructions (valgrind callgrind, once each: deterministic)")
    print_table(rows, ["model", "run", "customers", "instructions", "per customer"])
    rows = []
    for model in ("mm1", "chain", "backlog"):
        one, two = counts[f"{model}/archsim/1"], counts[f"{model}/archsim/2"]
        untraced = two["instructions"] - one["instructions"]
        # Per customer of each replication, so their different counts do not matter.
        per_untraced = untraced / two["customers"][1]
        per_traced = one["instructions"] / one["customers"][0]
        tracing = per_traced / per_untraced - 1
        derived[model] = {"per_customer_untraced": per_untraced,
                          "per_customer_one_replication": per_traced,
                          "tracing_adds": tracing}
        rows.append([model, "one-replication run / an untraced replication",
                     f"+{tracing * 100:.1f}%"])
    bare = counts["mm1/bare"]["per_customer"]
    derived["mm1"]["vs_bare"] = counts["mm1/archsim/1"]["per_customer"] / bare
    rows.append(["mm1", "archsim run / bare loop, per customer",
                 f"{derived['mm1']['vs_bare']:.2f}x"])
    print()
    print("Derived (instructions, not time: compare them between commits)")
    print_table(rows, ["model", "ratio", "measured"])
    return derived


def report_cliffs(bench):
    """Cost per unit of work: a model with 10^5 pending timers against 10^3, a
    200-service chain against a 4-service one."""
    rows, out = [], {}
    for name, _, units, unit in CLIFFS:
        st = stats(group(bench.runs, "cliff", "archsim", name))
        per = st["cpu_s_median"] / (st["customers"] * units) * 1e9
        out[name] = dict(st, ns_per_unit=per, unit=unit)
        rows.append([name, f"{st['customers']:,.0f}", f"{st['cpu_s_median']:.3f}",
                     f"{per:,.0f} ns / {unit}", f"{st['peak_rss_mib']:.1f}"])
    print()
    print("Cliffs: CPU per unit of work, one thread (a cliff is a large jump between the"
          " two rows of a pair)")
    print_table(rows, ["model", "customers", "CPU s med", "CPU per unit", "RSS MiB"])
    timers = out["closed 1e5 users"]["ns_per_unit"] / out["closed 1e3 users"]["ns_per_unit"]
    hops = out["chain 200 hops"]["ns_per_unit"] / out["chain 4 hops"]["ns_per_unit"]
    print(f"10^5 vs 10^3 pending timers: {timers:.2f}x per customer;"
          f" 200 vs 4 hops: {hops:.2f}x per hop")
    out["ratios"] = {"timers": timers, "hops": hops}
    return out


def group(runs, model, tool, tag="main"):
    return [r for r in runs if r["model"] == model and r["tool"] == tool and r["tag"] == tag]


def stats(rs):
    cpu = [r["cpu_s"] for r in rs]
    wall = [r["wall_s"] for r in rs]
    customers = statistics.median(r["customers"] for r in rs)
    med = statistics.median(cpu)
    means = [r["mean_ms"] for r in rs if r["mean_ms"] is not None]
    return {
        "rounds": len(rs),
        "customers": customers,
        "cpu_s_median": med,
        "cpu_s_min": min(cpu),
        "cpu_s_max": max(cpu),
        "wall_s_median": statistics.median(wall),
        "customers_per_cpu_s": customers / med if med > 0 else float("inf"),
        "cpu_per_customer_us": med / customers * 1e6 if customers else float("nan"),
        "peak_rss_mib": max(r["maxrss_kib"] for r in rs) / 1024,
        "mean_ms": statistics.median(means) if means else None,
    }


def verdict(value, target, at_most):
    if value is None:
        return "n/a"
    ok = value <= target if at_most else value >= target
    return "PASS" if ok else "MISS"


def print_table(rows, header):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    def line(r):
        cells = []
        for i, c in enumerate(r):
            c = str(c)
            cells.append(c.ljust(widths[i]) if i < 2 else c.rjust(widths[i]))
        return "  ".join(cells).rstrip()
    print(line(header))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))


def report(bench, with_simpy):
    runs = bench.runs
    summary = {}
    rows = []
    order = [("mm1", "archsim"), ("mm1", "bare loop"), ("mm1", "SimPy"),
             ("chain", "archsim"), ("chain", "SimPy")]
    for model, tool in order:
        rs = group(runs, model, tool)
        if not rs:
            continue
        st = stats(rs)
        summary[f"{model}/{tool}"] = st
        rows.append([
            model, tool, f"{st['customers']:,.0f}", f"{st['cpu_s_median']:.3f}",
            f"{st['cpu_s_min']:.3f}-{st['cpu_s_max']:.3f}",
            f"{st['customers_per_cpu_s']:,.0f}", f"{st['peak_rss_mib']:.1f}",
            "-" if st["mean_ms"] is None else f"{st['mean_ms']:.3f}",
        ])
    print()
    print(f"Whole-process CPU (user+sys), {bench.args.rounds} round(s) in turn"
          f"{', QUICK (1/10 size)' if bench.args.quick else ''}; archsim on 1 thread")
    print_table(rows, ["model", "tool", "customers", "CPU s med", "min-max",
                       "cust/CPU s", "RSS MiB", "mean ms"])

    def cps(key):
        return summary[key]["customers_per_cpu_s"] if key in summary else None

    ratios = []
    a, b = cps("mm1/archsim"), cps("mm1/bare loop")
    v = b / a if a and b else None
    ratios.append(("mm1", "archsim / bare loop, CPU per customer", v, "<=",
                   TARGETS["mm1_vs_bare"]))
    if with_simpy:
        s = cps("mm1/SimPy")
        v = a / s if a and s else None
        ratios.append(("mm1", "archsim / SimPy, customers per CPU s", v, ">=",
                       TARGETS["mm1_vs_simpy"]))
        a2, s2 = cps("chain/archsim"), cps("chain/SimPy")
        v = a2 / s2 if a2 and s2 else None
        ratios.append(("chain", "archsim / SimPy, customers per CPU s", v, ">=",
                       TARGETS["chain_vs_simpy"]))
    verdicts = []
    rows = []
    for model, what, value, op, target in ratios:
        vd = verdict(value, target, op == "<=")
        verdicts.append({"model": model, "ratio": what, "value": value,
                         "target": f"{op} {target:g}", "verdict": vd})
        rows.append([model, what, "-" if value is None else f"{value:.2f}x",
                     f"{op} {target:g}x", vd])
    print()
    print("Ratios against issue 11's targets (medians of the rounds)")
    print_table(rows, ["model", "ratio", "measured", "target", "verdict"])
    return summary, verdicts


def report_scaling(bench):
    runs = bench.runs
    one = stats(group(runs, "mm1", "archsim", "scale-1x"))
    ten = stats(group(runs, "mm1", "archsim", "scale-10x"))
    t1 = stats(group(runs, "mm1", "archsim", "reps8-threads1"))
    t2 = stats(group(runs, "mm1", "archsim", "reps8-threads2"))
    cpu_ratio = ten["cpu_s_median"] / one["cpu_s_median"]
    cust_ratio = ten["customers"] / one["customers"]
    rss_ratio = ten["peak_rss_mib"] / one["peak_rss_mib"]
    speedup = t1["wall_s_median"] / t2["wall_s_median"]
    tracing = tracing_cpu(runs)
    rows = [
        ["duration 1x", f"{one['customers']:,.0f}", f"{one['cpu_s_median']:.3f}",
         f"{one['wall_s_median']:.3f}", f"{one['peak_rss_mib']:.1f}"],
        ["duration 10x", f"{ten['customers']:,.0f}", f"{ten['cpu_s_median']:.3f}",
         f"{ten['wall_s_median']:.3f}", f"{ten['peak_rss_mib']:.1f}"],
        ["8 reps, 1 thread", f"{t1['customers']:,.0f}", f"{t1['cpu_s_median']:.3f}",
         f"{t1['wall_s_median']:.3f}", f"{t1['peak_rss_mib']:.1f}"],
        ["8 reps, 2 threads", f"{t2['customers']:,.0f}", f"{t2['cpu_s_median']:.3f}",
         f"{t2['wall_s_median']:.3f}", f"{t2['peak_rss_mib']:.1f}"],
    ]
    print()
    print("Scaling: archsim mm1, one thread unless said (customers: requests sent, summed"
          " over the replications; wall clock matters for the threads)")
    print_table(rows, ["run", "customers", "CPU s med", "wall s med", "RSS MiB"])
    checks = [
        (f"CPU 10x / 1x duration ({cust_ratio:.2f}x customers)", cpu_ratio, "<=",
         TARGETS["scaling_cpu"]),
        ("peak RSS 10x / 1x duration", rss_ratio, "<=", TARGETS["scaling_rss"]),
        ("peak RSS at 10x duration, MiB", ten["peak_rss_mib"], "<",
         TARGETS["scaling_rss_mib"]),
        ("8 replications: wall 1 thread / 2 threads", speedup, ">=",
         TARGETS["threads_speedup"]),
        ("1 replication / an untraced one, CPU per customer", tracing, "<=",
         TARGETS["tracing_cpu"]),
    ]
    rows, verdicts = [], []
    for what, value, op, target in checks:
        vd = verdict(value, target, op in ("<=", "<"))
        verdicts.append({"check": what, "value": value, "target": f"{op} {target:g}",
                         "verdict": vd})
        rows.append([what, f"{value:.2f}", f"{op} {target:g}", vd])
    print()
    print_table(rows, ["check", "measured", "target", "verdict"])
    if os.cpu_count() and os.cpu_count() < 2:
        print("note: one CPU: the thread speed-up cannot reach its target here")
    return {"1x": one, "10x": ten, "reps8_threads1": t1, "reps8_threads2": t2,
            "tracing_cpu": tracing}, verdicts


def tracing_cpu(runs):
    """What tracing adds to a one-replication run's CPU: per round, the one-replication
    run's CPU per customer against the untraced replication 2's (the two-replication
    run's CPU minus the one-replication run's, per customer of replication 2); the
    median over the rounds. Paired by round, so a slow round moves both sides."""
    one = {r["round"]: r for r in group(runs, "mm1", "archsim", "scale-1x")}
    two = {r["round"]: r for r in group(runs, "mm1", "archsim", "reps2")}
    ratios = []
    for rnd in sorted(one.keys() & two.keys()):
        a, b = one[rnd], two[rnd]
        untraced = (b["cpu_s"] - a["cpu_s"]) / max(b["customers"] - a["customers"], 1)
        if untraced > 0:
            ratios.append(a["cpu_s"] / a["customers"] / untraced)
    return statistics.median(ratios) if ratios else float("nan")


def build(args):
    if args.no_build:
        return
    steps = []
    if args.archsim == DEFAULT_ARCHSIM:
        steps.append(["cargo", "build", "--release"])
    if args.bare == DEFAULT_BARE:
        steps.append(["cargo", "build", "--release", "-p", "bare-loop"])
    for cmd in steps:
        print("+", " ".join(cmd), file=sys.stderr, flush=True)
        r = subprocess.run(cmd, cwd=REPO)
        if r.returncode != 0:
            sys.exit(f"error: {' '.join(cmd)} failed")


def simpy_version(python):
    r = subprocess.run([python, "-c", "import simpy; print(simpy.__version__)"],
                       capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def git_rev():
    r = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True,
                       text=True)
    return r.stdout.strip() if r.returncode == 0 else None


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5, help="rounds in turn (default 5)")
    ap.add_argument("--quick", action="store_true",
                    help="1/10 of every count and duration, for a smoke run")
    ap.add_argument("--scaling", action="store_true",
                    help="also archsim mm1 at 10x duration, and 8 replications on 1 vs 2"
                         " threads")
    ap.add_argument("--cliffs", action="store_true",
                    help="also 10^5 vs 10^3 pending timers and a 200- vs 4-service chain")
    ap.add_argument("--instructions", action="store_true",
                    help="also count instructions under valgrind (callgrind), once each")
    ap.add_argument("--archsim", type=Path, default=DEFAULT_ARCHSIM,
                    help="archsim binary (default target/release/archsim, under CARGO_TARGET_DIR if"
                         " set; built first)")
    ap.add_argument("--bare", type=Path, default=DEFAULT_BARE,
                    help="bare-mm1 binary (default target/release/bare-mm1, under CARGO_TARGET_DIR"
                         " if set; built first)")
    ap.add_argument("--simpy-script", type=Path, default=DEFAULT_SIMPY,
                    help="the SimPy peer (default benches/peers/simpy_bench.py in the"
                         " repository root)")
    ap.add_argument("--python", default=sys.executable,
                    help="Python that runs the SimPy peer (default: this one)")
    ap.add_argument("--require-simpy", action="store_true",
                    help="exit 1 if SimPy cannot be imported (default: skip its rows)")
    ap.add_argument("--no-build", action="store_true", help="do not run cargo build")
    ap.add_argument("--json", type=Path, metavar="OUT", help="write every measurement here")
    ap.add_argument("--quiet", action="store_true", help="no per-run progress lines")
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be at least 1")

    version = simpy_version(args.python)
    with_simpy = version is not None and args.simpy_script.is_file()
    if not with_simpy:
        why = ("SimPy is not importable by " + args.python if version is None
               else f"no SimPy peer at {args.simpy_script}")
        print(f"{'error' if args.require_simpy else 'warning'}: {why}; install it with"
              f" `{args.python} -m pip install simpy==4.1.1`"
              f"{'' if args.require_simpy else ' (SimPy rows skipped)'}", file=sys.stderr)
        if args.require_simpy:
            sys.exit(1)

    if args.instructions and shutil.which("valgrind") is None:
        sys.exit("error: --instructions needs valgrind (Debian: apt-get install valgrind)")
    build(args)
    for p in (args.archsim, args.bare):
        if not Path(p).is_file():
            sys.exit(f"error: no binary at {p} (build it, or drop --no-build)")

    bench = Bench(args)
    bench.main_rounds(with_simpy)
    summary, verdicts = report(bench, with_simpy)
    scaling = scaling_verdicts = None
    if args.scaling:
        bench.scaling_rounds()
        scaling, scaling_verdicts = report_scaling(bench)

    cliffs = None
    if args.cliffs:
        bench.cliff_rounds()
        cliffs = report_cliffs(bench)

    instructions = None
    if args.instructions:
        counts = instruction_counts(bench)
        instructions = {"counts": counts, "derived": report_instructions(counts)}

    if args.json:
        doc = {
            "cliffs": cliffs,
            "instructions": instructions,
            "git_rev": git_rev(),
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                        "python": platform.python_version(), "simpy": version,
                        "loadavg_at_end": os.getloadavg()},
            "args": {k: str(v) if isinstance(v, Path) else v
                     for k, v in vars(args).items()},
            "targets": TARGETS,
            "summary": summary,
            "verdicts": verdicts,
            "scaling": scaling,
            "scaling_verdicts": scaling_verdicts,
            "runs": bench.runs,
        }
        for r in doc["runs"]:
            r["argv"] = [str(a) for a in r["argv"]]
        args.json.write_text(json.dumps(doc, indent=2) + "\n")


if __name__ == "__main__":
    main()
