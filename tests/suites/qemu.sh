# tests/suites/qemu.sh: the same guest binaries on a PC that is not
# pvisor's (sourced by tests/run, which calls suite_qemu): QEMU's PC under
# its TCG binary translator, entered through the PVH note and driven by
# tools/qemu-run (docs/full-virt.md, "Another PC: QEMU"). Needs no KVM;
# when the rest of the suite runs in the nested test machine, this suite
# runs on the outer host (tests/run).
#   qemu/boot/*      the default guest: "platform: native", RAM from the
#                    PVH memory map (-m), the command line (-append), exit
#                    statuses through isa-debug-exit, a crash, a reboot
#   qemu/guest/*     the functional guests (tests/guest), same images as PV
#   qemu/blk/*       block guests on QEMU's PIIX IDE disk, checked from the
#                    host and read back through pvisor's virtio-blk
#   net/echo-qemu, net/duplex-qemu  the net suite's netecho (ARP, ping,
#                    UDP echo) and duplex tests on QEMU's RTL8139 (PCI)
#   badinput/qemu-run-*  qemu-run's one-line errors
# Uses blk_pattern (blk.sh) and the net suite's helpers (net.sh).
# shellcheck shell=bash disable=SC2154

QEMU_RUN=tools/qemu-run
# The functional guests that run on QEMU's PC. Left out, with the reason:
# balloon, stats, reboot (PV hypercalls: pvisor's interface is absent),
# assert_fail and crash_report (they read pvisor's crash report on its
# stderr; qemu/boot/crash checks the guest's own report instead),
# console_input (a UART has no end of input: qemu/boot/console-input
# runs it with a byte count instead).
QEMU_GUEST_TESTS="${QEMU_GUEST_TESTS:-args block_wake clock console events_self
	exit_status fpu_context guard_page idle main_stack malloc_stress map_unmap mutex_cond
	preempt priority sleep_timers threads_many trap_handler upcall_chain}"
# TCG translates each block once and then runs it; timeouts get headroom.
QEMU_TIMEOUT_SCALE=3

# Prints why QEMU tests cannot run here and fails, or succeeds silently.
qemu_available() {
	command -v qemu-system-x86_64 >/dev/null ||
		{ echo "qemu-system-x86_64 is missing (apt-get install qemu-system-x86)"; return 1; }
	[[ -f /usr/share/qemu/pvh.bin || -f /usr/share/seabios/pvh.bin ]] ||
		{ echo "QEMU's PVH option ROM (pvh.bin) is missing"; return 1; }
}

# qemu_boot NAME WANT_RC WANT_TEXT [QEMU-RUN ARGS...]: exit WANT_RC and
# WANT_TEXT on the console.
qemu_boot() {
	local name=qemu/boot/$1 want_rc=$2 want=$3 rc
	shift 3
	wanted "$name" || return 0
	timeout --kill-after=5 120 "$QEMU_RUN" --timeout 100 "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	if [[ $rc -ne $want_rc ]]; then
		fail "$name" "exit $rc, expected $want_rc: $(tail -n 3 "$tmp/out" | tr '\n' '|') $(head -c 300 "$tmp/err")"
	elif ! grep -aqF -- "$want" "$tmp/out"; then
		fail "$name" "no '$want' on the console: $(head -n 3 "$tmp/out" | tr '\n' '|')"
	else
		pass "$name"
	fi
}

qemu_boot_tests() {
	local hello=$B/guest/guest/apps/hello.elf
	qemu_boot banner 0 "(platform: native)" "$hello"
	qemu_memory 128 "$hello"
	qemu_memory 512 "$hello"
	qemu_boot cmdline 0 "PASS args" \
		--cmdline "alpha  beta=2 gamma   delta=x=y" "$B/guest/tests/guest/args.elf"
	qemu_boot exit-status 42 "PASS exit_status" "$B/guest/tests/guest/exit_status.elf"
	qemu_boot crash 126 "cr2=0x00000deadbeef000" "$B/guest/tests/guest/crash_report.elf"
	qemu_boot assert 126 "assertion failed: value == 2" "$B/guest/tests/guest/assert_fail.elf"
	qemu_boot reboot-resets 126 "first boot, rebooting" "$B/guest/tests/guest/reboot.elf"
	qemu_console_input
}

# qemu_memory MIB IMAGE: the RAM the kernel reports is what -m gave, less
# at most the 2 MiB the firmware keeps at the top of its memory map.
qemu_memory() {
	local name=qemu/boot/memory-$1m got rc
	wanted "$name" || return 0
	timeout --kill-after=5 120 "$QEMU_RUN" --timeout 100 --mem "$1M" "$2" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	got=$(sed -n 's/.* \([0-9]*\) MiB RAM$/\1/p' "$tmp/out" | head -n 1)
	if [[ $rc -ne 0 || -z $got ]]; then
		fail "$name" "exit $rc: $(head -n 2 "$tmp/out" | tr '\n' '|') $(head -c 200 "$tmp/err")"
	elif ((got > $1 || got < $1 - 2)); then
		fail "$name" "the kernel has $got MiB of RAM, QEMU gave $1 MiB"
	else
		pass "$name"
	fi
}

