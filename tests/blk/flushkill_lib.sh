# tests/blk/flushkill_lib.sh: the block helpers that tests/suites/blk.sh
# (blk/flush-kill, blk/flush-kill-overlay and the rest of the suite) and
# bench/flushkill.sh (many kill -9 trials) share: the disk pattern in
# Python, scratch images, one guest run, and one kill -9 trial of
# tests/blk/blk_flushkill.c with its check. Uses $PV, $B and $blk_dir
# (where images and outputs go); background pvisors are in blk_pids and
# blk_cleanup kills them. No timing decides a result: the kill's delay
# only varies where the guest is when it dies.
# shellcheck shell=bash

BLK_TIMEOUT=${BLK_TIMEOUT:-30}   # --timeout of one guest run, seconds
blk_pids=()
blk_why=
blk_last=-1
blk_lost=0

blk_cleanup() {
	local pid
	for pid in "${blk_pids[@]}"; do
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	blk_pids=()
}

# blk_pattern write FILE SEED | check FILE SEED [BYTES] | lost FILE SEED
# LAST: the pattern of tests/blk/blktest.h: word w of the disk is
# splitmix64((SEED << 40) ^ w). lost prints how many of the sectors
# 0..LAST differ from it (and fails if any do).
blk_pattern() {
	python3 - "$@" <<'EOF'
import struct, sys
M = (1 << 64) - 1
def mix(z):
    z = (z + 0x9E3779B97F4A7C15) & M
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return z ^ (z >> 31)
def words(seed, n):
    key = seed << 40
    return struct.pack('<%dQ' % n, *[mix(key ^ i) for i in range(n)])
cmd, path, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
if cmd == 'write':
    size = len(open(path, 'rb').read())
    open(path, 'r+b').write(words(seed, size // 8))
    sys.exit(0)
data = open(path, 'rb').read()
if cmd == 'lost':
    n = int(sys.argv[4]) + 1
    want = words(seed, n * 64)
    lost = sum(data[i * 512:(i + 1) * 512] != want[i * 512:(i + 1) * 512] for i in range(n))
    print(lost)
    sys.exit(1 if lost else 0)
if len(sys.argv) > 4:
    data = data[:int(sys.argv[4])]
want = words(seed, len(data) // 8)
if data != want:
    bad = next(i for i in range(len(want)) if data[i] != want[i])
    print('byte %d differs from the pattern of seed %d' % (bad, seed))
    sys.exit(1)
EOF
}

# blk_image NAME SIZE: a fresh sparse image in $blk_dir; prints its path.
blk_image() {
	rm -f "$blk_dir/$1"
	truncate -s "$2" "$blk_dir/$1" && echo "$blk_dir/$1"
}

# blk_guest PVISOR GUEST CMDLINE PVISOR_ARGS...: boots tests/blk/GUEST and
# returns 0 if it exited 0, printed its PASS line and no sanitizer report;
# else 1 with the reason in $blk_why. Output in $blk_dir/out and err.
blk_guest() {
	local pv=$1 guest=$2 cmdline=$3 rc
	shift 3
	# shellcheck disable=SC2086
	timeout --kill-after=5 $((BLK_TIMEOUT + 10)) "$pv" run --timeout "$BLK_TIMEOUT" --mem 128M \
		"$@" --cmdline "$cmdline" "$B/guest/tests/blk/$guest.elf" \
		>"$blk_dir/out" 2>"$blk_dir/err" </dev/null
	rc=$?
	if grep -q 'AddressSanitizer\|runtime error:' "$blk_dir/err"; then
		blk_why="sanitizer report: $(grep -m1 'AddressSanitizer\|runtime error' "$blk_dir/err")"
		return 1
	fi
	if [[ $rc -ne 0 ]] || ! grep -q "^PASS $guest" "$blk_dir/out"; then
		blk_why="exit $rc; stdout: $(grep -m2 '^FAIL\|^PASS' "$blk_dir/out" | tr '\n' '|')$(tail -n 2 "$blk_dir/out" | tr '\n' '|') stderr: $(head -n 3 "$blk_dir/err" | tr '\n' '|')"
		return 1
	fi
	return 0
}

# blk_kill_once IMG_SPEC SEED DELAY: runs blk_flushkill and kills pvisor
# with SIGKILL DELAY seconds after the guest first reported a flushed
# record (so every round is meaningful however slow the host is; that kill
# is the outer timeout); sets blk_last to the last record it reported
# flushed (-1 for none).
blk_kill_once() {
	local spec=$1 seed=$2 delay=$3 pid i
	: >"$blk_dir/kill.out"
	"$PV" run --timeout "$BLK_TIMEOUT" --disk "$spec" --cmdline "run $seed" \
		"$B/guest/tests/blk/blk_flushkill.elf" >"$blk_dir/kill.out" 2>"$blk_dir/kill.err" \
		</dev/null &
	pid=$!
	blk_pids+=("$pid")
	for ((i = 0; i < BLK_TIMEOUT * 20; i++)); do
		grep -q '^flushed ' "$blk_dir/kill.out" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	blk_pids=()
	blk_last=$(awk '$1 == "flushed" { n = $2 } END { print (n == "" ? -1 : n) }' \
		"$blk_dir/kill.out")
}

# Delays from 20 to 400 ms, spread over the rounds.
blk_kill_delay() { awk -v i="$1" 'BEGIN { printf "%.3f", 0.02 + ((i * 7) % 20) * 0.02 }'; }

# blk_kill_trial SPEC SEED DELAY [RAW_IMAGE]: one kill -9 trial
# (blk_kill_once on the disk SPEC), then the check of every record the
# guest reported flushed: from the host when RAW_IMAGE is given (SPEC is
# that raw image), else (an overlay) by a new boot over SPEC. Sets
# blk_last (-1: nothing was flushed before the kill, nothing to check) and
# blk_lost (how many records acknowledged after a flush are missing;
# empty when the check itself could not run); returns 1 with the reason
# in $blk_why when any is lost or the check failed.
blk_kill_trial() {
	local spec=$1 seed=$2
	blk_lost=0
	blk_kill_once "$spec" "$seed" "$3"
	[[ $blk_last -ge 0 ]] || return 0
	if [[ -n ${4:-} ]]; then
		blk_lost=$(blk_pattern lost "$4" "$seed" "$blk_last") && return 0
		blk_why="flushed up to record $blk_last, but $blk_lost of them are not in the image"
		return 1
	fi
	blk_guest "$PV" blk_flushkill "check $seed $blk_last" --disk "$spec" && return 0
	blk_lost=$(awk '/^blk_flushkill: lost/ { print $3 }' "$blk_dir/out")
	blk_why="flushed up to record $blk_last: $blk_why"
	return 1
}
