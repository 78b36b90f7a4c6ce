/* x86_setup.c: GDT, TSS, IDT, trap stubs, hypercall page and the initial
 * vCPU state of a PV guest (see x86_setup.h). */
#include <cpuid.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <pvisor/abi.h>
#include <pvisor/device.h>
#include <pvisor/hypercall.h>
#include <pvisor/platform.h>

#include "core/layout.h"
#include "lib/log.h"
#include "core/pv_mmu.h"
#include "core/x86_setup.h"

/* Descriptors with the accessed bit preset, so the CPU never writes them. */
#define GDT_UDATA 0x0000f30000000000ull /* DPL3 */
#define GDT_UCODE 0x0020fb0000000000ull

static void build_gdt(uint64_t *gdt)
{
	uint64_t base = HV_AREA_VA + HV_TSS, limit = TSS_LIMIT;

	gdt[SEL_KCODE / 8] = GDT_KCODE;
	gdt[SEL_KDATA / 8] = GDT_KDATA;
	gdt[SEL_UDATA / 8] = GDT_UDATA;
	gdt[SEL_UCODE / 8] = GDT_UCODE;
	/* 64-bit TSS (type 0xb, busy: KVM_SET_SREGS loads TR directly). */
	gdt[SEL_TSS / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x8bull << 40) |
			   (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	gdt[SEL_TSS / 8 + 1] = base >> 32;
}

static void open_port(uint8_t *iomap, unsigned port)
{
	iomap[port / 8] &= (uint8_t)~(1u << (port % 8));
}

static void build_tss(uint8_t *tss)
{
	uint8_t *iomap = tss + TSS_IOMAP_OFFSET;
	uint64_t rsp0 = HV_AREA_VA + HV_STACK0_TOP, ist1 = HV_AREA_VA + HV_IST1_TOP;

	memcpy(tss + 4, &rsp0, 8);           /* RSP0 */
	memcpy(tss + 0x24, &ist1, 8);        /* IST1 */
	tss[0x66] = TSS_IOMAP_OFFSET;        /* I/O map base */
	memset(iomap, 0xff, 8192 + 1);       /* all ports closed, + end marker */
	for (unsigned p = 0; p < 4; p++)
		open_port(iomap, PVISOR_PORT_HYPERCALL + p);
	open_port(iomap, PVISOR_PORT_KICK);
	open_port(iomap, PVISOR_PORT_NULL);
	for (unsigned p = 0; p < 4 * PVISOR_MAX_DEVICES; p++)
		open_port(iomap, PVISOR_PORT_DOORBELL_BASE + p);
}

/* Does vector v push an error code? */
static int vector_has_error_code(unsigned v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

/* Stub for vector v: [push $0;] push $v; jmp common. The common tail exits
 * to the hypervisor with "out %al, $PORT_TRAP" (registers untouched), which
 * delivers the exception by editing the iret frame, then drops the vector
 * and error code and returns to CPL3 with iretq. */
static void build_stubs(uint8_t *code)
{
	static const uint8_t common[] = {
		0xe6, PVISOR_PORT_TRAP,       /* out %al, $PORT_TRAP */
		0x48, 0x83, 0xc4, 0x10,       /* add $16, %rsp       */
		0x48, 0xcf,                   /* iretq               */
	};

	memset(code, 0xcc, PAGE_SIZE);
	for (unsigned v = 0; v < 32; v++) {
		uint8_t *p = code + v * STUB_SLOT;
		int32_t rel;

		if (!vector_has_error_code(v)) {
			*p++ = 0x6a;          /* push $0 */
			*p++ = 0x00;
		}
		*p++ = 0x6a;                  /* push $v */
		*p++ = (uint8_t)v;
		*p++ = 0xe9;                  /* jmp rel32 */
		rel = (int32_t)(STUB_COMMON - (p + 4 - code));
		memcpy(p, &rel, 4);
	}
	memcpy(code + STUB_COMMON, common, sizeof(common));
}

static void build_idt(uint64_t *idt)
{
	for (unsigned v = 0; v < 32; v++) {
		uint64_t off = HV_AREA_VA + HV_STUBS + v * STUB_SLOT;
		unsigned ist = (v == 2 || v == 8 || v == 18) ? 1 : 0;

		/* present, DPL0, 64-bit interrupt gate */
		idt[2 * v] = (off & 0xffff) | ((uint64_t)SEL_KCODE << 16) | ((uint64_t)ist << 32) |
			     (0x8eull << 40) | (((off >> 16) & 0xffff) << 48);
		idt[2 * v + 1] = off >> 32;
	}
}

static int map_hv_page(struct pv_mmu *mmu, uint64_t offset, int writable)
{
	uint64_t pte = (HV_AREA_GPA + offset) | PTE_P | (writable ? PTE_W | PTE_NX : 0);
	bool flush = false;

	return pv_mmu_set(mmu, HV_AREA_VA + offset, pte, &flush);
}

int x86_build_hv_area(uint8_t *hv, struct pv_mmu *mmu)
{
	memset(hv, 0, HV_AREA_SIZE);
	build_gdt((uint64_t *)(hv + HV_GDT));
	build_idt((uint64_t *)(hv + HV_IDT));
	build_tss(hv + HV_TSS);
	build_stubs(hv + HV_STUBS);
	for (uint64_t off = 0; off < HV_AREA_SIZE; off += PAGE_SIZE)
		if (map_hv_page(mmu, off, off != HV_STUBS) < 0)
			return -1;
	return 0;
}

void x86_build_hypercall_page(uint8_t *page)
{
	memset(page, 0xcc, PAGE_SIZE);      /* int3 between stubs */
	for (uint32_t nr = 0; nr < PVISOR_HYPERCALL_MAX; nr++) {
		uint8_t *p = page + nr * PVISOR_HYPERCALL_STUB_SIZE;

		*p++ = 0xb8;                        /* mov $nr, %eax        */
		memcpy(p, &nr, 4);
		p += 4;
		*p++ = 0xe7;                        /* out %eax, $PORT      */
		*p++ = PVISOR_PORT_HYPERCALL;
		*p++ = 0xc3;                        /* ret                  */
	}
}

void x86_flat_segment(struct kvm_segment *s, uint16_t sel, unsigned dpl, int code)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel | (uint16_t)dpl;
	s->limit = 0xffffffff;
	s->g = 1;
	s->present = 1;
	s->s = 1;
	s->dpl = (uint8_t)dpl;
	s->type = code ? 0xb : 0x3;
	s->l = code;
	s->db = !code;
}

void x86_long_mode_sregs(struct kvm_sregs *sregs, uint64_t cr3)
{
	sregs->cr0 = 0x80050033;   /* PG AM WP NE ET MP PE */
	sregs->cr4 = 0x620;        /* OSXMMEXCPT OSFXSR PAE */
	sregs->efer = 0xd00;       /* NXE LMA LME */
	sregs->cr3 = cr3;
	memset(&sregs->ldt, 0, sizeof(sregs->ldt));
	sregs->ldt.type = 2;
	sregs->ldt.unusable = 1;
}

int x86_set_entry_regs(int vcpu_fd, uint64_t entry, uint64_t arg)
{
	struct kvm_regs regs;

	memset(&regs, 0, sizeof(regs));
	regs.rip = entry;
	regs.rsp = PVISOR_BOOT_STACK_TOP;
	regs.rdi = arg;
	regs.rflags = 0x2;
	if (ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0) {
		log_errno("KVM_SET_REGS");
		return -1;
	}
	return 0;
}

/* Drops KVM's own hypervisor leaves (0x40000000..0x400000ff): when pvisor
 * offers its leaves they must be the ones a guest finds. */
static void drop_hypervisor_leaves(struct kvm_cpuid2 *cpuid)
{
	unsigned out = 0;

	for (unsigned i = 0; i < cpuid->nent; i++)
		if ((cpuid->entries[i].function & 0xffffff00u) != PVISOR_CPUID_BASE)
			cpuid->entries[out++] = cpuid->entries[i];
	cpuid->nent = out;
}

/* The host's CPUID as KVM supports it, with the hypervisor-present bit.
 * With pv_bits != 0, pvisor's leaves replace KVM's: 0x40000000 = max leaf,
 * "pvisorpvisor"; 0x40000001 eax = ABI version, ebx = pv_bits
 * (include/pvisor/platform.h). With pv_bits == 0 (full virtualization) the
 * guest sees KVM's leaves and nothing of pvisor. */
int x86_set_cpuid(int kvm_fd, int vcpu_fd, uint32_t pv_bits)
{
	const unsigned max = 256;
	struct kvm_cpuid2 *cpuid = calloc(1, sizeof(*cpuid) + max * sizeof(struct kvm_cpuid_entry2));
	struct kvm_cpuid_entry2 *e;
	int rc = -1;

	if (!cpuid)
		return -1;
	cpuid->nent = max - 2;
	if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) < 0) {
		log_errno("KVM_GET_SUPPORTED_CPUID");
		goto out;
	}
	for (unsigned i = 0; i < cpuid->nent; i++)
		if (cpuid->entries[i].function == 1)
			cpuid->entries[i].ecx |= 1u << 31;  /* hypervisor present */
	if (pv_bits) {
		drop_hypervisor_leaves(cpuid);
		e = &cpuid->entries[cpuid->nent];
		memset(e, 0, sizeof(*e) * 2);
		e[0].function = PVISOR_CPUID_BASE;
		e[0].eax = PVISOR_CPUID_FEATURES;
		memcpy(&e[0].ebx, PVISOR_CPUID_SIGNATURE, 4);
		memcpy(&e[0].ecx, &PVISOR_CPUID_SIGNATURE[4], 4);
		memcpy(&e[0].edx, &PVISOR_CPUID_SIGNATURE[8], 4);
		e[1].function = PVISOR_CPUID_FEATURES;
		e[1].eax = PVISOR_ABI_VERSION;
		e[1].ebx = pv_bits;
		cpuid->nent += 2;
	}
	if (ioctl(vcpu_fd, KVM_SET_CPUID2, cpuid) < 0)
		log_errno("KVM_SET_CPUID2");
	else
		rc = 0;
