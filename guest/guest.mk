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

GUEST_CFLAGS := -std=gnu11 -ffreestanding -nostdinc \
	-isystem $(shell $(GUEST_CC) -print-file-name=include) \
	-Iguest/include -Iinclude -fno-builtin -fno-stack-protector -fno-pic -fno-pie \
	-mno-red-zone -fno-omit-frame-pointer -mcmodel=small -O2 -g \
	-Wall -Wextra -Werror -MMD -MP
GUEST_ASFLAGS := $(filter-out -std=gnu11,$(GUEST_CFLAGS)) -D__ASSEMBLY__
GUEST_LDSCRIPT := guest/arch/x86_64/guest.ld
GUEST_LDFLAGS := -nostdlib -static -no-pie -z noexecstack -z max-page-size=4096 \
	-T $(GUEST_LDSCRIPT)
GUEST_LIBGCC := $(shell $(GUEST_CC) -print-libgcc-file-name)

GUEST_LIB_SRCS := $(sort $(wildcard guest/arch/x86_64/*.S guest/arch/x86_64/*.c \
	guest/kernel/*.c guest/drivers/*.c guest/netstack/*.c guest/lib/*.c))
GUEST_LIB_OBJS := $(patsubst %,$(B)/guest/%.o,$(basename $(GUEST_LIB_SRCS)))
GUEST_LIB := $(B)/guest/libpvkernel.a

GUEST_APP_SRCS := $(sort $(wildcard guest/apps/*.c tests/guest/*.c tests/hostile/*.c \
	tests/console/*.c tests/blk/*.c tests/netguests/*.c))
GUEST_IMAGES := $(patsubst %.c,$(B)/guest/%.elf,$(GUEST_APP_SRCS))

.PHONY: guest guest-clean
guest: $(GUEST_IMAGES)

guest-clean:
	rm -rf $(B)/guest

$(B)/guest/%.o: %.c
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -c -o $@ $<

$(B)/guest/%.o: %.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_ASFLAGS) -c -o $@ $<

$(GUEST_LIB): $(GUEST_LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	$(GUEST_AR) rcs $@ $^

# The whole archive is linked in: the kernel's strong definitions of the C
# library's hooks must win over its weak defaults, and _start lives there.
$(B)/guest/%.elf: %.c $(GUEST_LIB) $(GUEST_LDSCRIPT)
	@mkdir -p $(dir $@)
	$(GUEST_CC) $(GUEST_CFLAGS) -MF $(B)/guest/$*.d -MT $@ -c -o $(B)/guest/$*.o $<
	$(GUEST_LD) $(GUEST_LDFLAGS) -o $@ $(B)/guest/$*.o \
		--whole-archive $(GUEST_LIB) --no-whole-archive $(GUEST_LIBGCC)

-include $(shell find $(B)/guest -name '*.d' 2>/dev/null)

# Standalone, `make -f guest/guest.mk` builds everything; included, the
# including Makefile keeps its own default goal.
ifeq ($(firstword $(MAKEFILE_LIST)),guest/guest.mk)
.DEFAULT_GOAL := guest
else
.DEFAULT_GOAL := $(GUEST_SAVED_DEFAULT_GOAL)
endif
