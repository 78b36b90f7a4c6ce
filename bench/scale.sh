#!/usr/bin/env bash
# bench/scale.sh: many idle domains under one daemon (docs/benchmarks.md,
# "Toolstack"): N sleepers of 16 MiB are created one after another; then
# the host's MemAvailable drop per domain, the domain processes' RSS and
# threads, `pvisor list` latency (median of 20) and the host CPU the idle
# domains and the daemon use over S seconds.
# Needs /dev/kvm (under tests/nested/run on a host without).
#   bench/scale.sh [N] [S]
set -uo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
N=${1:-100}
S=${2:-10}
IMG=$B/guest/tests/daemon/sleeper.elf
source bench/daemon_env.sh

avail_kib() { awk '/MemAvailable/ {print $2}' /proc/meminfo; }
ticks_all() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo $t; }

echo "host: $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo) MiB"
bench_daemon pvisor-scale
sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null
a0=$(avail_kib)
for ((i = 1; i <= N; i++)); do
	"$B/pvisor" create --mem 16M "$IMG" >/dev/null || { echo "create $i failed"; exit 1; }
done
deadline=$((SECONDS + 60 + N * 5))
for ((i = 1; i <= N; i++)); do
	until grep -q "up as domain" "$work/state/domains/$i.console" 2>/dev/null; do
		((SECONDS > deadline)) && { echo "bench: domain $i did not come up" >&2; exit 1; }
		sleep 0.05
	done
done
sleep 2
a1=$(avail_kib)
mapfile -t pids < <("$B/pvisor" list --json | python3 -c 'import json,sys; [print(d["pid"]) for d in json.load(sys.stdin)]')
rss=$(for p in "${pids[@]}"; do awk '/VmRSS/ {print $2}' "/proc/$p/status"; done | sort -n | awk '{a[NR] = $1} END {print a[int(NR / 2) + 1]}')
threads=$(awk '/Threads/ {print $2}' "/proc/${pids[0]}/status")
fds=$(ls "/proc/${pids[0]}/fd" | wc -l)
echo "RESULT idle_domains $N running $(${B}/pvisor list --json | grep -c '"running"')"
echo "RESULT mem_available_drop_per_domain_kib $(((a0 - a1) / N))"
echo "RESULT domain_rss_median_kib $rss threads $threads fds $fds"
for ((i = 0; i < 20; i++)); do
	t0=$(date +%s%N); "$B/pvisor" list >/dev/null; t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000))
done | sort -n | awk '{a[NR] = $1} END {printf "RESULT list_us median %d max %d (N=%d)\n", a[10], a[20], '"$N"'}'
for ((i = 0; i < 20; i++)); do
	t0=$(date +%s%N); "$B/pvisor" --version >/dev/null; t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000))
done | sort -n | awk '{a[NR] = $1} END {printf "RESULT pvisor_version_us median %d (the client process alone)\n", a[10]}'
c0=$(ticks_all "${pids[@]}" "$dpid"); t0=$(date +%s%N)
sleep "$S"
c1=$(ticks_all "${pids[@]}" "$dpid"); t1=$(date +%s%N)
echo "RESULT idle_cpu_percent_all $(echo "scale=2; ($c1 - $c0) * 100 * 1000000000 / $(getconf CLK_TCK) / ($t1 - $t0)" | bc) (N=$N, one CPU = 100)"
