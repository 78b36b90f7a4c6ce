# tests/suites/fullvirt.sh: full-virtualization and hybrid mode (sourced
# by tests/run, which calls suite_fullvirt). docs/full-virt.md is the
# machine under test.
#   fullvirt/raw/*      raw CPL0 guests (tests/fullraw) that attack the
#                       emulated PC: every port, unbacked MMIO, nonsense
#                       DMA and disk commands, interrupt storms, and the
#                       hypercalls a CPL0 guest must not reach; on the
#                       sanitizer build
#   pv/*, full/*, hybrid/*  the functional guest tests (tests/guest), the
#                       same binaries in all three modes
#   full-blk/*          block guests (tests/blk) on the emulated ATA disk
#   badinput/mode-*     bad --mode values and hardware the PC cannot have
# Guests at CPL0 are emulated instruction by instruction on nested hosts
# (docs/full-virt.md): timeouts are the PV ones times FULL_TIMEOUT_SCALE.
# shellcheck shell=bash disable=SC2154

source tests/net/netns.sh

FULL_TIMEOUT_SCALE=4
# The functional guests that run in every mode. Left out, with the reason:
# balloon, stats, reboot (PV hypercalls), assert_fail and crash_report (a
# native guest reports on its own console, not pvisor's stderr), console
# (formats doubles: needs SSE), fpu_context (SSE), console_input (a UART
# has no end of input; passes in hybrid), sleep_timers, threads_many, malloc_stress (sized for native
# speed: wake-order and thread-count checks assume a CPU ~1000x faster
# than CPL0 emulation). docs/full-virt.md, "Limits".
FULL_GUEST_TESTS="${FULL_GUEST_TESTS:-args block_wake clock events_self exit_status guard_page idle
	main_stack map_unmap mutex_cond preempt priority trap_handler upcall_chain}"

# fullvirt_raw NAME EXPECT MODE [PVISOR ARGS...]: a raw guest must exit 0
# and print EXPECT on its serial console.
fullvirt_raw() {
	local name=fullvirt/raw/$1 want=$2 mode=$3 img=$B/fullraw/$1.elf rc
	shift 3
	[[ $mode == full ]] || name=$name-$mode
	wanted_guest "$name" || return 0
	timeout --kill-after=5 120 "$PVSAN" run --mode="$mode" --timeout 100 "$@" "$img" \
		>"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	if [[ $rc -ne 0 ]]; then
		fail "$name" "exit $rc: $(tail -c 300 "$tmp/err" | tr '\n' '|') $(tail -c 200 "$tmp/out" | tr -d '\0' | tr '\n' '|')"
	elif ! grep -aqF -- "$want" "$tmp/out"; then
		fail "$name" "no '$want' on the console: $(tail -c 200 "$tmp/out" | tr '\n' '|')"
	elif grep -q 'AddressSanitizer\|runtime error:' "$tmp/err"; then
		fail "$name" "sanitizer report: $(grep -m1 'AddressSanitizer\|runtime error' "$tmp/err")"
	else
		pass "$name"
	fi
}

fullvirt_raw_tests() {
	local disk=$tmp/fullvirt-disk.img ns
	truncate -s 8M "$disk"
	fullvirt_raw port_probe "port probe: survived" full
	fullvirt_raw mmio_probe "mmio probe: survived" full
	fullvirt_raw irq_storm "irq storm: interrupts taken" full
	fullvirt_raw dma_attack "dma attack: survived" full --disk "$disk"
	fullvirt_raw hybrid_hypercalls "hypercalls: none in full mode" full
	fullvirt_raw hybrid_hypercalls "hypercalls: hybrid rules hold" hybrid
	if wanted_guest fullvirt/raw/dma_attack_nic; then
		if net_available >/dev/null && net_setup ns; then
			fullvirt_nic_attack "$ns" "$disk"
		else
			skip fullvirt/raw/dma_attack_nic "no network namespaces here"
		fi
	fi
	rm -f "$disk"
}

# The same attack with a NIC: pvisor opens a TAP inside a namespace.
fullvirt_nic_attack() {
	local ns=$1 disk=$2 rc
	net_exec "$ns" timeout --kill-after=5 120 "$PVSAN" run --mode=full --timeout 100 \
		--disk "$disk" --net tap=pvtap0 "$B/fullraw/dma_attack.elf" \
		>"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	if [[ $rc -eq 0 ]] && grep -aq "dma attack: survived" "$tmp/out" &&
		! grep -aq "no NIC" "$tmp/out" && ! grep -q 'AddressSanitizer\|runtime error:' "$tmp/err"; then
		pass fullvirt/raw/dma_attack_nic
	else
		fail fullvirt/raw/dma_attack_nic "exit $rc: $(tail -c 300 "$tmp/out" | tr -d '\0' | tr '\n' '|') $(head -c 300 "$tmp/err")"
	fi
	net_teardown
}

fullvirt_badinput() {
	local p=$PVSAN img=$B/guest/guest/apps/hello.elf
	expect_error mode-unknown 125 "--mode 'turbo'" -- $p run --mode turbo "$img"
	expect_error mode-missing-value 125 "needs a value" -- $p run --mode
	expect_error mode-full-three-disks 125 "at most 2 --disk" -- $p run --mode=full \
		--disk "$tmp/a.img" --disk "$tmp/b.img" --disk "$tmp/c.img" "$img"
	expect_error mode-full-mem-over-apic 125 "below the IOAPIC" -- $p run --mode=full \
		--mem 5G "$img"
	expect_error_kvm mode-full-missing-disk 125 "--disk" -- $p run --mode=full \
		--disk "$tmp/nope/missing.img" "$img"
}

# fullvirt_guest_tests MODE: the functional guests in MODE, built without
# SIMD in their own code (Makefile, NOSIMD_IMAGES): the same binary in
# every mode, PV included.
fullvirt_guest_tests() {
	local mode=$1 t
	for t in $FULL_GUEST_TESTS; do
		run_guest_test "tests/guest/$t.c" "$PVSAN" "$mode" "--mode=$mode" \
			"$FULL_TIMEOUT_SCALE" "$B/nosimd"
	done
}

# A disk written through the emulated ATA disk in full mode is checked from
# the host and read back through virtio-blk in PV mode (and the reverse):
# same images, same guest program, either device. Sized for the data path,
# not for stress (the blk suite does that): a 2 MiB disk and 8 thread
# rounds, as ATA PIO costs an exit per transfer and CPL0 may be emulated.
fullvirt_blk_cross_mode() {
	local name=full-blk/ata-then-virtio img=$tmp/fullvirt-blk.img
	local guest=$B/nosimd/tests/blk/blk_integrity.elf
	wanted_guest "$name" || return 0
	rm -f "$img"
	truncate -s 2M "$img"
	blk_write_then_verify "$name" "$img" 41 fullvirt_ata_run fullvirt_virtio_run
	rm -f "$img"
}

fullvirt_ata_run() {  # CMDLINE (img, guest: fullvirt_blk_cross_mode's)
	timeout --kill-after=5 300 "$PVSAN" run --mode=full --timeout 280 --mem 128M --disk "$img" \
		--cmdline "$1" "$guest"
}

fullvirt_virtio_run() {  # CMDLINE
	timeout --kill-after=5 60 "$PVSAN" run --timeout 50 --mem 128M --disk "$img" --cmdline "$1" "$guest"
}

suite_fullvirt() {
	fullvirt_raw_tests
	fullvirt_badinput
	fullvirt_guest_tests pv
	fullvirt_guest_tests full
	fullvirt_guest_tests hybrid
	fullvirt_blk_cross_mode
}
