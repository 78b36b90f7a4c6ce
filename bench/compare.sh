#!/usr/bin/env bash
# bench/compare.sh OLD_BUILD NEW_BUILD: is a change slower? Runs the
# hypercall-path guest benchmarks (pvbench) and the block benchmark
# (bench/blk.sh) from two build directories, alternating OLD and NEW
# ROUNDS times in one run, and prints per metric the medians and NEW/OLD.
# Build the old tree yourself, e.g.:
#   git worktree add /tmp/old REV && make -C /tmp/old all
#   bench/compare.sh /tmp/old/build build
# Environment: ROUNDS (5), MS (blk milliseconds per test, 500), OLD_FLAGS
# and NEW_FLAGS (more `pvisor run` options per side: one build compared
# with itself, e.g. NEW_FLAGS= OLD_FLAGS=--no-seccomp bench/compare.sh build build).
set -euo pipefail
cd "$(dirname "$0")/.."
(($# == 2)) || { echo "usage: bench/compare.sh OLD_BUILD NEW_BUILD" >&2; exit 2; }
old=$1 new=$2
ROUNDS=${ROUNDS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for b in "$old" "$new"; do
	for f in pvisor guest/bench/guests/pvbench.elf guest/bench/guests/blkbench.elf; do
		[[ -f $b/$f ]] || { echo "bench/compare.sh: $b/$f is missing" >&2; exit 1; }
	done
done

# run_side BUILD TAG ROUND: one round of both benchmarks, RESULT lines kept.
run_side() {
	local b=$1 tag=$2 r=$3 flags
	[[ $tag == old ]] && flags=${OLD_FLAGS:-} || flags=${NEW_FLAGS:-}
	# shellcheck disable=SC2086 # flags: several options, word-split
	timeout 900 "$b/pvisor" run $flags --mem 256M --timeout 800 "$b/guest/bench/guests/pvbench.elf" |
		awk '$1 == "RESULT" { print $2, $3 }' >"$work/$tag.pv.$r"
	RUN_FLAGS=$flags B=$b ROUNDS=1 MS=${MS:-500} SIZE=64M bash bench/blk.sh 2>/dev/null |
		awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^guest=/) print $1, substr($i, 7) }' >"$work/$tag.blk.$r"
}

for ((r = 1; r <= ROUNDS; r++)); do
	echo "bench/compare.sh: round $r of $ROUNDS" >&2
	run_side "$old" old "$r"
	run_side "$new" new "$r"
done

# median TAG METRIC
median() {
	cat "$work/$1".*.* | awk -v k="$2" '$1 == k { print $2 }' | sort -g |
		awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "| metric | old | new | new/old |"
echo "|---|---|---|---|"
cat "$work"/new.*.1 | awk '{ print $1 }' | while read -r m; do
	o=$(median old "$m") n=$(median new "$m")
	[[ -n $o && -n $n ]] || continue
	awk -v m="$m" -v o="$o" -v n="$n" 'BEGIN { printf "| %s | %.4g | %.4g | %s |\n", m, o, n, (o != 0) ? sprintf("%.3f", n / o) : "-" }'
done
