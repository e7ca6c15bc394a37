#!/bin/sh
# Print the CPython that `make install` builds .venv on: of the CPython 3.11 and 3.12 interpreters
# on PATH that can make a venv and build C extensions (durable-rules compiles its C core, and does
# not build on 3.13), the fastest.
#
# Why time them: how CPython was built changes the service's cost more than anything left in our
# own code. A distribution's build (PGO + LTO, interpreter linked into the executable) spent 14%
# less CPU per gRPC call than pyenv's default build on the project's machine, and met the p99
# target about twice as often (docs/service.md, "The interpreter"). The build flags that would say
# so are not reliably visible (Debian keeps its LTO flags out of sysconfig), so each candidate runs
# the same small workload; the candidates take turns, three rounds, so that a slow stretch of a
# shared machine falls on all of them alike, and each keeps its best lap. A candidate within 3% of
# the fastest counts as equally fast, and then PATH order decides.
#
#   sh scripts/pick-python.sh        # the path, on stdout
#   sh scripts/pick-python.sh -v     # also every candidate and its best lap, on stderr
#
# `make PYTHON=/path/to/python3.11 install` skips this and uses that interpreter.
set -u

verbose=0
[ "${1:-}" = "-v" ] && verbose=1

# prints "<best lap in seconds> <real path> <version>", or exits 1 if this interpreter cannot serve
probe='
import os, sys, time
if sys.implementation.name != "cpython" or not (3, 11) <= sys.version_info[:2] < (3, 13):
    sys.exit(1)
import sysconfig, venv, ensurepip  # Debian ships venv apart (python3.X-venv): without it, no pip
if not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")):
    sys.exit(1)  # durable-rules compiles its C core against these headers (python3.X-dev)
def work(n):
    table = {}
    for i in range(n):
        key = f"k{i % 97}"
        table[key] = table.get(key, 0) + len(key) * (i % 7)
    return sorted(table.items())
def lap():
    started = time.perf_counter()
    work(40_000)
    return time.perf_counter() - started
laps = int(sys.argv[1])
best = min(lap() for _ in range(laps)) if laps else 0.0
print(f"{best:.6f}", os.path.realpath(sys.executable), sys.version.split()[0])
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
        line=$("$exe" -c "$probe" 0 2>/dev/null) || continue
        case $line in  # what the probe prints, and nothing else (a wrapper may print anything)
            [0-9]*" /"*" 3.1"[12].*) ;;
            *) continue ;;
        esac
        case $line in *"
"*) continue ;; esac
        real=${line#* }
        real=${real% *}
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

# 2. three rounds, each candidate in turn, three laps a turn
laps=""
for round in 1 2 3; do
    for exe in "$@"; do
        line=$("$exe" -c "$probe" 3 2>/dev/null) || continue
        laps="$laps$line
"
    done
done

# 3. the first candidate (PATH order) whose best lap is within 3% of the fastest
printf '%s' "$laps" | awk -v order="$found" -v verbose="$verbose" '
    { if (!($2 in best) || $1 < best[$2]) best[$2] = $1 }
    END {
        n = split(order, exe, " ")
        for (i = 1; i <= n; i++) if (exe[i] in best && (fastest == "" || best[exe[i]] < fastest)) fastest = best[exe[i]]
        for (i = 1; i <= n; i++) {
            if (!(exe[i] in best)) continue
            if (verbose == 1) printf "best lap: %s s  %s\n", best[exe[i]], exe[i] > "/dev/stderr"
            if (chosen == "" && best[exe[i]] <= fastest * 1.03) chosen = exe[i]
        }
        print chosen
    }
'
