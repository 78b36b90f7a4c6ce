#!/usr/bin/env bash
# build_elf_tests.sh OUTDIR: builds the unit tests of the guest image loader
# and the symbolizer (hv/core/elf_loader.c, hv/core/symbols.c) under
# ASan/UBSan into OUTDIR/test_elf_loader and OUTDIR/test_symbols.
# Needs gcc and libelf from elfutils (Debian: libelf-dev).
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi
out=$1
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cc=${CC:-gcc}
cflags=(-std=gnu11 -O1 -g -Wall -Wextra -Werror
	-fsanitize=address,undefined -fno-sanitize-recover=all
	-I"$root/hv/core" -I"$root/tests/unit")

if ! echo '#include <gelf.h>' | "$cc" -E -x c - >/dev/null 2>&1; then
	echo "$0: <gelf.h> not found: install libelf-dev (apt-get install -y libelf-dev)" >&2
	exit 1
fi

mkdir -p "$out"
"$cc" "${cflags[@]}" -o "$out/test_elf_loader" \
	"$root/tests/unit/test_elf_loader.c" "$root/hv/core/elf_loader.c" -lelf
"$cc" "${cflags[@]}" -o "$out/test_symbols" \
	"$root/tests/unit/test_symbols.c" "$root/hv/core/symbols.c" -lelf
