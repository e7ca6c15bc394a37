#!/bin/sh
# Print the CPython that `make install` builds .venv on: of the CPython 3.11 and 3.12 interpreters
# on PATH that can make a venv and build C extensions (durable-rules compiles its C core, and does
# not build on 3.13), the fastest.
#
# Why time them: how CPython was built changes the service's cost more than anything left in our
# own code. A distribution's build (PGO + LTO, interpreter linked into the executable) spent 14%
# less CPU per gRPC call than pyenv's default build on the project's machine, and met the p99
# target about twice as often (docs/service.md, "The interpreter"). The build flags that would say
# so are not reliably visible (Debian keeps its LTO flags out of sysconfig), so the candidates race
# on the same small workload (step 2). A candidate within 3% of the fastest counts as equally fast,
# and then PATH order decides.
#
#   sh scripts/pick-python.sh        # the path, on stdout
#   sh scripts/pick-python.sh -v     # also every candidate and its relative lap time, on stderr
#
# `make PYTHON=/path/to/python3.11 install` skips this and uses that interpreter.
set -u

verbose=0
[ "${1:-}" = "-v" ] && verbose=1

# prints "<real path> <version>", or exits 1 if this interpreter cannot serve
probe='
import os, sys
if sys.implementation.name != "cpython" or not (3, 11) <= sys.version_info[:2] < (3, 13):
    sys.exit(1)
import sysconfig, venv, ensurepip  # Debian ships venv apart (python3.X-venv): without it, no pip
if not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")):
    sys.exit(1)  # durable-rules compiles its C core against these headers (python3.X-dev)
print(os.path.realpath(sys.executable), sys.version.split()[0])
'

# 1. the candidates, in PATH order, each interpreter once (a pyenv shim and the binary it runs
#    are the same interpreter)
found=""
old_ifs=$IFS
IFS=:
for dir in $PATH; do
    IFS=$old_ifs
    for name in python3.12 python3.11 python3; do
        exe="${dir:-.}/$name"
        [ -x "$exe" ] || continue
        line=$("$exe" -c "$probe" 2>/dev/null) || continue
        case $line in  # what the probe prints, and nothing else (a wrapper may print anything)
            /*" 3.1"[12].*) ;;
            *) continue ;;
        esac
        case $line in *"
"*) continue ;; esac
        real=${line% *}
        case $real in *" "*) continue ;; esac  # the list below is split on spaces
        case " $found " in *" $real "*) continue ;; esac
        found="$found $real"
        [ "$verbose" = 1 ] && echo "candidate: $exe -> $real (Python ${line##* })" >&2
    done
done
IFS=$old_ifs

if [ -z "$found" ]; then
    echo "error: need CPython 3.11 or 3.12 on PATH with its venv module and C headers (durable-rules" >&2
    echo "       compiles a C core and does not build on 3.13; on Debian/Ubuntu:" >&2
    echo "       apt-get install python3.11-venv python3.11-dev)" >&2
    exit 1
fi
set -- $found
if [ $# -eq 1 ]; then
    echo "$1"
    exit 0
fi

# 2. a race: each candidate runs the same lap in a process of its own, kept running, and the laps
#    alternate (A B, B A, A B, ...) so that each pair of laps is milliseconds apart and a slow
#    stretch of a shared machine slows both alike. Each candidate's speed is the median, over 31
#    rounds, of its lap over the first candidate's lap in the same round. Run by the first candidate.
race_failed() {
    echo "warning: could not time the interpreters; taking the first on PATH, $1" >&2
    echo "$1"
}
"$1" - "$verbose" "$@" <<'RACE' || race_failed "$1"
import statistics, subprocess, sys

WORKER = """
import sys, time
def work(n):
    table = {}
    for i in range(n):
        key = f"k{i % 97}"
        table[key] = table.get(key, 0) + len(key) * (i % 7)
    return sorted(table.items())
for _ in sys.stdin:
    started = time.perf_counter()
    work(15_000)
    print(time.perf_counter() - started, flush=True)
"""
verbose, exes = sys.argv[1] == "1", sys.argv[2:]
procs = [subprocess.Popen([exe, "-c", WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
         for exe in exes]


def lap(i):
    procs[i].stdin.write("\n")
    procs[i].stdin.flush()
    return float(procs[i].stdout.readline())


for i in range(len(exes)):  # warm-up
    lap(i), lap(i)
ratios = [[] for _ in exes]
for round_ in range(31):
    order = list(range(len(exes)))
    if round_ % 2:
        order.reverse()
    laps = {i: lap(i) for i in order}
    for i in range(len(exes)):
        ratios[i].append(laps[i] / laps[0])
for p in procs:
    p.stdin.close()
    p.wait()
speed = [statistics.median(r) for r in ratios]
fastest = min(speed)
for exe, s in zip(exes, speed):
    if verbose:
        print(f"lap time relative to the first: {s:.3f}  {exe}", file=sys.stderr)
print(next(exe for exe, s in zip(exes, speed) if s <= fastest * 1.03))
RACE
