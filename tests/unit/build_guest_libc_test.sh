#!/usr/bin/env bash
# build_guest_libc_test.sh OUTDIR: builds the host unit test of the guest C
# library into OUTDIR.
#
# The guest library sources are compiled with the exact guest flags (no
# sanitizers), linked into one relocatable object and every symbol is
# renamed with a pv_ prefix so the test can link them next to glibc and
# compare. errno.c and hooks.c, the weak defaults of the library's hooks,
# are only compiled (the test supplies pv___errno_location and the hooks).
# The headers are also checked: each compiles on its own, the PRI* macros
# agree with -Wformat, and assert() honours NDEBUG.
set -euo pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 OUTDIR" >&2
	exit 2
fi

root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$1"
out=$(cd "$1" && pwd)
obj="$out/guest_libc"
mkdir -p "$obj"

CC=${CC:-gcc}
LD=${LD:-ld}
OBJCOPY=${OBJCOPY:-objcopy}
NM=${NM:-nm}

guest_cflags=(
	-std=gnu11 -ffreestanding -nostdinc
	-isystem "$("$CC" -print-file-name=include)"
	-I"$root/guest/include"
	-fno-builtin -fno-stack-protector -fno-pic -fno-pie -mno-red-zone
	-fno-omit-frame-pointer -mcmodel=small -O2 -g -Wall -Wextra -Werror
)

# 1. Every guest/lib file, freestanding.
lib_srcs=(string ctype stdlib printf malloc)
for f in "${lib_srcs[@]}" errno hooks; do
	"$CC" "${guest_cflags[@]}" -c "$root/guest/lib/$f.c" -o "$obj/$f.o"
done

# 2. Header checks, in the guest environment.
headers=(string strings stdlib ctype stdio errno assert inttypes)
for h in "${headers[@]}"; do
	printf '#include <%s.h>\n#include <%s.h>\n' "$h" "$h" |
		"$CC" "${guest_cflags[@]}" -x c -fsyntax-only -
done
cat >"$obj/header_check.c" <<'CHECK'
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

_Static_assert(EINVAL == 22 && ENOMEM == 12 && ERANGE == 34, "errno");
_Static_assert(ENOTSUP == 95 && ETIMEDOUT == 110 && EOVERFLOW == 75, "errno");

#define P(type, fmt) printf("%" fmt "\n", (type)0)
void check_formats(void)
{
	P(int8_t, PRId8); P(int16_t, PRIi16); P(int32_t, PRId32);
	P(int64_t, PRId64); P(uint8_t, PRIu8); P(uint16_t, PRIx16);
	P(uint32_t, PRIX32); P(uint64_t, PRIo64);
	P(int_least8_t, PRIdLEAST8); P(int_least64_t, PRIdLEAST64);
	P(uint_least16_t, PRIuLEAST16); P(uint_least64_t, PRIxLEAST64);
	P(int_fast8_t, PRIdFAST8); P(int_fast16_t, PRIdFAST16);
	P(int_fast32_t, PRIiFAST32); P(int_fast64_t, PRIdFAST64);
	P(uint_fast16_t, PRIuFAST16); P(uint_fast32_t, PRIxFAST32);
	P(uint_fast64_t, PRIXFAST64); P(intmax_t, PRIdMAX);
	P(uintmax_t, PRIuMAX); P(intptr_t, PRIdPTR); P(uintptr_t, PRIxPTR);
	fprintf(stderr, "%s %d\n", strerror(errno), abs(-1));
}

int assert_live(int x)
{
	assert(x > 0);
	return x;
}

#define NDEBUG
#include <assert.h>
int assert_dead(int x)
{
	assert(undeclared_identifier_is_fine_here);
	return x;
}
CHECK
"$CC" "${guest_cflags[@]}" -Wformat=2 -c "$obj/header_check.c" \
	-o "$obj/header_check.o"
"$NM" -u "$obj/header_check.o" | grep -q __assert_fail
if "$NM" "$obj/header_check.o" | grep -q undeclared; then
	echo "assert() ignored NDEBUG" >&2
	exit 1
fi

# 3. One object with every symbol prefixed; it may depend on the kernel
#    hooks only.
lib_objs=()
for f in "${lib_srcs[@]}"; do
	lib_objs+=("$obj/$f.o")
done
"$LD" -r -o "$obj/guest_libc.o" "${lib_objs[@]}"
undefined=$("$NM" -u "$obj/guest_libc.o" | awk '{print $2}' | sort | tr '\n' ' ')
allowed="__assert_fail __console_write __errno_location __pages_alloc __pages_free "
if [ "$undefined" != "$allowed" ]; then
	echo "guest libc has unexpected undefined symbols: $undefined" >&2
	exit 1
fi
"$OBJCOPY" --prefix-symbols=pv_ "$obj/guest_libc.o" "$out/guest_libc_pv.o"

# 4. The test itself. The guest object is not position independent, hence
#    -no-pie at link time.
"$CC" -std=gnu11 -O1 -g -Wall -Wextra -Werror -fsanitize=address,undefined \
	-I"$root/tests/unit" -c "$root/tests/unit/test_guest_libc.c" \
	-o "$obj/test_guest_libc.o"
"$CC" -fsanitize=address,undefined -no-pie -o "$out/test_guest_libc" \
	"$obj/test_guest_libc.o" "$out/guest_libc_pv.o" -lm
