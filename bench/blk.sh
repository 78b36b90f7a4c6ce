#!/usr/bin/env bash
# bench/blk.sh: the block I/O benchmarks. Runs bench/guests/blkbench.c in
# a guest (through the virtio-blk frontend and backend) and
# bench/blk_host.c natively (io_uring) on the same file with a warm page
# cache, alternating, ROUNDS times each, and prints one machine-readable
# line per metric with the medians:
#
#   blk_<metric> guest=<v> host=<v> ratio=<guest/host> exits_per_req=<v>
#
# IOPS and MB/s: higher is better; *_us latencies: lower is better.
# Environment: B (build dir), ROUNDS (3), MS (milliseconds per test, 1000),
# SIZE (file size, 256M), POLL_NS (the guest's polling window, default the
# driver's), RUN_FLAGS (more `pvisor run` options, e.g. --no-seccomp). Needs liburing (make deps). The host should be otherwise idle:
# both sides need a CPU of their own (the guest two: vCPU and backend).
set -u
cd "$(dirname "$0")/.." || exit 1
B=${B:-build}
ROUNDS=${ROUNDS:-3}
MS=${MS:-1000}
SIZE=${SIZE:-256M}
POLL_NS=${POLL_NS:-}
RUN_FLAGS=${RUN_FLAGS:-}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

gcc -std=gnu11 -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -o "$work/blk_host" bench/blk_host.c \
	-luring || exit 1
for f in "$B/pvisor" "$B/guest/bench/guests/blkbench.elf"; do
	[[ -f $f ]] || { echo "bench/blk.sh: $f is missing (make all)" >&2; exit 1; }
done

img=$work/bench.img
head -c "$SIZE" /dev/urandom >"$img"
cat "$img" >/dev/null        # warm the page cache for both sides

for ((r = 1; r <= ROUNDS; r++)); do
	echo "bench/blk.sh: round $r of $ROUNDS" >&2
	# shellcheck disable=SC2086 # RUN_FLAGS: several options, word-split
	timeout 600 "$B/pvisor" run $RUN_FLAGS --mem 128M --timeout 500 --stats --disk "$img" \
		--cmdline "$MS ${POLL_NS:--}" "$B/guest/bench/guests/blkbench.elf" \
		>"$work/guest.out" 2>"$work/guest.err"
	grep '^RESULT' "$work/guest.out" >>"$work/guest.txt"
	timeout 600 "$work/blk_host" "$img" "$MS" >>"$work/host.txt"
done
echo "bench/blk.sh: last guest run: $(grep '^blkbench:' "$work/guest.out")" >&2
grep -E '^  (exits|device .* block)' "$work/guest.err" | sed 's/^/bench\/blk.sh:   /' >&2

# median FILE METRIC FIELD: the median of FIELD over the metric's lines.
median() {
	awk -v m="$2" -v f="$3" '$2 == m { print $f }' "$1" | sort -g |
		awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

awk '!seen[$2]++ { print $2 }' "$work/guest.txt" | while read -r metric; do
	g=$(median "$work/guest.txt" "$metric" 3)
	h=$(median "$work/host.txt" "$metric" 3)
	e=$(median "$work/guest.txt" "$metric" 5)
	awk -v m="$metric" -v g="$g" -v h="${h:-0}" -v e="$e" 'BEGIN {
		printf "%s guest=%.1f host=%.1f ratio=%.3f exits_per_req=%.4f\n", m, g, h,
			(h > 0 ? g / h : 0), e }'
done
