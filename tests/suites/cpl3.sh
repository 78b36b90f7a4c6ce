# tests/suites/cpl3.sh: privileged and sensitive instructions at CPL3
# (sourced by tests/run). The PV guest kernel runs at CPL3; none of these
# is part of the ABI. Each must fault and, since the guest takes only page
# faults itself, end the domain with a crash report naming the exception
# (exit 126; docs/abi.md §7), on the sanitizer build: never complete, never
# reach pvisor's CPL0 stubs with an effect, never hurt the host. The guest is
# tests/hostile/cpl3_insn.c; its header runs the `out` case, this the rest.
# "gp": general protection (the I/O bitmap, CPL checks, pvisor's IDT gates
# of DPL 0 for int3 and int $0x80); "ud": invalid opcode (EFER.SCE is off);
# sysenter is #UD on AMD and #GP on Intel in long mode.

CPL3_CASES="in:gp out-dx:gp int80:gp int3:gp syscall:ud sysenter:ud|gp rdmsr:gp wrmsr:gp
	hlt:gp lgdt:gp lidt:gp ltr:gp mov-cr3:gp read-cr3:gp invlpg:gp wbinvd:gp sti:gp
	swapgs:gp kernel-ss:gp iret-cpl0:gp"

cpl3_vector_text() {
	case $1 in
	gp) echo "general protection" ;;
	ud) echo "invalid opcode" ;;
	esac
}

cpl3_case() {  # INSN EXPECTED (gp, ud or gp|ud)
	local insn=$1 want=$2 name=hostile/cpl3/$1 rc why= ok= w
	wanted_guest "$name" || return 0
	timeout 60 "$PVSAN" run --timeout 30 --cmdline "$insn" "$B/guest/tests/hostile/cpl3_insn.elf" \
		>"$tmp/cpl3.out" 2>"$tmp/cpl3.err" </dev/null
	rc=$?
	for w in ${want//|/ }; do
		grep -qF "guest crashed: $(cpl3_vector_text "$w")" "$tmp/cpl3.err" && ok=1
	done
	if [[ $rc -ne 126 ]]; then why="exit $rc, expected 126: $(head -c 200 "$tmp/cpl3.err")"
	elif grep -q "did not fault" "$tmp/cpl3.out"; then why="the instruction completed"
	elif ! grep -q "executing $insn at CPL3" "$tmp/cpl3.out"; then why="the case did not run"
	elif [[ -z $ok ]]; then why="not a $want crash: $(grep -m1 'guest crashed' "$tmp/cpl3.err")"
	elif grep -q 'AddressSanitizer\|runtime error' "$tmp/cpl3.err"; then why="sanitizer report"
	fi
	[[ -z $why ]] && pass "$name" || fail "$name" "$why"
}

suite_cpl3() {
	local c
	for c in $CPL3_CASES; do
		cpl3_case "${c%%:*}" "${c#*:}"
	done
}