out:
	free(cpuid);
	return rc;
}

/* The task register's cached type. KVM_SET_SREGS loads TR directly, so it
 * holds what LTR would leave: a busy 64-bit TSS (0xb), which VMX checks on
 * entry. SVM checks nothing, and QEMU's TCG model of SVM (where pvisor runs
 * under nested KVM, tests/nested/) consults the I/O bitmap only for an
 * available TSS (9), as its own LTR caches it; so on AMD use that. */
static uint8_t tr_type(void)
{
	unsigned eax, ebx, ecx, edx;

	if (__get_cpuid(0, &eax, &ebx, &ecx, &edx) && ebx == 0x68747541 /* "Auth" */ &&
	    edx == 0x69746e65 /* "enti" */ && ecx == 0x444d4163 /* "cAMD" */)
		return 0x9;
	return 0xb;
}

int x86_init_vcpu(int kvm_fd, int vcpu_fd, uint64_t cr3, uint64_t entry, uint64_t arg)
{
	struct kvm_sregs sregs;

	if (x86_set_cpuid(kvm_fd, vcpu_fd, PVISOR_CPUID_PV_CPU | PVISOR_CPUID_PV_DEVICES) < 0)
		return -1;
	if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0) {
		log_errno("KVM_GET_SREGS");
		return -1;
	}
	x86_long_mode_sregs(&sregs, cr3);
	sregs.gdt.base = HV_AREA_VA + HV_GDT;
	sregs.gdt.limit = 7 * 8 - 1;
	sregs.idt.base = HV_AREA_VA + HV_IDT;
	sregs.idt.limit = 32 * 16 - 1;
	x86_flat_segment(&sregs.cs, SEL_UCODE, 3, 1);
	x86_flat_segment(&sregs.ds, SEL_UDATA, 3, 0);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	memset(&sregs.tr, 0, sizeof(sregs.tr));
	sregs.tr.base = HV_AREA_VA + HV_TSS;
	sregs.tr.limit = TSS_LIMIT;
	sregs.tr.selector = SEL_TSS;
	sregs.tr.type = tr_type();
	sregs.tr.present = 1;
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) < 0) {
		log_errno("KVM_SET_SREGS");
		return -1;
	}
	return x86_set_entry_regs(vcpu_fd, entry, arg);
}

const char *x86_vector_name(unsigned v)
{
	static const char *const names[32] = {
		"divide error", "debug", "NMI", "breakpoint", "overflow", "bound range exceeded",
		"invalid opcode", "device not available", "double fault", "coprocessor overrun",
		"invalid TSS", "segment not present", "stack fault", "general protection fault",
		"page fault", "reserved", "x87 floating-point error", "alignment check",
		"machine check", "SIMD floating-point error", "virtualization exception",
		"control protection fault",
	};

	return (v < 32 && names[v]) ? names[v] : "reserved exception";
}
