# tests/suites/net.sh: the network frontend end to end (sourced by
# tests/run, which calls suite_net). Each test boots a guest with
# `--net tap=pvtap0` inside a throw-away network namespace
# (tests/net/netns.sh) and talks to it from the namespace's host side with
# bench/net_peer.c (or ping, if installed):
#   net/echo-*      netecho answers ARP, ping and UDP echo; its counters,
#                   the driver's and pvisor's --stats must agree
#   net/api         the frontend API without a peer (tests/netguests/net_api.c)
#   net/duplex      a sender and a receiver thread at once (net_duplex.c)
#   net/bigframe    frames spanning buffers (MRG_RXBUF), and dropped without
#   net/hostile/*   rule-breaking rings on the sanitizer build (net_hostile.c)
#   badinput/net-*  bad --net specs and a missing or fake /dev/net/tun
# Everything it creates (namespaces, TAPs, processes) is removed at the
# end, also when a test fails or the run is interrupted.

source tests/net/netns.sh

NET_TAP=pvtap0
NET_GUEST_IP=10.0.2.15
NET_HOST_IP=10.0.2.2
NET_HOST_CIDR=10.0.2.2/24
NET_GUEST_MAC=52:54:00:12:34:56     # pvisor's default for the first NIC
NET_PINGS=5
NET_DATAGRAMS=20

net_image() {  # PATH-WITHOUT-.c -> the built guest image
	echo "$B/guest/$1.elf"
}

# Builds the host-side tool into $tmp/net_peer.
net_build_peer() {
	gcc -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -o "$tmp/net_peer" \
		bench/net_peer.c 2>"$tmp/net_peer.err"
}

net_peer() {  # NS ARGS...
	local ns=$1
	shift
	ip netns exec "$ns" "$tmp/net_peer" "$@"
}

# A fresh namespace in $net_ns whose kernel stays quiet (no IPv6 chatter
# on the TAP, so every frame the guest sees is one the test sent).
net_new_namespace() {
	net_setup net_ns &&
		ip netns exec "$net_ns" sysctl -q -w net.ipv6.conf.default.disable_ipv6=1
}

# net_boot LABEL PV IMAGE SECONDS NETSPEC CMDLINE: pvisor (--stats,
# --timeout SECONDS, outer timeout) runs IMAGE with --net NETSPEC in a new
# namespace, in the background ($net_pid); stdout and stderr go to
# $tmp/LABEL.out and .err. Does not wait for the TAP.
net_boot() {
	local label=$1 pv=$2 img=$3 secs=$4 spec=$5 cmdline=$6
	net_pid=
	net_new_namespace || return 1
	net_start net_pid "$net_ns" bash -c 'out=$1; shift; exec "$@" >"$out.out" 2>"$out.err"' \
		_ "$tmp/$label" timeout -k 5 $((secs + 10)) "$pv" run --stats --timeout "$secs" \
		--net "$spec" ${cmdline:+--cmdline "$cmdline"} "$img"
}

# net_boot_linked ...: net_boot, then waits for the TAP and gives the host
# end 10.0.2.2/24 and a permanent neighbour entry for the guest (so the
# host never needs the guest to answer ARP).
net_boot_linked() {
	net_boot "$@" &&
		net_wait_link "$net_ns" "$NET_TAP" 10 "$net_pid" 2>>"$tmp/$1.err" &&
		net_configure_host_end "$net_ns" "$NET_TAP" "$NET_HOST_CIDR" &&
		ip -n "$net_ns" neigh replace "$NET_GUEST_IP" lladdr "$NET_GUEST_MAC" \
			dev "$NET_TAP" nud permanent
}

