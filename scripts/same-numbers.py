#!/usr/bin/env python3
"""Same numbers as a previous commit: runs every shipped scenario (short runs) and one
sweep with two archsim builds and compares their JSON field by field.

    scripts/same-numbers.py BASE_REV            # builds BASE_REV in a worktree
    scripts/same-numbers.py --base-bin PATH      # or uses a binary already built

The current build is `target/release/archsim` (built here), or `--new-bin PATH`. The one
documented shape change is normalised: before 0.2 a run without [compare] printed its
summary at the top level; it is now an experiment with one variant
(`variants[0].summary`, `flow: null`, `slo: [...]`). Exit 1 on any other difference.
"""
import argparse, json, math, os, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARGS = ["--duration", "2m", "--replications", "2", "--quiet"]


def scenarios():
    out = []
    for d, _, fs in os.walk(os.path.join(ROOT, "scenarios")):
        out += [os.path.relpath(os.path.join(d, f), ROOT) for f in fs if f.endswith(".toml")]
    return sorted(out)


def build_rev(rev, work):
    tree = os.path.join(work, "base")
    subprocess.run(["git", "-C", ROOT, "worktree", "add", "--detach", tree, rev], check=True,
                   stdout=subprocess.DEVNULL)
    # The base builds into its own tree, whatever CARGO_TARGET_DIR says: a shared target
    # directory would have the current build overwrite it (and compare it with itself).
    env = dict(os.environ, CARGO_TARGET_DIR=os.path.join(tree, "target"))
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=tree, check=True, env=env)
    return os.path.join(tree, "target", "release", "archsim"), tree


def run(binary, args, out):
    subprocess.run([binary] + args + ["--json", out], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out) as f:
        return json.load(f)


def normalise(doc):
    """A pre-0.2 single-run document in the experiment shape."""
    if "variants" in doc or "points" in doc:
        return doc
    entry = doc["flows"][0]["entry"] if doc.get("flows") else None
    return {"scenario": doc["scenario"], "archsim_version": doc["archsim_version"],
            "seed": doc["seed"], "flow": None,
            "variants": [{"name": "as written", "entry": entry, "summary": doc}],
            "slo": ADDED}


# A field the new shape adds: any value matches it.
ADDED = "<added: single runs carry their SLO verdicts too>"


def diff(a, b, path, out):
    if a == ADDED:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append(f"{path}.{k}: only in {'new' if k in b else 'base'}")
            else:
                diff(a[k], b[k], f"{path}.{k}", out)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append(f"{path}: {len(a)} items in base, {len(b)} in new")
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, f"{path}[{i}]", out)
    elif isinstance(a, float) or isinstance(b, float):
        if not (a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))):
            out.append(f"{path}: {a!r} -> {b!r}")
    elif a != b:
        out.append(f"{path}: {a!r} -> {b!r}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("rev", nargs="?")
    p.add_argument("--base-bin")
    p.add_argument("--new-bin", help="the current build to compare (default: target/release/archsim, built)")
    o = p.parse_args()
    work = tempfile.mkdtemp(prefix="same-numbers-")
    tree = None
    if o.base_bin:
        base = o.base_bin
    elif o.rev:
        base, tree = build_rev(o.rev, work)
    else:
        p.error("give BASE_REV or --base-bin")
    if o.new_bin:
        new = o.new_bin
    else:
        target = os.path.join(ROOT, os.environ.get("CARGO_TARGET_DIR", "target"))
        new = os.path.join(target, "release", "archsim")
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    cases = [(s, ["run", s] + ARGS) for s in scenarios()]
    cases.append(("sweep of checkout-sync", ["sweep", "scenarios/checkout-sync.toml", "--set",
                  "workload.0.arrivals.poisson=20,40"] + ARGS))
    failed = 0
    for name, args in cases:
        try:
            a = normalise(run(base, args, os.path.join(work, "a.json")))
        except subprocess.CalledProcessError:
            # A scenario added since the base (with keys it does not know): nothing to
            # compare with.
            print(f"{name}: new (the base build refuses it)")
            continue
        b = run(new, args, os.path.join(work, "b.json"))
        out = []
        diff(a, b, "$", out)
        status = "same" if not out else f"{len(out)} difference(s)"
        print(f"{name}: {status}")
        for line in out[:20]:
            print("   ", line)
        failed += bool(out)
    if tree:
        subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", tree], check=False)
    print("ALL SAME" if not failed else f"{failed} case(s) differ")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
