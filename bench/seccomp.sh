#!/usr/bin/env bash
# bench/seccomp.sh: the cost of pvisor's seccomp lists per system call,
# natively on this host (bench/seccomp_cost.c; no KVM needed). ROUNDS (5)
# alternating runs; prints the medians and the added ns per call.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gcc -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude -Ihv -o "$work/cost" \
	bench/seccomp_cost.c hv/lib/seccomp_policy.c hv/lib/log.c -lseccomp -lpthread
for ((r = 0; r < ROUNDS; r++)); do "$work/cost"; done >"$work/out"
median() {  # CONFIG KEY
	awk -v c="$1" -v k="$2" '$2 == c { for (i = 3; i <= NF; i++) if (index($i, k "=") == 1) print substr($i, length(k) + 2) }' \
		"$work/out" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
base_i=$(median none ioctl_ns) base_r=$(median none read_ns)
for c in none process process+guest-io; do
	i=$(median "$c" ioctl_ns) r=$(median "$c" read_ns)
	awk -v c="$c" -v i="$i" -v r="$r" -v bi="$base_i" -v br="$base_r" 'BEGIN {
		printf "seccomp %-17s ioctl(KVM_RUN) %6.1f ns (+%5.1f)   read %6.1f ns (+%5.1f)\n", c, i, i - bi, r, r - br }'
done