# Console input through QEMU's UART, sent once the guest says it reads
# (tests/guest/console_input.c; a UART has no end of input, so the guest
# stops after the 25 bytes).
qemu_console_input() {
	local name=qemu/boot/console-input fifo=$tmp/qemu-in.fifo pid rc
	wanted "$name" || return 0
	rm -f "$fifo"
	mkfifo "$fifo"
	timeout --kill-after=5 120 "$QEMU_RUN" --timeout 100 --cmdline bytes=25 \
		"$B/guest/tests/guest/console_input.elf" <"$fifo" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	exec 7>"$fifo"
	if wait_for_text "$tmp/out" "console_input: reading" 60; then
		printf 'hello pvisor\nsecond line\n' >&7
	fi
	exec 7>&-
	wait "$pid"
	rc=$?
	rm -f "$fifo"
	if [[ $rc -ne 0 ]] || ! grep -q '^PASS console_input' "$tmp/out"; then
		fail "$name" "exit $rc: $(tail -n 3 "$tmp/out" | tr '\n' '|') $(head -c 200 "$tmp/err")"
	else
		pass "$name"
	fi
}

qemu_guest_tests() {
	local t KVM_MISSING=	# wanted_guest: these guests need no KVM
	local CPU_SHARE_UNMEASURED="QEMU's CPU time includes its firmware and translator"
	for t in $QEMU_GUEST_TESTS; do
		run_guest_test "tests/guest/$t.c" "$QEMU_RUN" qemu/guest "" "$QEMU_TIMEOUT_SCALE"
	done
}

# A disk written through QEMU's IDE disk is checked from the host and read
# back by a second boot (blk.sh's blk_write_then_verify).
qemu_blk() {
	local name=qemu/blk/ide-write-verify img=$tmp/qemu-blk.img
	local guest=$B/guest/tests/blk/blk_integrity.elf
	wanted "$name" || return 0
	rm -f "$img"
	truncate -s 8M "$img"
	blk_write_then_verify "$name" "$img" 43 qemu_ide_run qemu_ide_run
	rm -f "$img"
}

qemu_ide_run() {  # CMDLINE (img, guest: qemu_blk's)
	timeout --kill-after=5 300 "$QEMU_RUN" --timeout 280 --mem 128M --disk "$img" --cmdline "$1" "$guest"
}

# Both disks of the primary IDE channel (master and slave) at once, from
# the blk suite's multi-disk guest, checked from the host.
qemu_blk_two_disks() {
	local name=qemu/blk/two-disks i imgs=() args=() blk_dir=$tmp BLK_TIMEOUT=200 blk_why
	wanted "$name" || return 0
	for i in 0 1; do
		imgs+=("$tmp/qemu-two$i.img")
		rm -f "${imgs[i]}"
		truncate -s $((i + 1))M "${imgs[i]}"
		args+=(--disk "${imgs[i]}")
	done
	if ! blk_guest "$QEMU_RUN" blk_multi "2 2048 4096" "${args[@]}"; then
		fail "$name" "$blk_why"
	elif ! blk_why=$(blk_pattern check "${imgs[0]}" 100) ||
		! blk_why=$(blk_pattern check "${imgs[1]}" 101); then
		fail "$name" "from the host: $blk_why"
	else
		pass "$name"
	fi
	rm -f "${imgs[@]}"
}

# netecho's own counters; QEMU keeps no pvisor --stats to check them against.
qemu_echo_counters_problem() {  # LABEL
	grep -q "^netecho: arp [1-9][0-9]* icmp $NET_PINGS udp $NET_DATAGRAMS" "$tmp/$1.out" ||
		echo "netecho's counters: $(grep -m1 '^netecho: arp' "$tmp/$1.out")"
}

# The NIC tests, in namespaces, when this host can make them.
qemu_net_tests() {
	local why
	wanted net/echo-qemu || wanted net/duplex-qemu || return 0
	if ! why=$(net_available); then
		skip qemu/net "$why"
		return
	fi
	net_build_peer || { fail qemu/net "cannot build net_peer: $(head -c 200 "$tmp/net_peer.err")"; return; }
	# The net suite's tests, on QEMU's RTL8139 (QEMU makes the TAP in a
	# fresh namespace): ARP, ping and UDP echo; two threads at once.
	KVM_MISSING='' net_test_echo "$QEMU_RUN" qemu qemu_echo_counters_problem
	KVM_MISSING='' net_test_duplex "$QEMU_RUN" qemu
}

qemu_badinput() {
	local img=$B/guest/guest/apps/hello.elf
	expect_error qemu-run-unknown-option 125 "has no QEMU equivalent" -- \
		"$QEMU_RUN" --balloon "$img"
	expect_error qemu-run-missing-image 125 "no such file" -- "$QEMU_RUN" "$tmp/nope.elf"
	expect_error qemu-run-bad-disk-option 125 "only FILE on QEMU" -- \
		"$QEMU_RUN" --disk "$img,cache=none" "$img"
	expect_error qemu-run-ro-disk 125 "cannot be read-only" -- \
		"$QEMU_RUN" --disk "$img,ro" "$img"
	expect_error qemu-run-not-a-guest 125 "QEMU could not run" -- "$QEMU_RUN" /etc/hostname
}

suite_qemu() {
	local why
	# The outer host runs this suite for a nested run (tests/run).
	[[ ${PVISOR_NESTED:-} == inside ]] && return 0
	if ! why=$(qemu_available); then
		skip qemu/all "$why"
		return
	fi
	qemu_badinput
	qemu_boot_tests
	qemu_guest_tests
	qemu_blk
	qemu_blk_two_disks
	qemu_net_tests
}
