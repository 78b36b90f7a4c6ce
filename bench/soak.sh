#!/usr/bin/env bash
# bench/soak.sh: N create/destroy cycles of a small guest through one
# `pvisor daemon` (docs/benchmarks.md, "Soak"). Each cycle creates a 16 MiB
# domain running tests/daemon/sleeper.elf, waits for its guest to come up
# and destroys it (tests/daemon/soak_lib.sh, shared with the test suite's
# daemon/soak-cycles). Before, every EVERY cycles and after, it samples the
# daemon's descriptors, threads and RSS, the host's MemAvailable, and the
# pvisor processes, domain cgroups and state files left over; it prints
# the samples and the growth, and exits 1 if the daemon's descriptors or
# threads grew or anything was left behind (memory is reported, not
# judged). MAX_SECONDS, if given, stops the run early after that much wall
# time (it decides how many cycles run, never the result).
# Needs /dev/kvm (under tests/nested/run on a host without).
#   bench/soak.sh [N [MAX_SECONDS [EVERY]]]
set -uo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
IMG=$B/guest/tests/daemon/sleeper.elf
CGROUP=pvisor-soak-$$
N=${1:-10000}
MAX_SECONDS=${2:-0}
EVERY=${3:-100}
source bench/daemon_env.sh
source tests/daemon/soak_lib.sh

bench_daemon "$CGROUP"
[[ -S $PVISOR_SOCKET ]] || { echo "soak: the daemon did not start: $(cat "$work/daemon.err")" >&2; exit 1; }
state=$work/state
sample() { soak_sample "$dpid" "$state" "$CGROUP"; }

echo "host: $(uname -r), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "daemon: $(grep -m1 -i 'cgroup\|enforced' "$work/daemon.err" || echo "cgroups in use")"
echo "columns: cycle seconds | daemon fds threads rss_kib | host memavail_kib | left: procs cgroups files"
fresh=$(sample)
echo "sample fresh 0 | $fresh"
# One warm-up cycle: the daemon's first domain opens what it keeps for
# good (the cgroup parent's descriptors, libraries loaded on first use).
soak_cycle "$PVISOR_SOCKET" "$B/pvisor" "$state" "$IMG" || { echo "soak: warm-up: $soak_why" >&2; exit 1; }
before=$(sample)
echo "sample 0 0 | $before"
start=$SECONDS
done_cycles=0 failures=0
for ((i = 1; i <= N; i++)); do
	if ! soak_cycle "$PVISOR_SOCKET" "$B/pvisor" "$state" "$IMG"; then
		failures=$((failures + 1))
		echo "soak: cycle $i: $soak_why" >&2
		((failures >= 10)) && { echo "soak: 10 failed cycles, stopping" >&2; break; }
	fi
	done_cycles=$i
	((i % EVERY == 0)) && echo "sample $i $((SECONDS - start)) | $(sample)"
	((MAX_SECONDS > 0 && SECONDS - start >= MAX_SECONDS)) && break
done
elapsed=$((SECONDS - start))
after=$(sample)
echo "sample end $elapsed | $after"

read -r f0 t0 r0 m0 _ <<<"$before"
read -r f1 t1 r1 m1 p1 c1 s1 <<<"$after"
per=$(awk -v s="$elapsed" -v n="$done_cycles" 'BEGIN { printf "%.2f", n ? s / n : 0 }')
echo "RESULT soak_cycles $done_cycles failed $failures seconds $elapsed per_cycle_s $per"
echo "RESULT soak_daemon fds $f0 -> $f1 threads $t0 -> $t1 rss_kib $r0 -> $r1 ($((r1 - r0)))"
echo "RESULT soak_host memavail_kib $m0 -> $m1 ($((m1 - m0)))"
echo "RESULT soak_left procs $p1 cgroups $c1 state_files $s1"
why=
((failures)) && why+=" $failures cycles failed;"
((f1 != f0)) && why+=" daemon fds $f0 -> $f1;"
((t1 != t0)) && why+=" daemon threads $t0 -> $t1;"
((p1)) && why+=" $p1 pvisor processes left;"
((c1)) && why+=" $c1 domain cgroups left;"
((s1)) && why+=" $s1 state files left;"
if [[ -n $why ]]; then
	echo "soak: FAIL:$why"
	exit 1
fi
echo "soak: PASS: $done_cycles cycles, nothing grew or was left behind"
