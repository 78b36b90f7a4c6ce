#!/bin/bash
# tests/fuzz/run.sh: builds the fuzz harnesses (tests/fuzz/build.sh) and
# runs each for SECONDS (default 60), seeded with a scratch copy of
# tests/fuzz/corpus/NAME/ (the checked-in corpus is never written) and
# tests/fuzz/NAME.dict when there is one. Prints one line per harness:
#
#   fuzz NAME: execs/s=N cov=N ft=N crashes=N
#
# Crashing inputs go to build/fuzz/artifacts/NAME/, the full output to
# build/fuzz/logs/NAME.log. Exits 1 if any harness found a crash, a leak,
# a hang or ran out of memory.
#
#   tests/fuzz/run.sh [SECONDS] [NAME...]
set -euo pipefail
cd "$(dirname "$0")/../.."

secs=${1:-60}
[ $# -gt 0 ] && shift
case $secs in
''|*[!0-9]*) echo "usage: tests/fuzz/run.sh [SECONDS] [NAME...]" >&2; exit 2 ;;
esac

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for f in tests/fuzz/fuzz_*.c; do
		f=${f##*/}
		names+=("${f%.c}")
	done
fi

tests/fuzz/build.sh "${names[@]}"

OUT=build/fuzz
mkdir -p "$OUT/logs"
failed=0

# The value of the last "KEY: N" in libFuzzer's last status line.
status_value() {
	local key=$1 log=$2
	grep -E '^#[0-9]+' "$log" | grep -F " $key: " | tail -1 |
		sed -E "s/.* $key: ([0-9]+).*/\\1/"
}

run_one() {
	local name=$1 corpus=$OUT/corpus/$1 art=$OUT/artifacts/$1 log=$OUT/logs/$1.log
	local args=() rc=0 execs cov ft crashes

	rm -rf "$corpus" "$art"
	mkdir -p "$corpus" "$art"
	if [ -d "tests/fuzz/corpus/$name" ]; then
		cp -r "tests/fuzz/corpus/$name/." "$corpus/"
	fi
	[ -f "tests/fuzz/$name.dict" ] && args+=("-dict=tests/fuzz/$name.dict")
	timeout $((secs + 120)) "$OUT/$name" -max_total_time="$secs" -print_final_stats=1 \
		-timeout=10 -rss_limit_mb=4096 -artifact_prefix="$art/" "${args[@]}" "$corpus" \
		>"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	cov=$(status_value cov "$log")
	ft=$(status_value ft "$log")
	crashes=$(find "$art" -type f | wc -l)
	if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then
		crashes=1       # died without an artifact (killed, or the harness broke)
	fi
	echo "fuzz $name: execs/s=${execs:-?} cov=${cov:-?} ft=${ft:-?} crashes=$crashes"
	if [ "$crashes" -ne 0 ]; then
		find "$art" -type f -printf '  %p\n'
		grep -m1 -E 'ERROR: |runtime error:|^fuzz_' "$log" | sed 's/^/  /' || true
		failed=1
	fi
}

for name in "${names[@]}"; do
	run_one "$name"
done
exit $failed