# net_wait_udp_port NS PORT: a UDP socket is bound to PORT in NS (at most 10 s).
net_wait_udp_port() {
	local i
	for ((i = 0; i < 200; i++)); do
		ip netns exec "$1" ss -Hlun "sport = :$2" 2>/dev/null | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

# Waits (up to 10 s) for TEXT in FILE.
net_wait_output() {  # FILE TEXT
	local i
	for ((i = 0; i < 200; i++)); do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		kill -0 "$net_pid" 2>/dev/null || break
		sleep 0.05
	done
	grep -qF -- "$2" "$1" 2>/dev/null
}

# Waits for pvisor to end; NET_RC = its exit status.
net_wait_guest() {
	wait "$net_pid"
	NET_RC=$?
}

# Ends the processes and the namespace of one test.
net_done() {
	net_teardown
}

net_sanitizer_report() {  # LABEL
	grep -q 'AddressSanitizer\|runtime error' "$tmp/$1.err"
}

# Field N (1-based) of the first line of FILE matching REGEX, split on
# spaces, parentheses and commas.
net_field() {  # FILE REGEX N
	grep -m1 -E -- "$2" "$1" | tr '(),' '   ' | awk -v n="$3" '{ print $n }'
}

# ---- echo: ARP, ICMP and UDP echo through netecho ----------------------------

net_ping() {  # NS COUNT -> "sent N received N"
	if command -v ping >/dev/null; then
		ip netns exec "$1" ping -n -q -c "$2" -i 0.2 -W 2 "$NET_GUEST_IP" |
			awk '/packets transmitted/ { print "sent " $1 " received " $4 }'
	else
		net_peer "$1" ping "$NET_GUEST_IP" "$2" 56 | sed 's/^ping: //'
	fi
}

# Checks netecho's counters against the traffic sent and pvisor's --stats.
# Prints why not, or nothing.
net_echo_counters_problem() {  # LABEL
	local out=$tmp/$1.out err=$tmp/$1.err arp icmp udp dropped rx tx rx_drop tx_drop drv_rx
	arp=$(net_field "$out" '^netecho: arp ' 3)
	icmp=$(net_field "$out" '^netecho: arp ' 5)
	udp=$(net_field "$out" '^netecho: arp ' 7)
	dropped=$(net_field "$out" '^netecho: arp ' 9)
	drv_rx=$(net_field "$out" '^netecho: driver rx ' 4)
	rx=$(net_field "$err" "^ +$NET_TAP: rx " 3)
	rx_drop=$(net_field "$err" "^ +$NET_TAP: rx " 5)
	tx=$(net_field "$err" "^ +$NET_TAP: rx " 8)
	tx_drop=$(net_field "$err" "^ +$NET_TAP: rx " 10)
	if [[ -z $arp || -z $rx ]]; then
		echo "no counters: $(tail -n 2 "$out" | tr '\n' '|') $(grep "$NET_TAP" "$err")"
	elif ((arp < 1 || icmp != NET_PINGS || udp != NET_DATAGRAMS)); then
		echo "netecho answered arp $arp icmp $icmp udp $udp," \
			"expected >=1 $NET_PINGS $NET_DATAGRAMS"
	elif ((tx != arp + icmp + udp || tx_drop != 0)); then
		echo "pvisor sent $tx frames ($tx_drop dropped), netecho $((arp + icmp + udp)) replies"
	elif ((rx != arp + icmp + udp + dropped || rx_drop != 0 || drv_rx != rx)); then
		echo "pvisor delivered $rx frames ($rx_drop dropped), the driver got $drv_rx," \
			"netecho saw $((arp + icmp + udp + dropped))"
	elif grep -q 'BROKEN' "$err"; then
		echo "the NIC broke: $(grep -m1 'broke' "$err")"
	fi
}

net_echo_traffic_problem() {  # NS
	local ping udp
	ping=$(net_ping "$1" "$NET_PINGS")
	if [[ $ping != "sent $NET_PINGS received $NET_PINGS" ]]; then
		echo "ping: ${ping:-no output}"
	elif ! ip -n "$1" neigh show "$NET_GUEST_IP" | grep -q "lladdr $NET_GUEST_MAC"; then
		echo "ARP did not resolve $NET_GUEST_IP: $(ip -n "$1" neigh show)"
	elif ! udp=$(net_peer "$1" udp-echo "$NET_GUEST_IP" 7 "$NET_DATAGRAMS" 2>&1); then
		echo "UDP echo: $(echo "$udp" | head -n 3 | tr '\n' '|')"
	fi
}

# net_test_echo PV LABEL [COUNTERS]: COUNTERS LABEL prints what is wrong
# with the counters after the run (net_echo_counters_problem: netecho's,
# the driver's and pvisor's --stats; a PC without pvisor has only the first).
net_test_echo() {
	local pv=$1 name=net/echo-$2 label=echo-$2 counters=${3:-net_echo_counters_problem} count why
	wanted_guest "$name" || return 0
	count=$((1 + NET_PINGS + NET_DATAGRAMS))   # one ARP reply, then the echoes
	if ! net_boot "$label" "$pv" "$(net_image guest/apps/netecho)" 30 "tap=$NET_TAP" \
		"ip=$NET_GUEST_IP count=$count" ||
		! net_wait_link "$net_ns" "$NET_TAP" 10 "$net_pid" 2>/dev/null ||
		! net_configure_host_end "$net_ns" "$NET_TAP" "$NET_HOST_CIDR" ||
		! net_wait_output "$tmp/$label.out" 'netecho: ready'; then
		fail "$name" "guest did not come up: $(net_outputs "$label")"
		net_done
		return
	fi
	why=$(net_echo_traffic_problem "$net_ns")
	net_wait_guest
	if [[ -n $why ]]; then
		fail "$name" "$why"
	elif net_guest_verdict "$name" "$label" ""; then
		why=$("$counters" "$label")
		if [[ -n $why ]]; then fail "$name" "$why"; else pass "$name"; fi
	fi
	net_done
}

# ---- guests that test themselves ---------------------------------------------------

net_outputs() {  # LABEL: the end of stdout and the start of stderr, on one line
	echo "$(tail -n 3 "$tmp/$1.out" | tr '\n' '|') $(head -n 3 "$tmp/$1.err" | tr '\n' '|')"
}

# Common verdict: exit 0, the PASS line (if one is named), no sanitizer
# report; fails the test and returns 1 otherwise.
net_guest_verdict() {  # NAME LABEL PASSLINE
	if [[ $NET_RC -ne 0 ]]; then
		fail "$1" "exit $NET_RC: $(net_outputs "$2")"
	elif [[ -n $3 ]] && ! grep -q "^$3\$" "$tmp/$2.out"; then
		fail "$1" "no '$3' line: $(net_outputs "$2")"
	elif net_sanitizer_report "$2"; then
		fail "$1" "sanitizer report: $(grep -m1 'AddressSanitizer\|runtime error' "$tmp/$2.err")"
	else
		return 0
	fi
	return 1
}

# No peer: the TAP's host end stays down, so every frame is dropped by
# the backend; pvisor's count must match what the guest sent.
net_test_api() {
	local name=net/api label=api sent tx tx_drop
	wanted_guest "$name" || return 0
	net_boot "$label" "$PVSAN" "$(net_image tests/netguests/net_api)" 30 \
		"tap=$NET_TAP,mac=02:00:00:aa:bb:cc" ""
	net_wait_guest
	if net_guest_verdict "$name" "$label" "PASS net_api"; then
		sent=$(net_field "$tmp/$label.out" '^net_api: sent ' 3)
		tx=$(net_field "$tmp/$label.err" "^ +$NET_TAP: rx " 8)
		tx_drop=$(net_field "$tmp/$label.err" "^ +$NET_TAP: rx " 10)
		if [[ -z $sent || -z $tx ]] || ((tx + tx_drop != sent)); then
			fail "$name" "guest sent ${sent:-?} frames, pvisor counted ${tx:-?} + ${tx_drop:-?} dropped"
		else
			pass "$name"
		fi
	fi
	net_done
}

net_test_duplex() {  # PV LABEL
	local pv=$1 name=net/duplex-$2 label=duplex-$2 server  # net_start sets server
	wanted_guest "$name" || return 0
	# The echo server listens before the host end gets its address: the
	# guest can reach the host only after that, so no datagram of its
	# window is sent before the server is there, however slow the host.
	if ! net_boot "$label" "$pv" "$(net_image tests/netguests/net_duplex)" 60 \
		"tap=$NET_TAP" "ip=$NET_GUEST_IP host=$NET_HOST_IP port=7777 count=3000"; then
		fail "$name" "no namespace: $(net_outputs "$label")"
		net_done
		return
	fi
	net_start server "$net_ns" "$tmp/net_peer" udp-server 7777 60
	if ! net_wait_udp_port "$net_ns" 7777 ||
		! net_wait_link "$net_ns" "$NET_TAP" 10 "$net_pid" 2>>"$tmp/$label.err" ||
		! net_configure_host_end "$net_ns" "$NET_TAP" "$NET_HOST_CIDR" ||
		! ip -n "$net_ns" neigh replace "$NET_GUEST_IP" lladdr "$NET_GUEST_MAC" \
			dev "$NET_TAP" nud permanent; then
		fail "$name" "no TAP or no echo server: $(net_outputs "$label")"
		net_done
		return
	fi
	net_wait_guest
	net_guest_verdict "$name" "$label" "PASS net_duplex" && pass "$name"
	net_done
}

net_test_bigframe() {
	local name=net/bigframe label=bigframe sender dropped
	wanted_guest "$name" || return 0
	if ! net_boot_linked "$label" "$PVSAN" "$(net_image tests/netguests/net_bigframe)" 30 \
		"tap=$NET_TAP" "ip=$NET_GUEST_IP" ||
		! ip -n "$net_ns" link set "$NET_TAP" mtu 9000; then
		fail "$name" "no TAP: $(net_outputs "$label")"
		net_done
		return
	fi
	net_start sender "$net_ns" "$tmp/net_peer" send "$NET_GUEST_IP" 9 8000,100 1000 20
	net_wait_guest
	if net_guest_verdict "$name" "$label" "PASS net_bigframe"; then
		dropped=$(net_field "$tmp/$label.err" "^ +$NET_TAP: rx " 5)
		if [[ -z $dropped ]] || ((dropped < 1)); then
			fail "$name" "pvisor counted no dropped receive frame: $(grep "$NET_TAP" "$tmp/$label.err")"
		else
			pass "$name"
		fi
	fi
	net_done
}

# ---- hostile rings --------------------------------------------------------------

# Expected stderr per case: the rule virtio/net.c names when it stops the
# device, or "" for cases it drops and counts.
net_hostile_rule() {
	case $1 in
	tx-writable) echo "transmit chain has device-writable buffers" ;;
	tx-outside-ram | rx-outside-ram) echo "is outside RAM" ;;
	rx-readable | rx-small-first | rx-empty) echo "receive chain must be writable" ;;
	*) echo "" ;;
	esac
}

