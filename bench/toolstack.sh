#!/usr/bin/env bash
# bench/toolstack.sh: what the daemon's verbs cost and what they enforce,
# measured in one run on one daemon (docs/benchmarks.md, "Toolstack"):
#   - create to the guest's main (its first console line), and destroy,
#     over N domains one after another: median and p99;
#   - C creates at once: each client's wait for its reply, and the time
#     until every guest is up;
#   - CPU shares: two spinning domains with weights 256 and 768 for S
#     seconds (host CPU time of each process), then one capped at 25 %;
#   - pause: host CPU time a spinning domain uses while paused;
#   - mem-set 64M -> 16M: the domain process's RSS before and after.
# Needs /dev/kvm (under tests/nested/run on a host without).
#   bench/toolstack.sh [N] [S] [C]
set -uo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
N=${1:-40}
S=${2:-5}
C=${3:-100}
IMG=$B/guest/tests/daemon/sleeper.elf
source bench/daemon_env.sh

bench_daemon pvisor-bench

ns() { date +%s%N; }
# until FILE holds TEXT (polled every ms)
wait_text() {
	local until=$((SECONDS + 120))
	until grep -qF -- "$2" "$1" 2>/dev/null; do
		((SECONDS > until)) && { echo "bench: no '$2' in $1 after 120 s" >&2; exit 1; }
		sleep 0.001
	done
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
pct() { sort -n | awk -v p="$1" '{a[NR] = $1} END {i = int((NR - 1) * p / 100) + 1; print a[i]}'; }

echo "host: $(uname -r), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "daemon: $(grep -m1 -i 'cgroup\|enforced' "$work/daemon.err" || echo "cgroups in use")"

: >"$work/create.ms"; : >"$work/destroy.ms"
for ((i = 0; i < N; i++)); do
	t0=$(ns)
	id=$("$B/pvisor" create --name b --mem 16M "$IMG") || exit 1
	wait_text "$work/state/domains/$id.console" "up as domain"
	t1=$(ns)
	"$B/pvisor" destroy b
	t2=$(ns)
	echo "scale=2; ($t1 - $t0) / 1000000" | bc >>"$work/create.ms"
	echo "scale=2; ($t2 - $t1) / 1000000" | bc >>"$work/destroy.ms"
done
echo "RESULT create_to_main_ms median $(pct 50 <"$work/create.ms") p99 $(pct 99 <"$work/create.ms") (N=$N)"
echo "RESULT destroy_ms median $(pct 50 <"$work/destroy.ms") p99 $(pct 99 <"$work/destroy.ms") (N=$N)"

: >"$work/concurrent.ms"
t0=$(ns)
clients=()
for ((i = 0; i < C; i++)); do
	( s0=$(ns); "$B/pvisor" create --mem 16M "$IMG" >/dev/null && s1=$(ns) &&
	  echo "scale=2; ($s1 - $s0) / 1000000" | bc >>"$work/concurrent.ms" ) &
	clients+=($!)
done
wait "${clients[@]}"    # (a bare wait would wait for the daemon too)
for ((i = 1; i <= C; i++)); do wait_text "$work/state/domains/$i.console" "up as domain"; done
t1=$(ns)
echo "RESULT concurrent_creates $C replies_ms median $(pct 50 <"$work/concurrent.ms") p99 $(pct 99 <"$work/concurrent.ms") all_up_ms $(echo "scale=1; ($t1 - $t0) / 1000000" | bc) ok $(wc -l <"$work/concurrent.ms")"
for ((i = 1; i <= C; i++)); do "$B/pvisor" destroy "$i"; done

"$B/pvisor" create --name light --mem 16M --cmdline spin "$IMG" >/dev/null
"$B/pvisor" create --name heavy --mem 16M --cmdline spin "$IMG" >/dev/null
sleep 1
if "$B/pvisor" sched-credit --weight 256 light >/dev/null && "$B/pvisor" sched-credit --weight 768 heavy >/dev/null; then
	pl=$("$B/pvisor" list --json | python3 -c 'import json,sys; print({d["name"]: d["pid"] for d in json.load(sys.stdin)}["light"])')
	ph=$("$B/pvisor" list --json | python3 -c 'import json,sys; print({d["name"]: d["pid"] for d in json.load(sys.stdin)}["heavy"])')
	l0=$(cpu_ticks "$pl"); h0=$(cpu_ticks "$ph")
	sleep "$S"
	l1=$(cpu_ticks "$pl"); h1=$(cpu_ticks "$ph")
	echo "RESULT weights_256_768 cpu_ticks $((l1 - l0)) $((h1 - h0)) ratio $(echo "scale=2; ($h1 - $h0) / ($l1 - $l0)" | bc) (ideal 3.00 when both compete for one CPU)"
	"$B/pvisor" destroy heavy
	"$B/pvisor" sched-credit --cap 25 light >/dev/null
	l0=$(cpu_ticks "$pl"); t0=$(ns)
	sleep "$S"
	l1=$(cpu_ticks "$pl"); t1=$(ns)
	echo "RESULT cap_25 cpu_percent $(echo "scale=1; ($l1 - $l0) * 100 * 1000000000 / $(getconf CLK_TCK) / ($t1 - $t0)" | bc) (cap 25)"
	"$B/pvisor" sched-credit --cap 0 light >/dev/null
else
	echo "RESULT weights unavailable: $("$B/pvisor" sched-credit --weight 256 light 2>&1)"
	pl=$("$B/pvisor" list --json | python3 -c 'import json,sys; print({d["name"]: d["pid"] for d in json.load(sys.stdin)}["light"])')
	"$B/pvisor" destroy heavy
fi

"$B/pvisor" pause light
sleep 0.2
l0=$(cpu_ticks "$pl")
sleep "$S"
l1=$(cpu_ticks "$pl")
echo "RESULT paused_cpu_ticks $((l1 - l0)) over ${S} s (a running spinner: about $((S * $(getconf CLK_TCK))))"
"$B/pvisor" destroy light

"$B/pvisor" create --name mem --mem 64M --cmdline touch "$IMG" >/dev/null
wait_text "$work/state/domains/1.console" "touched"
pm=$("$B/pvisor" list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["pid"])')
r0=$(awk '/VmRSS/ {print $2}' "/proc/$pm/status")
t0=$(ns)
"$B/pvisor" mem-set mem 16M >/dev/null
until "$B/pvisor" info mem | grep -q '"mem_bytes":16777216'; do sleep 0.01; done
t1=$(ns)
r1=$(awk '/VmRSS/ {print $2}' "/proc/$pm/status")
echo "RESULT mem_set_64M_to_16M rss_kib $r0 $r1 in $(echo "scale=1; ($t1 - $t0) / 1000000" | bc) ms"
