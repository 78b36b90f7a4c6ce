# tests/suites/fuzz.sh: a short smoke of every libFuzzer harness in
# tests/fuzz (sourced by tests/run): FUZZ_SECONDS (10) each, from the
# checked-in corpus, so every earlier finding is replayed. One test per
# harness, fuzz/NAME; it fails on any crash, sanitizer report, leak or hang.
# Needs no KVM: on a host without it, the outer host runs it (like qemu).
# `make fuzz` runs the same harnesses longer (tests/fuzz/README.md).

suite_fuzz() {
	local out line name rest
	[[ ${PVISOR_NESTED:-} == inside ]] && return 0
	wanted fuzz/ || return 0
	if ! command -v clang >/dev/null; then
		skip fuzz/all "clang is missing (apt-get install clang libclang-rt-14-dev)"
		return
	fi
	if ! tests/fuzz/build.sh >"$tmp/fuzz-build.log" 2>&1; then
		fail fuzz/build "$(tail -n 3 "$tmp/fuzz-build.log" | tr '\n' ' ')"
		return
	fi
	out=$(tests/fuzz/run.sh "${FUZZ_SECONDS:-10}" 2>&1)
	while IFS= read -r line; do
		[[ $line == "fuzz "* ]] || continue
		name=${line#fuzz }
		rest=${name#*: }
		name=${name%%:*}
		wanted "fuzz/$name" || continue
		if [[ $rest == *" crashes=0" ]]; then
			pass "fuzz/$name"
			echo "  $rest"
		else
			fail "fuzz/$name" "$rest (build/fuzz/artifacts/$name, build/fuzz/logs/$name.log)"
		fi
	done <<<"$out"
	grep -q '^fuzz ' <<<"$out" || fail fuzz/run "$(tail -n 3 <<<"$out" | tr '\n' ' ')"
}