# What is wrong with a hostile run's outcome on the host side, or nothing.
net_hostile_problem() {  # CASE LABEL
	local err=$tmp/$2.err rule broke tx tx_drop log
	rule=$(net_hostile_rule "$1")
	broke=$(grep -c 'the guest broke its protocol' "$err")
	tx=$(net_field "$err" "^ +$NET_TAP: rx " 8)
	tx_drop=$(net_field "$err" "^ +$NET_TAP: rx " 10)
	log=$(grep -m2 "broke\|error\|$NET_TAP" "$err" | tr '\n' '|')
	if [[ -n $rule ]]; then
		if [[ $broke -ne 1 ]] || ! grep -q "broke its protocol: .*$rule" "$err"; then
			echo "expected one 'broke its protocol: ...$rule' line: $log"
		fi
	elif [[ $broke -ne 0 || $tx != 1 || $tx_drop != 3 ]]; then
		echo "expected 1 frame sent, 3 dropped and no BROKEN: $log"
	fi
}

net_hostile_case() {  # CASE
	local c=$1 name=net/hostile/$1 label=hostile-$1 sender why
	wanted_guest "$name" || return 0
	if ! net_boot_linked "$label" "$PVSAN" "$(net_image tests/netguests/net_hostile)" 30 \
		"tap=$NET_TAP" "case=$c"; then
		fail "$name" "no TAP: $(net_outputs "$label")"
		net_done
		return
	fi
	# Receive chains are taken only for arriving frames: keep some coming.
	net_start sender "$net_ns" "$tmp/net_peer" send "$NET_GUEST_IP" 9 100 1000 20
	net_wait_guest
	if net_guest_verdict "$name" "$label" "PASS net_hostile $c"; then
		why=$(net_hostile_problem "$c" "$label")
		if [[ -n $why ]]; then fail "$name" "$why"; else pass "$name"; fi
	fi
	net_done
}

