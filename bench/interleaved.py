#!/usr/bin/env python3
"""Runs commands in alternating rounds and prints their medians and ratios.

hyperfine runs all the runs of one command, then all of the next: on a
shared machine whose speed drifts from one minute to the next, each command
then meets a different spell (the same ssot-lsp binary took 142 to 223 ms
within an hour on 2026-12-05, rg far less so). Here each round runs every
command once, in an order that flips from round to round, so the ratios
compare runs made side by side.

    bench/interleaved.py --rounds 20 --cwd target/bench/realistic-old \\
        rg='rg -l -F -e UnifiedWebSocketManager .' \\
        ssot-lsp='/abs/path/ssot-lsp check . --exit-zero --no-color'

Each command is split as a shell would (shlex) and run without a shell,
output discarded; wall time is measured around the process, CPU time (user
plus system) from its rusage. Two warm-up rounds are not counted. Exits
non-zero when a command fails. Standard library only.
"""

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time


def run_once(argv, cwd):
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"interleaved: `{shlex.join(argv)}` failed (exit {os.waitstatus_to_exitcode(status)})")
    return wall, usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--cwd", default=".")
    parser.add_argument("--json", help="also write the runs here")
    parser.add_argument("commands", nargs="+", metavar="NAME=COMMAND")
    args = parser.parse_args()
    commands = []
    for item in args.commands:
        name, separator, command = item.partition("=")
        if not separator or not name or not command:
            parser.error(f"expected NAME=COMMAND, got {item!r}")
        commands.append((name, shlex.split(command)))
    runs = {name: {"wall": [], "cpu": []} for name, _ in commands}
    for round_number in range(args.warmup + args.rounds):
        order = commands if round_number % 2 == 0 else commands[::-1]
        for name, argv in order:
            wall, cpu = run_once(argv, args.cwd)
            if round_number >= args.warmup:
                runs[name]["wall"].append(wall)
                runs[name]["cpu"].append(cpu)
    median = {name: (statistics.median(r["wall"]), statistics.median(r["cpu"])) for name, r in runs.items()}
    print(f"{args.rounds} rounds, each command once per round, the order flipped every round:\n")
    print("| command | wall median ms | wall p25 ms | wall p75 ms | CPU median ms |")
    print("|---|---:|---:|---:|---:|")
    for name, r in runs.items():
        quartiles = statistics.quantiles(r["wall"], n=4) if len(r["wall"]) > 1 else [r["wall"][0]] * 3
        print(f"| {name} | {median[name][0] * 1000:.1f} | {quartiles[0] * 1000:.1f} | {quartiles[2] * 1000:.1f} "
              f"| {median[name][1] * 1000:.1f} |")
    print()
    names = [name for name, _ in commands]
    for first in range(len(names)):
        for second in range(first + 1, len(names)):
            slow, fast = sorted((names[first], names[second]), key=lambda name: -median[name][0])
            print(f"{slow} / {fast}: {median[slow][0] / median[fast][0]:.2f}x by median wall time, "
                  f"{median[slow][1] / median[fast][1]:.2f}x in CPU")
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"rounds": args.rounds, "runs": runs}, out, indent=1)


if __name__ == "__main__":
    main()
