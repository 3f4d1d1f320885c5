#!/usr/bin/env python3
"""Coverage of the theory checks over many seeds: how often each check of
tests/suite/theory.rs passes when its fixed seed is replaced by seed 1, 2, 3, ...

What it runs
    The five scenarios of tests/suite/theory.rs, the same TOML (theory_header in
    tests/suite/common.rs: no network, no protocol cost, warm-up 20 s, 20
    replications), the same rates, workers and work distributions:

      scenario  model                                                     duration
      mm1-0.5   M/M/1, exponential work of mean 1 ms, Poisson 500/s       300 s
      mm1-0.9   M/M/1, exponential work of mean 1 ms, Poisson 900/s       300 s
      mm4-0.8   M/M/4, exponential work of mean 1 ms, Poisson 3200/s      200 s
      md1       M/D/1, work "1ms", Poisson 800/s                          200 s
      tandem    front (100000 workers) calling s1..s4 (1 worker each,     200 s
                exponential 1, 1.5, 0.8, 1.2 ms), Poisson 500/s, 0.25 ms
                network latency on every hop

    Nothing is shortened: each scenario runs exactly as the test does, only with
    `--seed S` for S = --first-seed .. --first-seed + --seeds - 1. Each run is
    `ARCHSIM run FILE --seed S --json - -q` with RAYON_NUM_THREADS=1 (one thread; the
    numbers do not depend on the thread count, only the speed does), one run at a
    time. On 2 cores with one in use by other work (2026-12-03) one seed of all five
    scenarios takes about 13 s (tandem 5-6 s, mm4-0.8 3.5 s, the rest 1-1.5 s), so
    the default 40 seeds take about 9 minutes per binary, 100 seeds 21 minutes;
    --checks runs a subset.

The checks (the acceptance rules of theory.rs, applied to the JSON figures, which are
serialized exactly: the same doubles the test sees)
    assert_in_ci   pass when |mean - theory| <= ci95 + slack and ci95 < 0.1 |theory|
                   (the second condition: a CI too wide to test anything); slack is
                   0.1% of theory for the p99 (HDR quantization), 0 otherwise.
                   z = (mean - theory) / (ci95 / t), t = t(0.975, replications - 1):
                   the Student t statistic, about t(19)-distributed for a correct
                   simulator (mean 0, sd 1.06).
    assert_little  per service: pass when |L - lambda W| <= ci95(L) + ci95(lambda W)
                   + 0.01 |L|. The test asserts it for every service at once; here
                   each service is its own row. Its z is (L - lambda W) /
                   ((ci95(L) + ci95(lambda W)) / t), the gap in units of the sum of the
                   two standard errors (L and lambda W come from the same replications
                   and are strongly correlated, so this is not t-distributed: the
                   check is far more lenient than a 95% one, by design).
    The M/M/4 wait is the flow's mean response minus the exact 1 ms service mean,
    with the response's ci95, as in the test.

How to run (from anywhere)
    python3 scripts/theory-coverage.py                         # 40 seeds from 1
    python3 scripts/theory-coverage.py --archsim /tmp/archsim-ziggurat --seeds 60 \\
        --out /tmp/zig.json
    python3 scripts/theory-coverage.py --checks mm1-0.9,mm4-0.8/wait --seeds 10
    python3 scripts/theory-coverage.py --test-seeds    # only the tests' own seeds

    --checks takes a comma-separated list of scenario names (all their checks) or
    check names as printed in the table (e.g. mm1-0.5/util, tandem/little:s2). The
    binary is not built: build it first (cargo build --release).

How to read it
    One row per check: seeds run, passes, coverage (passes / seeds), the 95% Wilson
    interval of that coverage, mean z with its 95% interval (mean +- 1.96 sd / sqrt n)
    and sd of z. A correct simulator gives coverage near 95% (the Wilson interval
    covering 95%) and mean z near 0 (its interval covering 0); a biased sampler moves
    mean z away from 0 for many seeds and pulls the coverage down. Little's-law rows
    are expected near 100%. Below the table, per scenario, the share of seeds at which
    every check of the test passes (the test as written would pass at that seed).

    --table-from FILE prints the table of a saved study again (runs nothing).
    --out FILE writes the raw results as JSON: the binary and its version, the seeds,
    and per scenario and seed every figure used (mean, ci95), the theory, z and the
    verdict, with the run's wall time.
"""
import argparse
import datetime
import hashlib
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_ARCHSIM = REPO / "target" / "release" / "archsim"
# The tests' own fixed seeds (tests/suite/theory.rs).
TEST_SEEDS = {"mm1-0.5": 11, "mm1-0.9": 12, "mm4-0.8": 21, "md1": 31, "tandem": 41}
WARMUP, REPLICATIONS = "20s", 20
P99_QUANTIZATION = 0.001  # HDR histograms, 3 significant digits


