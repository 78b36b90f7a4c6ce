#!/usr/bin/env bash
# bench/net.sh: the network benchmark. In one run: the host-to-host veth
# baseline (bench/net_host.sh), then a guest behind a TAP (netbench.elf,
# one boot per figure, each in a fresh network namespace) against the
# namespace's host side (bench/net_peer.c):
#   tx   guest -> host: UDP in 64- and 1500-byte frames for SECONDS; counted
#        by a UDP socket on the host, like the veth sink (pvisor's --stats
#        in tx_*.err count the frames it wrote to the TAP)
#   rx   host -> guest: the host streams with sendmmsg; the guest counts
#   rtt  UDP ping-pong in 64-byte frames, the guest answering; once as
#        the driver comes (no polling), once with its 50 µs polling window
#        (rtt_poll_us)
# and prints, per metric, one machine-readable line
#   net_<metric> guest=<v> veth=<v> ratio=<v> exits_per_pkt=<v>
# ratio is guest/veth for rates and veth/guest for round trips, so above
# 1 is better than veth either way (the target is >= 0.5). Raw output
# stays in $B/bench/net/.
#
#   bash bench/net.sh [SECONDS [REPEATS]]   (defaults 1 and 3; B=build; root)
#
# Each figure is the median of REPEATS runs, the veth baseline taken in
# the same rounds, so that a noisy host hits both sides alike.
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
seconds=${1:-1}
repeats=${2:-3}
out=$B/bench/net
source tests/net/netns.sh

TAP=pvtap0
GUEST_IP=10.0.2.15
HOST_CIDR=10.0.2.2/24
GUEST_MAC=52:54:00:12:34:56
SINK_PORT=9009
IMG=$B/guest/bench/guests/netbench.elf

if ! reason=$(net_available); then
	echo "bench: net skipped: $reason" >&2
	exit 0
fi
for f in "$B/pvisor" "$IMG"; do
	[[ -f $f ]] || { echo "bench: net: $f is not built (make all)" >&2; exit 1; }
done
mkdir -p "$out"
trap net_teardown EXIT
trap 'exit 130' INT TERM
gcc -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o "$out/net_peer" bench/net_peer.c

# ---- one guest run ------------------------------------------------------------

# boot LABEL CMDLINE: netbench in a new namespace ($ns, pid $pid), the
# TAP's host end up, a permanent neighbour entry for the guest.
boot() {
	local label=$1 cmdline=$2
	net_setup ns
	ip netns exec "$ns" sysctl -q -w net.ipv6.conf.default.disable_ipv6=1
	net_start pid "$ns" bash -c 'o=$1; shift; exec "$@" >"$o.out" 2>"$o.err"' _ "$out/$label" \
		timeout -k 5 $((seconds + 40)) "$B/pvisor" run --stats --timeout $((seconds + 30)) \
		--net "tap=$TAP" --cmdline "$cmdline" "$IMG"
	net_wait_link "$ns" "$TAP" 10 "$pid"
	net_configure_host_end "$ns" "$TAP" "$HOST_CIDR"
	ip -n "$ns" neigh replace "$GUEST_IP" lladdr "$GUEST_MAC" dev "$TAP" nud permanent
}

finish() {  # LABEL: waits for the guest, then removes the namespace
	local rc=0
	wait "$pid" || rc=$?
	net_teardown
	if [[ $rc -ne 0 ]]; then
		echo "bench: net: $1: pvisor exited $rc:" \
			"$(tail -n 2 "$out/$1.out" "$out/$1.err" | tr '\n' '|')" >&2
		return 1
	fi
}

# Field K of the guest's "RESULT guest_..." line: 3 packets, 5 seconds, 7 exits/packet.
guest_result() {  # LABEL K
	awk -v k="$2" '$1 == "RESULT" { print $k; exit }' "$out/$1.out"
}

# ---- the measurements: each appends "METRIC VALUE EXITS_PER_PKT" to $figs ----

# pps and Mbit/s of PACKETS frames of FRAME bytes in the guest's window.
record_rate() {  # DIR FRAME PACKETS LABEL
	local secs epp
	secs=$(guest_result "$4" 5)
	epp=$(guest_result "$4" 7)
	awk -v m="$1" -v f="$2" -v p="$3" -v s="$secs" -v e="$epp" 'BEGIN {
		pps = s > 0 ? p / s : 0
		printf "%s_pps_%s %.1f %s\n", m, f, pps, e
		printf "%s_mbps_%s %.1f %s\n", m, f, pps * f * 8 / 1e6, e }' >>"$figs"
}

