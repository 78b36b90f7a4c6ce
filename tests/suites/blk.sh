# tests/suites/blk.sh: the block device suite (guest frontend, backend,
# disk layer), sourced by tests/run, which calls suite_blk. Uses the
# runner's pass/fail/skip/wanted/expect_error, $PV, $PVSAN, $B and $tmp.
#
# The guests live in tests/blk/. Data written by a guest is checked in
# the guest and again from the host: the guests write a deterministic
# pattern (tests/blk/blktest.h) that blk_pattern regenerates in Python.
# Every guest runs under --timeout; those in the foreground also under an
# outer timeout, those in the background are killed by the suite (and by
# its EXIT trap). No test is decided by timing.
# shellcheck shell=bash disable=SC2154

BLK_TIMEOUT=30          # --timeout of one guest run, seconds
BLK_KILL_ROUNDS=20      # flush durability: kills of a raw disk
BLK_KILL_OVERLAY_ROUNDS=5
BLK_HOSTILE_CASES="no_status status_readable outside_ram split_header past_end bad_length
	wrong_direction unknown_type discard_bad hammer frontend_broken"

blk_dir=
# blk_pattern, blk_image, blk_guest, blk_kill_once, blk_kill_trial, blk_cleanup
source tests/blk/flushkill_lib.sh

# ---- helpers ------------------------------------------------------------------

blk_sha() { sha256sum "$1" | cut -d' ' -f1; }

# blk_check NAME COMMAND...: pass if COMMAND (a shell function such as
# blk_guest, run in this shell) succeeds, else fail with $blk_why.
blk_check() {
	local name=$1
	shift
	blk_why="failed"
	if "$@"; then
		pass "$name"
	else
		fail "$name" "$blk_why"
	fi
}

# ---- data integrity ----------------------------------------------------------------

# Writes an image through the frontend (QD32, many sizes, unaligned
# buffers, threads), checks it from the host, reads it back on a second
# boot on the sanitizer build; once per I/O engine and with O_DIRECT.
blk_test_integrity() {
	local opts img name seed=7
	for opts in "" io=threads direct; do
		name=blk/integrity${opts:+-${opts/=/-}}
		wanted_guest "$name" || continue
		img=$(blk_image integrity.img 8M)
		seed=$((seed + 1))
		if ! blk_guest "$PV" blk_integrity "write $seed" --disk "$img${opts:+,$opts}"; then
			fail "$name" "$blk_why"
		elif ! blk_why=$(blk_pattern check "$img" "$seed"); then
			fail "$name" "host check of the image: $blk_why"
		elif ! blk_guest "$PVSAN" blk_integrity "verify $seed" --disk "$img${opts:+,$opts}"; then
			fail "$name" "second boot (sanitizer build): $blk_why"
		else
			pass "$name"
		fi
	done
}

blk_test_ops() {
	local img id
	wanted_guest blk/ops || return 0
	img=$(blk_image ops.img 2M)
	id=$("$PV" disk info "$img" | awk '$1 == "id:" { print $2 }')
	blk_check blk/ops blk_guest "$PVSAN" blk_ops "4096 $id" --disk "$img"
}

# A read-only disk: the frontend refuses changes, the backend refuses raw
# writes, and the image stays byte-identical.
blk_test_readonly() {
	local img before
	wanted_guest blk/readonly || return 0
	img=$(blk_image ro.img 1M)
	blk_pattern write "$img" 21
	before=$(blk_sha "$img")
	if ! blk_guest "$PV" blk_ro 21 --disk "$img,ro"; then
		fail blk/readonly "$blk_why"
	elif ! blk_guest "$PVSAN" blk_hostile ro_write --disk "$img,ro"; then
		fail blk/readonly "raw writes: $blk_why"
	elif [[ $(blk_sha "$img") != "$before" ]]; then
		fail blk/readonly "the read-only image changed"
	else
		pass blk/readonly
	fi
}

