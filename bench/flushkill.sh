#!/usr/bin/env bash
# bench/flushkill.sh: flush durability under kill -9, many trials
# (docs/benchmarks.md, "kill -9 trials"). Each trial boots
# tests/blk/blk_flushkill.elf, which writes records in batches and flushes
# after each, kills pvisor with SIGKILL 20-400 ms after its first
# acknowledged flush, and checks every record it reported flushed: from
# the host for a raw image, by a new boot for an overlay. The trial and
# its check are tests/blk/flushkill_lib.sh's, which the suite's
# blk/flush-kill tests use too. The configurations take turns:
#   raw-uring     a raw image, --disk IMG,io=uring
#   raw-threads   a raw image, --disk IMG,io=threads
#   overlay       an overlay over a raw base (overlays use the thread pool)
# It reports, per configuration, the trials, those where something was
# flushed before the kill, the records checked and the records lost
# (acknowledged after a flush yet missing; the goal is 0), and exits 1 if
# any was lost or a check could not run. MAX_SECONDS, if given, stops the
# run early (it decides how many trials run, never the result).
# Needs /dev/kvm (under tests/nested/run on a host without).
#   bench/flushkill.sh [TRIALS [MAX_SECONDS]]
set -uo pipefail
cd "$(dirname "$0")/.."
B=${B:-build}
PV=$B/pvisor
TRIALS=${1:-1000}
MAX_SECONDS=${2:-0}
source tests/blk/flushkill_lib.sh

blk_dir=$(mktemp -d)
trap 'blk_cleanup; rm -rf "$blk_dir"' EXIT
CONFIGS=(raw-uring raw-threads overlay)
raw=$(blk_image raw.img 16M)
base=$(blk_image base.img 16M)
top=$blk_dir/top.img
"$PV" disk create-overlay "$top" "$base" >/dev/null || exit 1
declare -A trials meaningful records lost broken seconds
for c in "${CONFIGS[@]}"; do
	trials[$c]=0 meaningful[$c]=0 records[$c]=0 lost[$c]=0 broken[$c]=0 seconds[$c]=0
done

echo "host: $(uname -r), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "engine for io=auto here: $("$PV" disk info "$raw" | sed -n "s/^io: //p")"
start=$SECONDS
for ((t = 0; t < TRIALS; t++)); do
	c=${CONFIGS[t % 3]}
	t0=$SECONDS
	case $c in
	raw-uring) blk_kill_trial "$raw,io=uring" $((10000 + t)) "$(blk_kill_delay "$t")" "$raw" ;;
	raw-threads) blk_kill_trial "$raw,io=threads" $((10000 + t)) "$(blk_kill_delay "$t")" "$raw" ;;
	overlay) blk_kill_trial "$base,overlay=$top" $((10000 + t)) "$(blk_kill_delay "$t")" ;;
	esac
	rc=$?
	seconds[$c]=$((seconds[$c] + SECONDS - t0))
	trials[$c]=$((trials[$c] + 1))
	if ((blk_last >= 0)); then
		meaningful[$c]=$((meaningful[$c] + 1))
		records[$c]=$((records[$c] + blk_last + 1))
	fi
	if ((rc != 0)); then
		if [[ -n $blk_lost && $blk_lost != 0 ]]; then
			lost[$c]=$((lost[$c] + blk_lost))
		else
			broken[$c]=$((broken[$c] + 1))
		fi
		echo "flushkill: trial $t ($c): $blk_why" >&2
	fi
	(((t + 1) % 30 == 0)) && echo "progress: $((t + 1)) trials, $((SECONDS - start)) s"
	((MAX_SECONDS > 0 && SECONDS - start >= MAX_SECONDS)) && break
done
if [[ -n $(tr -d '\0' <"$base" | head -c 1) ]]; then
	echo "flushkill: the overlay's base changed" >&2
	broken[overlay]=$((broken[overlay] + 1))
fi

bad=0 total=0
for c in "${CONFIGS[@]}"; do
	total=$((total + trials[$c]))
	per=$(awk -v s="${seconds[$c]}" -v n="${trials[$c]}" 'BEGIN { printf "%.1f", n ? s / n : 0 }')
	echo "RESULT flushkill_$c trials ${trials[$c]} flushed_before_kill ${meaningful[$c]} records_checked ${records[$c]} lost ${lost[$c]} checks_failed ${broken[$c]} s_per_trial $per"
	((lost[$c] || broken[$c])) && bad=1
done
echo "RESULT flushkill_total trials $total seconds $((SECONDS - start))"
((bad)) && { echo "flushkill: FAIL"; exit 1; }
echo "flushkill: PASS: no acknowledged write lost"
