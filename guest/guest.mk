# guest/guest.mk: builds the pvisor guest kernel library and guest images.
#
# Included by the top-level Makefile (with B=build), or standalone:
#     make -f guest/guest.mk B=build guest
# Any C file with a main() becomes a bootable image:
#     make build/guest/guest/apps/hello.elf
#     make build/guest/myapp/main.elf        (from myapp/main.c)
# Every guest file X.c or X.S compiles to $(B)/guest/X.o.

B ?= build

GUEST_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

GUEST_CC ?= gcc
GUEST_LD ?= ld
GUEST_AR ?= ar

# Headers: <...> names the public ones, guest/include (the C library and
# pv/) and include/ (pvisor/, the ABI); guest files name another folder's
# header by its path below guest/, as "kernel/kernel.h" or
# "platform/platform.h", and their own folder's by its name.
GUEST_CFLAGS := -std=gnu11 -ffreestanding -nostdinc \
	-isystem $(shell $(GUEST_CC) -print-file-name=include) \
	-Iguest/include -Iguest -Iinclude -fno-builtin -fno-stack-protector -fno-pic -fno-pie \
	-mno-red-zone -fno-omit-frame-pointer -mcmodel=small -O2 -g \
	-Wall -Wextra -Werror -MMD -MP
GUEST_ASFLAGS := $(filter-out -std=gnu11,$(GUEST_CFLAGS)) -D__ASSEMBLY__
# The kernel and its libraries use the general-purpose registers only. In
# hybrid and full mode the kernel runs at CPL0, which nested-PVM hosts
# emulate instruction by instruction, and that emulator executes SSE moves
# but not SSE arithmetic, pxor or movd/movq (the domain then ends with a
# KVM internal error): gcc would otherwise use them to zero and copy
# structures. printf's variadic entry points opt back in (guest/lib/printf.c).
# Programs are built as before, with SSE: -mgeneral-regs-only would silently
# break the calling convention of double arguments (gcc 12 passes them on
# the stack then). A program that wants to run natively on such hosts keeps
# SIMD out of its own code (docs/guest.md, "One binary, three platforms").
GUEST_NO_SIMD := -mgeneral-regs-only
GUEST_LDSCRIPT := guest/arch/x86_64/guest.ld
GUEST_LDFLAGS := -nostdlib -static -no-pie -z noexecstack -z max-page-size=4096 \
	-T $(GUEST_LDSCRIPT)
GUEST_LIBGCC := $(shell $(GUEST_CC) -print-libgcc-file-name)

GUEST_LIB_SRCS := $(sort $(wildcard guest/arch/x86_64/*.S guest/platform/*.c \
	guest/platform/pv/*.c guest/platform/native/*.S guest/platform/native/*.c \
	guest/kernel/*.c guest/drivers/*.c guest/drivers/pc/*.c guest/netstack/*.c \
	guest/lib/*.c))
GUEST_LIB_OBJS := $(patsubst %,$(B)/guest/%.o,$(basename $(GUEST_LIB_SRCS)))
GUEST_LIB := $(B)/guest/libpvkernel.a

GUEST_APP_SRCS := $(sort $(wildcard guest/apps/*.c tests/guest/*.c tests/hostile/*.c \
	tests/console/*.c tests/blk/*.c tests/netguests/*.c tests/daemon/*.c))
GUEST_IMAGES := $(patsubst %.c,$(B)/guest/%.elf,$(GUEST_APP_SRCS))

.PHONY: guest guest-clean
guest: $(GUEST_IMAGES)

guest-clean:
	rm -rf $(B)/guest

# Objects depend on this file too: a change of flags rebuilds them.
$(B)/guest/%.o: %.c guest/guest.mk
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) $(GUEST_NO_SIMD) -c -o $@ $<

# printf.c chooses per function (its variadic entry points need SSE).
$(B)/guest/guest/lib/printf.o: GUEST_NO_SIMD :=

$(B)/guest/%.o: %.S guest/guest.mk
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_ASFLAGS) -c -o $@ $<

$(GUEST_LIB): $(GUEST_LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(GUEST_AR) rcs $@ $^

# The whole archive is linked in: the kernel's strong definitions of the C
# library's hooks must win over its weak defaults, and _start lives there.
# An image may add objects of its own with GUEST_APP_OBJS (a prerequisite
# too), and include flags with GUEST_APP_CFLAGS.
$(B)/guest/%.elf: %.c $(GUEST_LIB) $(GUEST_LDSCRIPT) guest/guest.mk
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) $(GUEST_APP_CFLAGS) -MF $(B)/guest/$*.d -MT $@ \
		-c -o $(B)/guest/$*.o $<
	$(GUEST_LD) $(GUEST_LDFLAGS) -o $@ $(B)/guest/$*.o $(GUEST_APP_OBJS) \
		--whole-archive $(GUEST_LIB) --no-whole-archive $(GUEST_LIBGCC)

# Test guests include their shared helpers as "pvtest.h" (tests/guest/).
GUEST_TEST_CFLAGS := -Itests/guest
$(B)/guest/tests/%.elf: GUEST_APP_CFLAGS := $(GUEST_TEST_CFLAGS)

-include $(shell find $(B)/guest -name '*.d' 2>/dev/null)

# Standalone, `make -f guest/guest.mk` builds everything; included, the
# including Makefile keeps its own default goal.
ifeq ($(firstword $(MAKEFILE_LIST)),guest/guest.mk)
.DEFAULT_GOAL := guest
else
.DEFAULT_GOAL := $(GUEST_SAVED_DEFAULT_GOAL)
endif
