#!/usr/bin/env bash
# bench/jail.sh: what `pvisor run --jail` adds to a boot (as root, with
# KVM; tests/nested/run on a host without). ROUNDS (11) alternating runs
# of a guest that exits at once (tests/guest/exit_status, status 42), with
# and without --jail; prints the median wall time of each and the
# difference: the supervisor's fork, the namespaces, the files kept open,
# pivot_root and the change of user. Steady-state costs (exits, disk I/O)
# run on the same descriptors either way: bench/compare.sh with
# NEW_FLAGS=--jail measures those.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-11}
B=${B:-build}
img=$B/guest/tests/guest/exit_status.elf
[[ $(id -u) == 0 ]] || { echo "bench/jail.sh: needs root (the jail does)" >&2; exit 1; }
work=$(mktemp -d "$B/jailbench.XXXXXX")
trap 'rm -rf "$work"' EXIT
truncate -s 16M "$work/disk.img"

one() {  # FLAGS...: wall milliseconds of one boot
	local t0 t1 rc=0
	t0=$(date +%s%N)
	"$B/pvisor" run --timeout 60 --disk "$work/disk.img" "$@" "$img" >/dev/null 2>&1 || rc=$?
	t1=$(date +%s%N)
	[[ $rc == 42 ]] || { echo "bench/jail.sh: the guest exited $rc" >&2; exit 1; }
	echo $(((t1 - t0) / 1000))
}

for ((r = 0; r < ROUNDS; r++)); do
	echo "plain $(one)"
	echo "jail $(one --jail)"
done >"$work/out"
median() { awk -v k="$1" '$1 == k { print $2 }' "$work/out" | sort -n |
	awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
p=$(median plain) j=$(median jail)
awk -v p="$p" -v j="$j" -v n="$ROUNDS" 'BEGIN {
	printf "jail boot-to-exit (median of %d): plain %.1f ms, --jail %.1f ms, +%.1f ms (%.2fx)\n",
		n, p / 1000, j / 1000, (j - p) / 1000, j / p }'