measure_tx() {  # FRAME RUN
	local frame=$1 label=tx_$1_$2 sink
	boot "$label" "mode=tx frame=$frame seconds=$seconds"
	net_start sink "$ns" bash -c 'exec "$@" >"$0"' "$out/$label.sink" \
		"$out/net_peer" sink "$SINK_PORT" "$frame" $((seconds + 10))
	wait "$sink" || true
	finish "$label"
	# Counted where veth's sink counts: frames that reached a UDP socket.
	record_rate tx "$frame" "$(awk '{ print $3 }' "$out/$label.sink")" "$label"
}

measure_rx() {  # FRAME RUN
	local frame=$1 label=rx_$1_$2 stream
	boot "$label" "mode=rx frame=$frame seconds=$seconds"
	net_start stream "$ns" bash -c 'exec "$@" >"$0" 2>&1' "$out/$label.stream" \
		"$out/net_peer" stream "$GUEST_IP" "$SINK_PORT" "$frame" $((seconds + 3))
	wait "$stream" || true
	finish "$label"
	record_rate rx "$frame" "$(guest_result "$label" 3)" "$label"
}

measure_rtt() {  # RUN [POLL_US]
	local label=rtt_$1_${2:-0} metric=rtt_us
	[[ ${2:-0} -ne 0 ]] && metric=rtt_poll_us
	boot "$label" "mode=echo seconds=$((seconds + 4)) poll_us=${2:-0}"
	ip netns exec "$ns" "$out/net_peer" rtt "$GUEST_IP" 7 "$seconds" >"$out/$label.peer"
	finish "$label"
	echo "$metric $(awk '{ print $3 }' "$out/$label.peer") $(guest_result "$label" 7)" >>"$figs"
}

measure_veth() {  # RUN
	bash bench/net_host.sh "$seconds" >"$out/veth_$1.txt"
	awk '$1 == "RESULT" { print $2, $3 }' "$out/veth_$1.txt" >>"$out/veth_figures"
}

# ---- the lines -------------------------------------------------------------------

median() {  # reads numbers, prints their median
	sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print 0 }'
}

# METRIC VETH_NAME [inverse]: ratio guest/veth, or veth/guest for times.
line() {
	local g v e
	g=$(awk -v m="$1" '$1 == m { print $2 }' "$figs" | median)
	e=$(awk -v m="$1" '$1 == m { print $3 }' "$figs" | median)
	v=$(awk -v m="$2" '$1 == m { print $2 }' "$out/veth_figures" | median)
	awk -v m="$1" -v g="$g" -v v="$v" -v e="$e" -v inv="${3:-}" 'BEGIN {
		r = inv ? (g > 0 ? v / g : 0) : (v > 0 ? g / v : 0)
		printf "net_%s guest=%.1f veth=%.1f ratio=%.3f exits_per_pkt=%.4f\n", m, g, v, r, e }'
}

print_lines() {
	local frame dir
	for frame in 64 1500; do
		for dir in tx rx; do
			line "${dir}_pps_$frame" "veth_pps_$frame"
			line "${dir}_mbps_$frame" "veth_mbps_$frame"
		done
	done
	line rtt_us veth_rtt_us_median inverse
	line rtt_poll_us veth_rtt_us_median inverse
}

figs=$out/figures
: >"$figs"
: >"$out/veth_figures"
for ((run = 1; run <= repeats; run++)); do
	echo "bench: net: run $run of $repeats: veth baseline (bench/net_host.sh)..." >&2
	measure_veth "$run"
	for frame in 64 1500; do
		echo "bench: net: run $run: guest -> host, $frame-byte frames..." >&2
		measure_tx "$frame" "$run"
		echo "bench: net: run $run: host -> guest, $frame-byte frames..." >&2
		measure_rx "$frame" "$run"
	done
	echo "bench: net: run $run: UDP round trips (driver polling off, then on)..." >&2
	measure_rtt "$run"
	measure_rtt "$run" 50
done
print_lines | tee "$out/result.txt"
