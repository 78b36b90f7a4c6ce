#!/usr/bin/env bash
# bench/modes_qemu.sh: the issue-15 comparison, paravirtualization vs
# trap-and-emulate vs binary translation, as recorded in docs/benchmarks.md:
#
#   1. bench/modes.sh with all five modes (pv, hybrid, full, qemu,
#      qemu-kvm) in one run: directly on a KVM host, else inside the
#      nested test machine (tests/nested/run), with N per mode sized for
#      that machine (every instruction there is translated by the outer
#      QEMU, and an exit is an emulated SVM world switch of ~110 µs);
#   2. bench/modes.sh with mode qemu alone on this host, where QEMU's TCG
#      runs on the real CPU (no KVM needed).
#
#   bash bench/modes_qemu.sh          (B=build; root for net_tx)
set -euo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}

# set_ops "WORKLOAD:N ..." MODE...: N operations per boot for each mode.
set_ops() {
	local list=$1 w m
	shift
	for w in $list; do
		for m in "$@"; do
			export "N_${m}_${w%%:*}=${w#*:}"
		done
	done
}

# One run, five modes.
five_modes() {
	export MODES="pv hybrid full qemu qemu-kvm" TIMEOUT=240
	export REPEATS_pv=3 REPEATS_hybrid=3 REPEATS_full=3 REPEATS_qemu=3 REPEATS_qemu_kvm=3
	export SECTION="## PV vs full virtualization vs binary translation (issue 15)"
	export SVG=docs/bench-modes-qemu.svg OUT=$B/bench/modes-qemu MD=$B/bench/modes-qemu.md
	set_ops "null:2000 cpu:20000000 clock:1000000 timer:500 console:1048576 blk_qd1:2000
		blk_qd32:5000 blk_seq:300 net_tx:20000 mmu:5 ctxsw:20000" pv
	set_ops "null:2000 cpu:2000000 clock:100000 timer:500 console:262144 blk_qd1:500
		blk_qd32:500 blk_seq:100 net_tx:2000 mmu:3 ctxsw:5000" hybrid full
	export N_full_console=65536
	set_ops "null:20000 cpu:2000000 clock:100000 timer:500 console:262144 blk_qd1:1000
		blk_qd32:1000 blk_seq:200 net_tx:5000 mmu:3 ctxsw:10000" qemu
	set_ops "null:2000 cpu:20000000 clock:1000000 timer:500 console:65536 blk_qd1:500
		blk_qd32:500 blk_seq:100 net_tx:2000 mmu:5 ctxsw:20000" qemu_kvm
	bash bench/modes.sh
}

if [[ ${1:-} == --five-modes ]]; then
	five_modes
	exit
fi
if [[ -c /dev/kvm ]]; then
	bash "$0" --five-modes
else
	tests/nested/run env B="$B" \
		HOST_KIND="KVM nested in QEMU TCG (tests/nested/run: SVM emulated by QEMU's TCG)" \
		bash bench/modes_qemu.sh --five-modes
fi
MODES=qemu REPEATS_qemu=3 SECTION="## QEMU TCG on the outer host (issue 15)" \
	SVG=docs/bench-modes-qemu-host.svg OUT=$B/bench/modes-qemu-host MD=$B/bench/modes-qemu-host.md \
	HOST_KIND="this host, QEMU TCG ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'))" \
	bash bench/modes.sh