# ---- bad input ----------------------------------------------------------------------

net_badinput() {
	local p=$PVSAN img
	img=$(net_image guest/apps/netecho)
	expect_error net-bad-spec 125 "is not key=value" -- "$p" run --net bogus "$img"
	expect_error net-tap-name-too-long 125 "longer than 15 characters" -- \
		"$p" run --net tap=abcdefghijklmnopq "$img"
	expect_error net-tap-name-bad-char 125 "may only use" -- "$p" run --net tap=a/b "$img"
	expect_error net-bad-mac 125 "not six hex bytes" -- "$p" run --net tap=pvt0,mac=zz "$img"
	expect_error net-multicast-mac 125 "multicast" -- \
		"$p" run --net tap=pvt0,mac=01:00:00:00:00:01 "$img"
	expect_error net-same-tap-twice 125 "already used" -- \
		"$p" run --net tap=pvt0 --net tap=pvt0 "$img"
	if unshare -m true 2>/dev/null; then
		expect_error_kvm net-tun-missing 125 "/dev/net/tun is missing" -- unshare -m sh -c \
			"mount -t tmpfs none /dev/net && exec $p run --net tap=pvt0 $img"
		expect_error_kvm net-tun-not-tun 125 "cannot attach to TAP device" -- unshare -m sh -c \
			"mount --bind /dev/null /dev/net/tun && exec $p run --net tap=pvt0 $img"
	else
		skip badinput/net-tun-missing "cannot create a mount namespace here"
	fi
}

