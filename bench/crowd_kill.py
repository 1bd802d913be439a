"""A crowd of 10 whose worker is killed at a random moment, 20 times over (issue 16): does the
command always end, with every character made or listed? Prints one line per trial (when the
worker was killed, exit code, seconds, made, listed, files left in the temp folder) and the
totals.

    .venv/bin/python bench/crowd_kill.py [--trials 20] [--seed 0]
"""
import argparse
import os
import random
import shutil
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from tools import faults  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    command = shutil.which("likeness", path=os.path.dirname(sys.executable))
    rng = random.Random(args.seed)
    ok = hits = 0
    print(f"{'trial':>5} {'kill at s':>9} {'killed':>6} {'exit':>4} {'seconds':>7} {'made':>4} {'listed':>6} {'all 10':>6} {'temp left':>9}")
    for trial in range(1, args.trials + 1):
        tmp = tempfile.mkdtemp(prefix="likeness-kill-")
        env = {**os.environ, "TMPDIR": os.path.join(tmp, "tmp")}
        os.makedirs(env["TMPDIR"])
        delay = rng.uniform(0.5, 5.0)       # after the worker starts: loading models ... the last characters
        code, stderr, summary, seconds, killed = faults.crowd_with_killed_worker(
            command, os.path.join(tmp, "out"), delay, env=env)
        left = [n for n in os.listdir(env["TMPDIR"]) if n != "likeness-logs"]
        made = len(summary["characters"]) if summary else 0
        listed = len(summary["failed"]) if summary else 0
        complete = summary is not None and faults.accounted(summary) == list(range(10))
        ok += code is not None and complete and not left
        hits += killed
        print(f"{trial:5d} {delay:9.1f} {'yes' if killed else 'after':>6} {code if code is not None else 'hung':>4} {seconds:7.1f} {made:4d} "
              f"{listed:6d} {'yes' if complete else 'NO':>6} {len(left):9d}", flush=True)
        if code != 0:
            print("      " + stderr.strip().splitlines()[-1] if stderr.strip() else "      (no stderr)")
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"== {ok} of {args.trials} trials ended with every character made or listed and nothing left behind "
          f"(the worker was killed mid-crowd in {hits}; in the others the crowd had ended)")


if __name__ == "__main__":
    main()
