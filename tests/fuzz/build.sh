#!/bin/bash
# tests/fuzz/build.sh: builds every libFuzzer harness of tests/fuzz into
# build/fuzz/NAME with clang, ASan and UBSan (tests/fuzz/README.md). The
# pvisor sources each harness needs are compiled in directly, with the
# project's warnings and include paths (the Makefile's HOST_CFLAGS; guest
# code the way GUEST_ON_HOST_FLAGS builds it for the host).
#
#   tests/fuzz/build.sh [NAME...]      default: every harness
set -euo pipefail
cd "$(dirname "$0")/../.."

CC=${FUZZ_CC:-clang}
OUT=build/fuzz
WARN="-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter"
FUZZ="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
BASE="-std=gnu11 -O1 -g $WARN $FUZZ -D_GNU_SOURCE"
HOST="$BASE -Iinclude -Ihv"
GUEST_ON_HOST="$HOST -idirafter guest/include"

# link NAME FLAGS SOURCES... [-- LIBS...]
link() {
	local name=$1 flags=$2 srcs=() libs=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do srcs+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	libs=("$@")
	echo "  CC $OUT/$name"
	# shellcheck disable=SC2086
	$CC $flags -o "$OUT/$name" "${srcs[@]}" "${libs[@]}"
}

build_one() {
	case $1 in
	fuzz_elf)
		link fuzz_elf "$HOST" tests/fuzz/fuzz_elf.c hv/core/elf_loader.c \
			hv/core/symbols.c hv/lib/errmsg.c -- -lelf ;;
	fuzz_config)
		link fuzz_config "$HOST" tests/fuzz/fuzz_config.c hv/cli/config_file.c \
			hv/cli/options.c hv/disk/disk_spec.c hv/net/net_spec.c hv/lib/errmsg.c \
			tests/fuzz/quiet_log.c -- -ljson-c -lm ;;
	fuzz_api)
		link fuzz_api "$HOST" tests/fuzz/fuzz_api.c hv/daemon/api.c hv/daemon/domains.c hv/daemon/launcher.c \
			hv/daemon/domlink.c hv/daemon/cgroups.c hv/lib/json_line.c \
			tests/fuzz/quiet_log.c -- -ljson-c ;;
	fuzz_netstack)
		link fuzz_netstack "$GUEST_ON_HOST" tests/fuzz/fuzz_netstack.c \
			guest/netstack/*.c ;;
	fuzz_overlay)
		link fuzz_overlay "$HOST" tests/fuzz/fuzz_overlay.c hv/disk/overlay.c \
			hv/disk/overlay_format.c hv/disk/image.c hv/lib/host_files.c hv/disk/raw_io.c hv/disk/iov.c \
			hv/lib/errmsg.c -- -lpthread ;;
	make_seeds)
		link make_seeds "${GUEST_ON_HOST/$FUZZ/$SAN}" tests/fuzz/make_seeds.c \
			guest/netstack/*.c hv/disk/overlay_format.c hv/disk/raw_io.c \
			hv/disk/iov.c hv/lib/errmsg.c ;;
	fuzz_virtq)
		link fuzz_virtq "$HOST" tests/fuzz/fuzz_virtq.c hv/virtio/virtqueue.c \
			hv/core/guest_phys.c -- -lpthread ;;
	fuzz_blkreq)
		link fuzz_blkreq "$HOST" tests/fuzz/fuzz_blkreq.c tests/fuzz/fake_vdev.c \
			hv/virtio/blk.c hv/virtio/virtqueue.c hv/core/guest_phys.c \
			tests/fuzz/quiet_log.c -- -lpthread ;;
	fuzz_netreq)
		link fuzz_netreq "$HOST" tests/fuzz/fuzz_netreq.c tests/fuzz/fake_vdev.c \
			hv/virtio/net.c hv/virtio/net_hdr.c hv/virtio/virtqueue.c hv/core/guest_phys.c \
			tests/fuzz/quiet_log.c -- -lpthread ;;
	fuzz_hypercall)
		link fuzz_hypercall "$HOST" tests/fuzz/fuzz_hypercall.c hv/core/hypercall.c \
			hv/core/pv_mmu.c hv/core/pagetable.c hv/core/evtchn.c hv/core/guest_access.c \
			hv/core/device.c hv/core/x86_setup.c tests/fuzz/quiet_log.c ;;
	*)
		echo "tests/fuzz/build.sh: no harness '$1'" >&2
		return 1 ;;
	esac
}

# Every tests/fuzz/fuzz_*.c is a harness; make_seeds writes their seeds.
all_harnesses() {
	local f
	for f in tests/fuzz/fuzz_*.c; do
		f=${f##*/}
		echo "${f%.c}"
	done
	echo make_seeds
}

mkdir -p "$OUT"
names=("$@")
[ ${#names[@]} -gt 0 ] || mapfile -t names < <(all_harnesses)
for name in "${names[@]}"; do
	build_one "$name"
done