blk_test_multi() {
	local i imgs=() args=() sectors=()
	wanted_guest blk/multi-disk || return 0
	for i in 0 1 2; do
		imgs+=("$(blk_image "multi$i.img" $((i + 1))M)")
		args+=(--disk "${imgs[i]}")
		sectors+=($(((i + 1) * 2048)))
	done
	if ! blk_guest "$PV" blk_multi "3 ${sectors[*]}" "${args[@]}"; then
		fail blk/multi-disk "$blk_why"
		return
	fi
	for i in 0 1 2; do
		if ! blk_why=$(blk_pattern check "${imgs[i]}" $((100 + i))); then
			fail blk/multi-disk "disk $i from the host: $blk_why"
			return
		fi
	done
	pass blk/multi-disk
}

# ---- overlays ------------------------------------------------------------------------

# A guest writes through an overlay; the base stays byte-identical; a
# second boot sees the data; commit merges it into the base.
blk_test_overlay() {
	local base top before out
	wanted_guest blk/overlay || return 0
	base=$(blk_image base.img 4M)
	top=$blk_dir/top.img
	blk_pattern write "$base" 31
	before=$(blk_sha "$base")
	rm -f "$top"
	if ! out=$("$PV" disk create-overlay "$top" "$base" 2>&1); then
		fail blk/overlay "create-overlay: $out"
	elif ! blk_guest "$PV" blk_integrity "write 32" --disk "$base,overlay=$top"; then
		fail blk/overlay "writing through the overlay: $blk_why"
	elif [[ $(blk_sha "$base") != "$before" ]]; then
		fail blk/overlay "the base changed while a guest wrote through an overlay"
	elif ! blk_guest "$PVSAN" blk_integrity "verify 32" --disk "$base,overlay=$top"; then
		fail blk/overlay "second boot over the overlay: $blk_why"
	elif ! out=$("$PV" disk commit "$top" 2>&1); then
		fail blk/overlay "commit: $out"
	elif ! blk_why=$(blk_pattern check "$base" 32); then
		fail blk/overlay "the base after commit: $blk_why"
	elif ! blk_guest "$PV" blk_integrity "verify 32" --disk "$base,overlay=$top"; then
		fail blk/overlay "boot over the emptied overlay after commit: $blk_why"
	else
		pass blk/overlay
	fi
}

# ---- flush durability under kill -9 ------------------------------------------------------

blk_test_flush_kill() {
	local img i meaningful=0
	wanted_guest blk/flush-kill || return 0
	img=$(blk_image kill.img 16M)
	for ((i = 0; i < BLK_KILL_ROUNDS; i++)); do
		if ! blk_kill_trial "$img" $((1000 + i)) "$(blk_kill_delay "$i")" "$img"; then
			fail blk/flush-kill "round $i: $blk_why"
			return
		fi
		[[ $blk_last -ge 0 ]] && meaningful=$((meaningful + 1))
	done
	if ((meaningful < BLK_KILL_ROUNDS / 2)); then
		fail blk/flush-kill "only $meaningful of $BLK_KILL_ROUNDS runs flushed before the kill"
	else
		pass blk/flush-kill
	fi
}

# The same through an overlay: after the kill, a new boot over the
# overlay must read every record it reported flushed.
blk_test_flush_kill_overlay() {
	local base top i meaningful=0 out
	wanted_guest blk/flush-kill-overlay || return 0
	base=$(blk_image kbase.img 16M)
	top=$blk_dir/ktop.img
	rm -f "$top"
	if ! out=$("$PV" disk create-overlay "$top" "$base" 2>&1); then
		fail blk/flush-kill-overlay "create-overlay: $out"
		return
	fi
	for ((i = 0; i < BLK_KILL_OVERLAY_ROUNDS; i++)); do
		if ! blk_kill_trial "$base,overlay=$top" $((2000 + i)) "$(blk_kill_delay $((i * 3 + 1)))"; then
			fail blk/flush-kill-overlay "round $i: $blk_why"
			return
		fi
		[[ $blk_last -ge 0 ]] && meaningful=$((meaningful + 1))
	done
	if [[ -n $(tr -d '\0' <"$base" | head -c 1) ]]; then
		fail blk/flush-kill-overlay "the base changed"
	elif ((meaningful < (BLK_KILL_OVERLAY_ROUNDS + 1) / 2)); then
		fail blk/flush-kill-overlay "only $meaningful runs flushed before the kill"
	else
		pass blk/flush-kill-overlay
	fi
}

