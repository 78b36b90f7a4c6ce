# Makefile: builds pvisor (the hypervisor), the guest kernel library, the
# bundled guests, the host unit tests, and runs the test suite.
#
#   make            build everything into build/ (make deps installs packages)
#   make run        boot the bundled default guest
#   make test       build everything (plus a sanitizer build) and run the suite
#   make bench      run the benchmarks and rewrite docs/benchmarks.md
#   make build/guest/path/to/prog.elf   build a guest image from path/to/prog.c

B        ?= build
CC       ?= gcc
HOST_CFLAGS := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	       -Wmissing-prototypes -Wno-unused-parameter -D_GNU_SOURCE -Iinclude -Ihv -MMD -MP
HOST_LDLIBS := -lelf -luring -ljson-c -lseccomp -lpthread
SAN_FLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

HV_SRCS := $(foreach d,lib console disk net core virtio hw domctl daemon cli,$(wildcard hv/$(d)/*.c))
HV_OBJS := $(HV_SRCS:%.c=$(B)/host/%.o)
HV_SAN_OBJS := $(HV_SRCS:%.c=$(B)/host-san/%.o)
HV_LIB_OBJS := $(filter-out $(B)/host/hv/cli/main.o,$(HV_OBJS))
HV_LIB_SAN_OBJS := $(filter-out $(B)/host-san/hv/cli/main.o,$(HV_SAN_OBJS))

UNIT_SRCS := $(filter-out tests/unit/test_guest_libc.c,$(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/unit/%)

BADINPUT_IMAGES := $(patsubst %.c,$(B)/guest/%.elf,$(wildcard tests/badinput/*.c))
BENCH_IMAGES := $(patsubst %.c,$(B)/guest/%.elf,$(wildcard bench/guests/*.c))
# pvbench measures bench/cpu_work.c against the host baseline that bench/run
# links from the same file: here it is a second object of that one image,
# built with the flags of guest programs (SSE allowed, as on the host).
PVBENCH_OBJS := $(B)/guest/bench/cpu_work.o
FULLRAW_IMAGES := $(patsubst tests/fullraw/%.c,$(B)/fullraw/%.elf,$(wildcard tests/fullraw/*.c))
# The guests the fullvirt suite runs in all three modes, built without SSE
# in their own code: nested-PVM hosts emulate CPL0 code and that emulator
# cannot execute SSE arithmetic (docs/full-virt.md, "Limits").
NOSIMD_SRCS := $(filter-out tests/guest/fpu_context.c,$(wildcard tests/guest/*.c tests/blk/*.c \
	tests/netguests/*.c)) $(wildcard bench/guests/modes.c)
NOSIMD_IMAGES := $(patsubst %.c,$(B)/nosimd/%.elf,$(NOSIMD_SRCS))

.PHONY: all run test bench fuzz clean unit guest deps test-deps
all: $(B)/pvisor $(B)/pvisor-san guest unit $(BADINPUT_IMAGES) $(BENCH_IMAGES) $(FULLRAW_IMAGES) \
	$(NOSIMD_IMAGES)

include guest/guest.mk

$(B)/guest/bench/guests/pvbench.elf: GUEST_APP_CFLAGS := -Ibench
$(B)/guest/bench/guests/pvbench.elf: GUEST_APP_OBJS := $(PVBENCH_OBJS)
$(B)/guest/bench/guests/pvbench.elf: $(PVBENCH_OBJS)
$(PVBENCH_OBJS): GUEST_NO_SIMD :=

# Raw full-mode guests (tests/fullraw): CPL0 programs without the guest
# kernel that drive the emulated PC directly.
$(B)/fullraw/%.elf: tests/fullraw/%.c tests/fullraw/raw.h $(GUEST_LDSCRIPT)
	@mkdir -p $(@D)
	$(GUEST_CC) $(GUEST_CFLAGS) -MF $(B)/fullraw/$*.d -c -o $(B)/fullraw/$*.o $<
	$(GUEST_LD) $(GUEST_LDFLAGS) -o $@ $(B)/fullraw/$*.o

$(B)/nosimd/tests/%.elf: GUEST_APP_CFLAGS := $(GUEST_TEST_CFLAGS)
$(B)/nosimd/%.elf: %.c $(GUEST_LIB) $(GUEST_LDSCRIPT)
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) $(GUEST_APP_CFLAGS) -mgeneral-regs-only -MF $(B)/nosimd/$*.d \
		-MT $@ -c -o $(B)/nosimd/$*.o $<
	$(GUEST_LD) $(GUEST_LDFLAGS) -o $@ $(B)/nosimd/$*.o \
		--whole-archive $(GUEST_LIB) --no-whole-archive $(GUEST_LIBGCC)

$(B)/host/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -c $< -o $@

$(B)/host-san/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(SAN_FLAGS) -c $< -o $@

$(B)/pvisor: $(HV_OBJS)
	$(CC) -o $@ $^ $(HOST_LDLIBS)

# The same hypervisor built with ASan and UBSan; the test suite runs every
# guest on it too.
$(B)/pvisor-san: $(HV_SAN_OBJS)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LDLIBS)

$(B)/unit/%: tests/unit/%.c $(HV_LIB_SAN_OBJS)
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(SAN_FLAGS) -Itests/unit -o $@ $(filter %.c %.o,$^) $(HOST_LDLIBS)

# Unit tests of guest code that is pure enough to build on the host: the
# guest's headers come after the system's, so <string.h> stays glibc's.
GUEST_ON_HOST_FLAGS := $(HOST_CFLAGS) $(SAN_FLAGS) -idirafter guest/include -Itests/unit

$(B)/unit/test_netstack: tests/unit/test_netstack.c $(wildcard guest/netstack/*.c) \
		guest/include/pv/netstack.h
	@mkdir -p $(@D)
	$(CC) $(GUEST_ON_HOST_FLAGS) -o $@ $(filter %.c,$^)

$(B)/unit/test_virtq_driver: tests/unit/test_virtq_driver.c guest/drivers/virtq.c \
		guest/include/pv/virtq.h $(HV_LIB_SAN_OBJS)
	@mkdir -p $(@D)
	$(CC) $(GUEST_ON_HOST_FLAGS) -o $@ $(filter %.c %.o,$^) $(HOST_LDLIBS)

$(B)/unit/test_guest_libc: tests/unit/test_guest_libc.c $(wildcard guest/lib/*.c) tests/unit/build_guest_libc_test.sh
	@mkdir -p $(@D)
	bash tests/unit/build_guest_libc_test.sh $(B)/unit

unit: $(UNIT_BINS) $(B)/unit/test_guest_libc

deps:
	@bash tools/deps.sh

test-deps:
	@bash tools/deps.sh test

# Without /dev/kvm the guest boots in the nested-KVM test machine (slow).
run: deps
	$(MAKE) $(B)/pvisor guest
	@if [ -c /dev/kvm ]; then $(B)/pvisor run; else \
		echo "make run: no /dev/kvm here: booting under nested KVM in QEMU (tests/nested/run)"; \
		tests/nested/run $(B)/pvisor run; fi

test: test-deps
	$(MAKE) all
	bash tests/run

bench: test-deps
	$(MAKE) all
	bash bench/run

# The libFuzzer harnesses (clang, ASan, UBSan), FUZZ_SECONDS each (60);
# `make test` runs a 10 s smoke of the same (tests/fuzz/README.md).
FUZZ_SECONDS ?= 60
fuzz: test-deps
	bash tests/fuzz/run.sh $(FUZZ_SECONDS)

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