def theory_header(seed, duration, warmup, replications):
    """tests/suite/common.rs theory_header, verbatim."""
    return f"""
[simulation]
seed = {seed}
duration = "{duration}"
warmup = "{warmup}"
replications = {replications}

[network]
latency = "0s"

[protocols.rest]
per_message = "0s"
per_kib = "0s"
"""


def single_station(seed, work, workers, rate_per_s, duration, reps):
    """tests/suite/theory.rs single_station."""
    return theory_header(seed, duration, WARMUP, reps) + f"""
[services.server]
workers = {workers}
queue = 10000000
operations.serve = {{ work = {work} }}

[[workload]]
flow = "f"
entry = "server.serve"
arrivals = {{ poisson = "{fmt_f64(rate_per_s)}/s" }}
"""


def fmt_f64(x):
    """A number as Rust's `{}` prints an f64 (500.0 -> 500, 0.25 -> 0.25)."""
    return f"{int(x)}" if float(x).is_integer() else repr(float(x))


# --- the checks -------------------------------------------------------------------
# A check is (key, kind, getter, theory, slack): kind "ci" (assert_in_ci) or "little"
# (assert_little on one service); getter(summary) returns the estimate {mean, ci95}
# or, for "little", the service.


def flow_fig(name):
    return lambda s: s["flows"][0]["latency"][name]


def service(s, name):
    for sv in s["services"]:
        if sv["name"] == name:
            return sv
    raise KeyError(f"no service {name!r} in the summary")


def little_checks(prefix, names):
    return [(f"{prefix}/little:{n}", "little", (lambda s, n=n: service(s, n)), None, 0.0)
            for n in names]


def mm1(key, rho):
    mu = 1000.0
    lam = rho * mu
    mean_ms = 1e3 / (mu - lam)
    p99_ms = 1e3 * -(math.log(0.01)) / (mu - lam)
    toml = lambda seed: single_station(seed, '{ dist = "exp", mean = "1ms" }', 1, lam,
                                       "300s", REPLICATIONS)
    checks = [
        (f"{key}/mean", "ci", flow_fig("mean"), mean_ms, 0.0),
        (f"{key}/p99", "ci", flow_fig("p99"), p99_ms, P99_QUANTIZATION),
        (f"{key}/util", "ci", lambda s: service(s, "server")["utilization"], rho, 0.0),
    ] + little_checks(key, ["server"])
    return key, toml, checks


def erlang_c(c, a):
    """tests/suite/theory.rs erlang_c, the same operations in the same order."""
    term = 1.0
    total = 1.0
    for k in range(1, c):
        term *= a / float(k)
        total += term
    last = term * a / float(c)
    rho = a / float(c)
    top = last / (1.0 - rho)
    return top / (total + top)


def mm4():
    c, mu, rho = 4, 1000.0, 0.8
    lam = rho * c * mu
    wq_ms = erlang_c(c, lam / mu) / (c * mu - lam) * 1e3
    toml = lambda seed: single_station(seed, '{ dist = "exp", mean = "1ms" }', c, lam,
                                       "200s", REPLICATIONS)

    def wait(s):
        r = s["flows"][0]["latency"]["mean"]
        return {"mean": r["mean"] - 1.0, "ci95": r["ci95"]}

    checks = [
        ("mm4-0.8/wait", "ci", wait, wq_ms, 0.0),
        ("mm4-0.8/util", "ci", lambda s: service(s, "server")["utilization"], rho, 0.0),
    ] + little_checks("mm4-0.8", ["server"])
    return "mm4-0.8", toml, checks