# blk_write_then_verify NAME IMG SEED WRITER VERIFIER: WRITER and VERIFIER
# are commands that run blk_integrity on IMG with the command line given
# as their argument (two machines, or two devices): WRITER writes the
# pattern of SEED, the host checks the image, VERIFIER reads it back.
blk_write_then_verify() {
	local name=$1 img=$2 seed=$3 write=$4 verify=$5 rc
	"$write" "write $seed 8" >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	if [[ $rc -ne 0 ]] || ! grep -aq '^PASS blk_integrity' "$tmp/out"; then
		fail "$name" "write: exit $rc: $(tail -n 2 "$tmp/out" | tr '\n' '|') $(head -n 3 "$tmp/err" | tr '\n' '|')"
	elif ! blk_pattern check "$img" "$seed" >"$tmp/why"; then
		fail "$name" "host check of the image: $(cat "$tmp/why")"
	elif ! "$verify" "verify $seed 8" >"$tmp/out" 2>&1 </dev/null ||
		! grep -q '^PASS blk_integrity' "$tmp/out"; then
		fail "$name" "verify: $(tail -n 2 "$tmp/out" | tr '\n' '|')"
	else
		pass "$name"
	fi
}

# ---- a full host file system (ENOSPC) ------------------------------------------------------

BLK_FULL_FS_SIZE=1M     # the small file system; the disks are 8 MiB
blk_full_fs=

# blk_full_umount: the ENOSPC tests' file system unmounted and its mount
# point gone (also from the suite's EXIT trap).
blk_full_umount() {
	[[ -n $blk_full_fs ]] || return 0
	umount "$blk_full_fs" 2>/dev/null || umount -l "$blk_full_fs" 2>/dev/null
	rmdir "$blk_full_fs" 2>/dev/null
	blk_full_fs=
}

# blk_enospc_case NAME SEED MODE SPEC [RAW_IMAGE]: blk_enospc writes the
# disk SPEC (the sanitizer build) until the small file system under it is
# full, flushing after every write or never (MODE flush or noflush). The
# guest must see an I/O error status and pass (a hang ends in its
# --timeout, a crash in a bad exit), pvisor must exit 0 with one line
# naming the disk and the host's error; then every record the guest saw
# flushed (or, with noflush, written: pvisor's clean exit flushes) must be
# there: in RAW_IMAGE, checked from the host, or else (an overlay) `disk
# info` must open the overlay and a boot over it, read-only on the still
# full file system, must read them all.
blk_enospc_case() {
	local name=$1 seed=$2 mode=$3 spec=$4 last n
	wanted_guest "$name" || return 0
	if ! blk_guest "$PVSAN" blk_enospc "$seed $mode" --disk "$spec"; then
		fail "$name" "$blk_why"
		return
	fi
	last=$(awk '$1 == "flushed" || $1 == "written" { n = $2 } END { print (n == "" ? -1 : n) }' "$blk_dir/out")
	n=$(grep -c "^pvisor: disk '.*': a write failed on the host: No space left on device" "$blk_dir/err")
	if ((last < 0)); then
		fail "$name" "nothing was written before the file system filled: $(grep '^blk_enospc' "$blk_dir/out" | tr '\n' '|')"
	elif [[ $n != 1 || $(wc -l <"$blk_dir/err") != 1 ]]; then
		fail "$name" "pvisor's stderr is not the one line about the full disk: $(head -c 300 "$blk_dir/err")"
	elif [[ -n ${5:-} ]]; then
		if blk_why=$(blk_pattern lost "$5" "$seed" "$last"); then pass "$name"
		else fail "$name" "written up to record $last, but $blk_why of them are not in the image"; fi
	elif ! "$PV" disk info "${spec#*,overlay=}" >"$blk_dir/info" 2>&1; then
		fail "$name" "disk info after ENOSPC: $(head -c 300 "$blk_dir/info")"
	elif ! blk_guest "$PVSAN" blk_flushkill "check $seed $last" --disk "$spec,ro"; then
		fail "$name" "reading back records 0..$last: $blk_why"
	else
		pass "$name"
	fi
}