# ---- nothing left behind ---------------------------------------------------------------

net_test_no_leftovers() {
	local name=net/no-leftovers left
	wanted "$name" || return 0
	left=$(net_leftovers)
	if [[ -n $left ]]; then
		fail "$name" "namespaces left: $left"
	elif ip link show "$NET_TAP" >/dev/null 2>&1; then
		fail "$name" "a $NET_TAP exists outside the test namespaces"
	elif pgrep -f "pvisor.* run .*--net tap=$NET_TAP" >/dev/null; then
		fail "$name" "a pvisor with --net tap=$NET_TAP still runs"
	else
		pass "$name"
	fi
}

# net_test_echo_jailed: the echo test with `run --jail` (as root): the TAP is
# opened in the test's namespace before the domain leaves it for its own.
net_test_echo_jailed() {
	local wrap=$tmp/pvisor-jailed
	[[ $(id -u) == 0 ]] || { skip net/echo-jail "not root: the jail needs root"; return; }
	printf '#!/bin/sh\ncmd=$1; shift\nexec "%s" "$cmd" --jail "$@"\n' "$PV" >"$wrap"
	chmod +x "$wrap"
	net_test_echo "$wrap" jail
}

net_run_all() {
	local c
	net_test_echo "$PV" plain
	net_test_echo "$PVSAN" san
	net_test_echo_jailed
	net_test_api
	net_test_duplex "$PV" plain
	net_test_duplex "$PVSAN" san
	net_test_bigframe
	for c in tx-writable tx-outside-ram tx-short rx-readable rx-small-first rx-outside-ram rx-empty; do
		net_hostile_case "$c"
	done
	net_test_no_leftovers
}

suite_net() {
	local reason saved_exit_trap
	net_badinput
	if ! reason=$(net_available); then
		skip net/all "$reason"
		return
	fi
	if ! net_build_peer; then
		fail net/build-peer "$(head -c 300 "$tmp/net_peer.err")"
		return
	fi
	net_remove_stale
	saved_exit_trap=$(trap -p EXIT)
	trap 'net_teardown; rm -rf "$tmp"' EXIT
	trap 'exit 130' INT TERM
	net_run_all
	net_teardown
	trap - INT TERM
	eval "${saved_exit_trap:-trap - EXIT}"
}
