#!/usr/bin/env bash
# bench/net_host.sh: runs the host baseline of the network benchmark
# (bench/net_host.c): a veth pair between two fresh network namespaces,
# 10.77.0.1/24 <-> 10.77.0.2/24, then UDP round trips and one-way streams
# across it. Prints RESULT lines; removes everything it created, also when
# interrupted. Needs root (or CAP_NET_ADMIN + CAP_SYS_ADMIN); elsewhere it
# says why on stderr and prints nothing.
#
#   bash bench/net_host.sh [SECONDS]     (B=build by default)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
seconds=${1:-1}
source tests/net/netns.sh

if ! reason=$(net_available); then
	echo "bench: net_host skipped: $reason" >&2
	exit 0
fi
trap net_teardown EXIT
mkdir -p "$B/bench"
gcc -std=gnu11 -O2 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-D_GNU_SOURCE -o "$B/bench/net_host" bench/net_host.c -lpthread

ns_a='' ns_b=''   # set by net_setup
net_setup ns_a
net_setup ns_b
ip -n "$ns_a" link add pvb0 type veth peer name pvb1 netns "$ns_b"
ip -n "$ns_a" addr add 10.77.0.1/24 dev pvb0
ip -n "$ns_b" addr add 10.77.0.2/24 dev pvb1
ip -n "$ns_a" link set pvb0 up
ip -n "$ns_b" link set pvb1 up

"$B/bench/net_host" "/run/netns/$ns_a" 10.77.0.1 "/run/netns/$ns_b" 10.77.0.2 "$seconds"