# The disk image, and separately an overlay's file, on a file system far
# smaller than the disk (a tmpfs; root is needed to mount it). Each case
# starts with an empty file system.
blk_test_enospc() {
	local fs base out name io mode
	wanted_guest blk/enospc || return 0
	fs=$blk_dir/full
	mkdir -p "$fs"
	if ! out=$(mount -t tmpfs -o size=$BLK_FULL_FS_SIZE,mode=0700 pvisor-enospc "$fs" 2>&1); then
		rmdir "$fs"
		skip blk/enospc "cannot mount a small tmpfs here: $out"
		return
	fi
	blk_full_fs=$fs
	# name, engine, mode
	while read -r name io mode; do
		truncate -s 8M "$fs/raw.img"
		blk_enospc_case "$name" 41 "$mode" "$fs/raw.img,io=$io" "$fs/raw.img"
		rm -f "$fs/raw.img"
	done <<-EOF
		blk/enospc-raw uring flush
		blk/enospc-raw-threads-noflush threads noflush
	EOF
	base=$(blk_image enospc-base.img 8M)
	for mode in flush noflush; do
		name=blk/enospc-overlay$([[ $mode == noflush ]] && echo -noflush)
		rm -f "$fs/top.img"
		if ! out=$("$PV" disk create-overlay "$fs/top.img" "$base" 2>&1); then
			fail "$name" "create-overlay: $out"
			continue
		fi
		blk_enospc_case "$name" 43 "$mode" "$base,overlay=$fs/top.img"
	done
	[[ -n $(tr -d '\0' <"$base" | head -c 1) ]] && fail blk/enospc-overlay-base "the base changed"
	blk_full_umount
}

# ---- bad input ------------------------------------------------------------------------

# blk_set_overlay_base OVERLAY PATH: rewrites the base path in OVERLAY's
# header (hv/disk/overlay_format.c: length at byte 76, path from 128), as
# create-overlay never would.
blk_set_overlay_base() {
	python3 - "$1" "$2" <<'PY'
import os, sys
top, base = sys.argv[1], os.path.realpath(sys.argv[2]).encode()
with open(top, "r+b") as f:
    h = bytearray(f.read(4096))
    h[76:80] = len(base).to_bytes(4, "little")
    h[128:4096] = base + bytes(4096 - 128 - len(base))
    f.seek(0)
    f.write(h)
PY
}

# Overlay headers that name the overlay itself, or another overlay, as the
# base: disk info and disk commit refuse them in one line, and the
# overlay and its base stay as they were.
blk_bad_overlay_headers() {  # BASE OTHER_OVERLAY
	local self=$blk_dir/oself.img chained=$blk_dir/ochain.img before
	rm -f "$self" "$chained"
	"$PV" disk create-overlay "$self" "$1" >/dev/null 2>&1 &&
		"$PV" disk create-overlay "$chained" "$1" >/dev/null 2>&1 || {
		fail badinput/disk-overlay-headers "cannot create the overlays"
		return
	}
	blk_set_overlay_base "$self" "$self"
	blk_set_overlay_base "$chained" "$2"
	before=$(blk_sha "$self")
	expect_error disk-info-overlay-of-itself 125 "has itself as its base" -- "$PVSAN" disk info "$self"
	expect_error disk-commit-overlay-of-itself 125 "has itself as its base" -- "$PVSAN" disk commit "$self"
	expect_error disk-info-overlay-of-overlay 125 "is itself a pvisor overlay" -- "$PVSAN" disk info "$chained"
	expect_error disk-commit-overlay-of-overlay 125 "is itself a pvisor overlay" -- \
		"$PVSAN" disk commit "$chained"
	if wanted badinput/disk-overlay-unchanged; then
		if [[ $(blk_sha "$self") == "$before" ]]; then
			pass badinput/disk-overlay-unchanged
		else
			fail badinput/disk-overlay-unchanged "the refused commit changed the overlay"
		fi
	fi
}