def md1():
    d_ms, lam = 1.0, 800.0
    rho = lam * d_ms / 1e3
    response_ms = d_ms + rho * d_ms / (2.0 * (1.0 - rho))
    toml = lambda seed: single_station(seed, '"1ms"', 1, lam, "200s", REPLICATIONS)
    checks = [("md1/mean", "ci", flow_fig("mean"), response_ms, 0.0)]
    checks += little_checks("md1", ["server"])
    return "md1", toml, checks


def tandem():
    lam = 500.0
    means_ms = [1.0, 1.5, 0.8, 1.2]
    hop_ms = 0.25

    def toml(seed):
        t = theory_header(seed, "200s", WARMUP, REPLICATIONS)
        t = t.replace('latency = "0s"', f'latency = "{fmt_f64(hop_ms)}ms"')
        t += """
[services.front]
workers = 100000
queue = 0
operations.go = { steps = [ { call = "s1.serve" }, { call = "s2.serve" }, { call = "s3.serve" }, { call = "s4.serve" } ] }
"""
        for i, m in enumerate(means_ms):
            t += (f"\n[services.s{i + 1}]\nworkers = 1\nqueue = 10000000\n"
                  f'operations.serve = {{ work = {{ dist = "exp", mean = "{fmt_f64(m)}ms" }} }}\n')
        t += (f'\n[[workload]]\nflow = "tandem"\nentry = "front.go"\n'
              f'arrivals = {{ poisson = "{fmt_f64(lam)}/s" }}\n')
        return t

    sojourn = [1.0 / (1.0 / m - lam / 1e3) for m in means_ms]
    total = 0.0
    for x in sojourn:  # Rust's Iterator::sum: left to right from 0
        total += x
    expected = total + 10.0 * hop_ms
    checks = [("tandem/mean", "ci", flow_fig("mean"), expected, 0.0)]
    for i, x in enumerate(sojourn):
        name = f"s{i + 1}"
        checks.append((f"tandem/{name}-sojourn", "ci",
                       (lambda s, name=name: service(s, name)["mean_sojourn"]), x, 0.0))
    checks += little_checks("tandem", ["front", "s1", "s2", "s3", "s4"])
    return "tandem", toml, checks


SCENARIOS = [mm1("mm1-0.5", 0.5), mm1("mm1-0.9", 0.9), mm4(), md1(), tandem()]


# --- statistics -------------------------------------------------------------------
def betacf(a, b, x):
    """Continued fraction of the regularized incomplete beta (Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 300):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def betainc(a, b, x):
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    lbt = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) \
        + b * math.log(1.0 - x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(lbt) * betacf(a, b, x) / a
    return 1.0 - math.exp(lbt) * betacf(b, a, 1.0 - x) / b


def t_cdf(t, df):
    x = df / (df + t * t)
    tail = 0.5 * betainc(df / 2.0, 0.5, x)
    return 1.0 - tail if t > 0 else tail


def t_quantile_975(df):
    """The 0.975 quantile of Student's t (as src/experiment/stats.rs, via statrs)."""
    lo, hi = 0.0, 100.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if t_cdf(mid, df) < 0.975:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0


Z95 = 1.959963984540054


def wilson(k, n):
    """95% Wilson score interval of a binomial proportion k / n."""
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    den = 1.0 + Z95 ** 2 / n
    centre = (p + Z95 ** 2 / (2 * n)) / den
    half = Z95 * math.sqrt(p * (1 - p) / n + Z95 ** 2 / (4 * n * n)) / den
    return max(0.0, centre - half), min(1.0, centre + half)


# --- running ----------------------------------------------------------------------
def evaluate(kind, fig, theory, slack, t):
    """(pass, z, detail) under the rule of assert_in_ci or assert_little."""
    if kind == "ci":
        mean, ci = fig["mean"], fig["ci95"]
        if ci is None:
            sys.exit("error: an estimate without ci95 (one replication?)")
        s = abs(theory) * slack
        inside = abs(mean - theory) <= ci + s
        narrow = ci < 0.1 * abs(theory)
        z = (mean - theory) / (ci / t) if ci > 0 else float("inf")
        return inside and narrow, z, {"mean": mean, "ci95": ci, "theory": theory,
                                      "slack": s, "inside": inside, "narrow": narrow}
    l, lw = fig["mean_in_system"], fig["little_lambda_w"]
    tol = l["ci95"] + lw["ci95"] + 0.01 * abs(l["mean"])
    gap = l["mean"] - lw["mean"]
    se = (l["ci95"] + lw["ci95"]) / t
    z = gap / se if se > 0 else (0.0 if gap == 0 else float("inf"))
    return abs(gap) <= tol, z, {"L": l, "lambda_w": lw, "tolerance": tol}


def run_one(binary, toml_text, seed, tmp):
    path = os.path.join(tmp, "theory.toml")
    with open(path, "w") as f:
        f.write(toml_text)
    env = dict(os.environ, RAYON_NUM_THREADS="1")
    t0 = time.perf_counter()
    r = subprocess.run([str(binary), "run", path, "--seed", str(seed), "--json", "-", "-q"],
                       capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"error: archsim run (seed {seed}) exited {r.returncode}\n{r.stderr.strip()}")
    doc = json.loads(r.stdout)
    if doc.get("seed") != seed:
        sys.exit(f"error: asked for seed {seed}, the run reports {doc.get('seed')}")
    return doc["variants"][0]["summary"], wall


def selected(key, picks):
    if not picks:
        return True
    return any(key == p or key.startswith(p + "/") for p in picks)


def print_table(rows, header):
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]

    def line(r):
        return "  ".join(str(c).ljust(widths[i]) if i == 0 else str(c).rjust(widths[i])
                         for i, c in enumerate(r)).rstrip()

    print(line(header))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print(line(r))


def report(results, test_pass, title, t):
    """Print the table; return it as records (for --out)."""
    rows, table = [], []
    pooled_k = pooled_n = 0
    for key, _, checks in SCENARIOS:
        for ck, kind, _, theory, _ in checks:
            if ck not in results:
                continue
            rs = results[ck]
            n = len(rs)
            k = sum(r["passed"] for r in rs)
            if kind == "ci":
                pooled_k, pooled_n = pooled_k + k, pooled_n + n
            lo, hi = wilson(k, n)
            zs = [r["z"] for r in rs]
            zm = statistics.fmean(zs)
            zsd = statistics.stdev(zs) if n > 1 else float("nan")
            half = Z95 * zsd / math.sqrt(n) if n > 1 else float("nan")
            wide = sum(1 for r in rs if kind == "ci" and not r["narrow"])
            table.append({"check": ck, "rule": "assert_in_ci" if kind == "ci"
                          else "assert_little", "theory": theory, "seeds": n,
                          "passes": k, "coverage": k / n, "wilson95": [lo, hi],
                          "mean_z": zm, "mean_z_ci95": half, "sd_z": zsd,
                          "too_wide": wide})
            rows.append([ck, n, k, f"{100 * k / n:.1f}%",
                         f"{100 * lo:.1f}-{100 * hi:.1f}%",
                         f"{zm:+.2f} ± {half:.2f}" if n > 1 else f"{zm:+.2f}",
                         f"{zsd:.2f}" if n > 1 else "-"])
    print()
    print(title + f"; t(0.975, {REPLICATIONS - 1}) = {t:.4f}")
    print_table(rows, ["check", "seeds", "passes", "coverage", "Wilson 95%",
                       "mean z ± 95%", "sd z"])
    wide = [f"{r['check']} ({r['too_wide']})" for r in table if r["too_wide"]]
    if wide:
        print("CI too wide (fails assert_in_ci's second condition) at some seeds: "
              + ", ".join(wide))
    if pooled_n:
        lo, hi = wilson(pooled_k, pooled_n)
        print(f"\nEvery assert_in_ci check pooled: {pooled_k}/{pooled_n} "
              f"({100 * pooled_k / pooled_n:.1f}%; Wilson {100 * lo:.1f}-{100 * hi:.1f}%, "
              "too narrow since checks of one run are correlated)")
    print()
    print("Whole test (every selected check of the scenario passes at the seed):")
    for key, ps in test_pass.items():
        k = sum(ok for _, ok in ps)
        lo, hi = wilson(k, len(ps))
        bad = [s for s, ok in ps if not ok]
        print(f"  {key:<8} {k}/{len(ps)} seeds ({100 * k / len(ps):.1f}%, Wilson "
              f"{100 * lo:.1f}-{100 * hi:.1f}%)"
              + (f"; fails at seeds {', '.join(map(str, bad))}" if bad else ""))
    return table


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--archsim", type=Path, default=DEFAULT_ARCHSIM,
                    help="archsim binary (default target/release/archsim; not built here)")
    ap.add_argument("--seeds", type=int, default=40, help="seeds per scenario (default 40)")
    ap.add_argument("--first-seed", type=int, default=1, help="first seed (default 1)")
    ap.add_argument("--test-seeds", action="store_true",
                    help="run each scenario once, at the fixed seed of its test"
                         " (11, 12, 21, 31, 41), instead of --seeds")
    ap.add_argument("--checks", default="",
                    help="comma-separated scenarios or checks to run (default all: "
                         + ", ".join(k for k, _, _ in SCENARIOS) + ")")
    ap.add_argument("--out", type=Path, help="write the raw results as JSON here")
    ap.add_argument("--quiet", action="store_true", help="no per-run progress lines")
    ap.add_argument("--table-from", type=Path, metavar="FILE",
                    help="run nothing: print the table of a study saved with --out")
    args = ap.parse_args()
    if args.table_from:
        doc = json.loads(args.table_from.read_text())
        tests = {k: [(r["seed"], r["passed"]) for r in v] for k, v in doc["tests"].items()}
        seeds = sorted({s for v in tests.values() for s, _ in v})
        title = (f"Theory checks over seeds ({doc['archsim']}, {doc['archsim_version']},"
                 f" seeds {seeds[0]}-{seeds[-1]}, {doc['date_utc'][:10]})")
        report(doc["results"], tests, title, doc["t975"])
        return
    if args.seeds < 1:
        ap.error("--seeds must be at least 1")
    if not args.archsim.is_file():
        sys.exit(f"error: no binary at {args.archsim} (cargo build --release first)")
    picks = [p.strip() for p in args.checks.split(",") if p.strip()]
    all_keys = [c[0] for _, _, cs in SCENARIOS for c in cs]
    for p in picks:
        if not any(selected(k, [p]) for k in all_keys):
            ap.error(f"--checks: {p!r} names no scenario or check (see the table's names)")

    t = t_quantile_975(REPLICATIONS - 1)
    version = subprocess.run([str(args.archsim), "--version"], capture_output=True,
                             text=True).stdout.strip()
    sha = hashlib.sha256(args.archsim.read_bytes()).hexdigest()
    results = {}  # check key -> list of per-seed records
    test_pass = {}  # scenario -> list of (seed, every selected check passed)
    runs = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="theory-coverage-") as tmp:
        for key, toml, checks in SCENARIOS:
            checks = [c for c in checks if selected(c[0], picks)]
            if not checks:
                continue
            seeds = ([TEST_SEEDS[key]] if args.test_seeds
                     else range(args.first_seed, args.first_seed + args.seeds))
            for seed in seeds:
                summary, wall = run_one(args.archsim, toml(seed), seed, tmp)
                ok_all = True
                fails = []
                for ck, kind, get, theory, slack in checks:
                    ok, z, detail = evaluate(kind, get(summary), theory, slack, t)
                    results.setdefault(ck, []).append(
                        dict(detail, seed=seed, passed=ok, z=z))
                    ok_all &= ok
                    if not ok:
                        fails.append(f"{ck.split('/', 1)[1]} (z {z:+.2f})")
                test_pass.setdefault(key, []).append((seed, ok_all))
                runs.append({"scenario": key, "seed": seed, "wall_s": wall})
                if not args.quiet:
                    print(f"  {key:<8} seed {seed:>4}  {wall:6.1f} s  "
                          f"{'pass' if ok_all else 'FAIL ' + ', '.join(fails)}",
                          file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - started

    title = f"Theory checks over seeds ({args.archsim}, {version})"
    table = report(results, test_pass, title, t)
    print(f"\n{len(runs)} runs in {elapsed / 60:.1f} min")

    if args.out:
        doc = {
            "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "archsim": str(args.archsim), "archsim_version": version,
            "archsim_sha256": sha,
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                        "python": platform.python_version()},
            "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
            "replications": REPLICATIONS, "t975": t, "elapsed_s": elapsed,
            "table": table,
            "tests": {k: [{"seed": s, "passed": ok} for s, ok in ps]
                      for k, ps in test_pass.items()},
            "results": results, "runs": runs,
        }
        args.out.write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