blk_test_bad_input() {
	local hello=$B/guest/guest/apps/hello.elf img base top pid
	img=$(blk_image good.img 1M)
	mkdir -p "$blk_dir/adir"
	head -c 1000 /dev/zero >"$blk_dir/odd.img"
	: >"$blk_dir/empty.img"
	expect_error blk-disk-missing 125 "does not exist" -- "$PVSAN" run --disk "$blk_dir/nope.img" "$hello"
	expect_error_kvm blk-disk-directory 125 "is a directory" -- "$PVSAN" run --disk "$blk_dir/adir" "$hello"
	expect_error_kvm blk-disk-odd-size 125 "not a multiple of 512" -- "$PVSAN" run --disk "$blk_dir/odd.img" "$hello"
	expect_error_kvm blk-disk-empty 125 "is empty" -- "$PVSAN" run --disk "$blk_dir/empty.img" "$hello"
	expect_error blk-disk-bad-option 125 "unknown option" -- "$PVSAN" run --disk "$img,frobnicate" "$hello"
	expect_error blk-disk-empty-spec 125 "--disk" -- "$PVSAN" run --disk "" "$hello"
	base=$(blk_image obase.img 1M)
	top=$blk_dir/otop.img
	rm -f "$top"
	"$PV" disk create-overlay "$top" "$base" >/dev/null 2>&1
	expect_error blk-disk-overlay-uring 125 "io=uring" -- "$PVSAN" run --disk "$base,overlay=$top,io=uring" "$hello"
	blk_bad_overlay_headers "$base" "$top"
	expect_error_kvm blk-disk-overlay-same-file 125 "has itself as its base" -- \
		"$PVSAN" run --disk "$top,overlay=$top" "$hello"
	wanted_guest badinput/blk-disk-locked || return 0
	# pvisor itself in the background (its --timeout bounds it), so that
	# blk_cleanup's kill reaches it and not a wrapper.
	"$PV" run --timeout "$BLK_TIMEOUT" --disk "$img" "$B/guest/tests/blk/blk_hold.elf" \
		>"$blk_dir/hold.out" 2>&1 </dev/null &
	pid=$!
	blk_pids+=("$pid")
	for _ in $(seq 100); do
		grep -q holding "$blk_dir/hold.out" && break
		sleep 0.05
	done
	if grep -q holding "$blk_dir/hold.out"; then
		expect_error blk-disk-locked 125 "in use by another process" -- "$PVSAN" run --disk "$img" "$hello"
	else
		fail badinput/blk-disk-locked "the first pvisor did not start: $(head -c 200 "$blk_dir/hold.out")"
	fi
	blk_cleanup
}

# ---- hostile guests (sanitizer build) ------------------------------------------------------

blk_test_hostile() {
	local c img
	for c in $BLK_HOSTILE_CASES; do
		wanted_guest "blk/hostile/$c" || continue
		img=$(blk_image hostile.img 4M)
		blk_check "blk/hostile/$c" blk_guest "$PVSAN" blk_hostile "$c" --disk "$img"
	done
}

suite_blk() {
	local saved_trap
	if ! command -v python3 >/dev/null; then
		skip blk "python3 is needed to check disk images from the host"
		return
	fi
	blk_dir=$tmp/blk
	mkdir -p "$blk_dir"
	saved_trap=$(trap -p EXIT)
	trap 'blk_cleanup; blk_full_umount; rm -rf "$tmp"' EXIT
	blk_test_integrity
	blk_test_ops
	blk_test_readonly
	blk_test_multi
	blk_test_overlay
	blk_test_flush_kill
	blk_test_flush_kill_overlay
	blk_test_enospc
	blk_test_bad_input
	blk_test_hostile
	blk_cleanup
	rm -rf "$blk_dir"
	eval "${saved_trap:-trap - EXIT}"
}
