/* event_delivery.c: measures the two ways DESIGN.md offers to interrupt a
 * running CPL3 guest, in one run on one machine:
 *
 *  (a) kick and bounce (what pvisor does): another host thread signals the
 *      vCPU thread, KVM_RUN returns -EINTR, the host points rip at the
 *      guest's callback and re-enters. No guest code at CPL0.
 *  (b) in-kernel LAPIC + irqfd: another host thread writes an eventfd that
 *      KVM turns into an MSI to vector 0x40; a CPL0 trampoline checks and
 *      sets the upcall mask, saves rip and rflags, redirects the iret frame
 *      to the callback, EOIs (x2APIC wrmsr) and iretq's.
 *
 * Each is measured twice: with the guest running (spinning at CPL3) and
 * with the guest blocked: (a) the vCPU thread sleeps in ppoll() as pvisor's
 * SCHED_BLOCK does and the kick ends the sleep; (b) the vCPU halts inside
 * KVM_RUN (KVM_MP_STATE_HALTED) and the interrupt itself wakes it.
 *
 * Both end in the same CPL3 callback, which bumps a counter and jumps back
 * to the interrupted code. Latency is taken on the host from just before
 * the kick / eventfd write to the moment the counter changes (the guest
 * spins on one core, the measuring thread polls from the other).
 * Prints RESULT lines like the other benchmarks. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MEM        (4u << 20)
#define PML4       0x10000
#define PDPT       0x11000
#define PD         0x12000
#define PT         0x13000   /* two tables: 4 MiB */
#define GDT        0x20000
#define IDT        0x21000
#define TSS        0x22000   /* 0x68 bytes + I/O bitmap */
#define RSP0_TOP   0x30000
#define CODE       0x40000   /* guest spin loop + callback (CPL3) */
#define TRAMP      0x41000   /* CPL0 trampoline */
#define DATA       0x42000   /* counter at +0, saved rip at +8 */
#define STACK_TOP  0x80000
#define VECTOR     0x40
#define SAMPLES    301
#define A32(x)     (x) & 0xff, ((x) >> 8) & 0xff, ((x) >> 16) & 0xff, 0  /* imm32/disp32 */

static int vm_fd, vcpu_fd;
static struct kvm_run *run;
static uint8_t *mem;
static volatile int mode;          /* 0 stop, 'a' kick-and-bounce, 'b' irqfd */
static volatile int blocked;       /* the next wait happens with the guest blocked */
static pthread_t vcpu_thread;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void die(const char *what)
{
	fprintf(stderr, "event_delivery: %s: %s\n", what, strerror(errno));
	exit(1);
}

static volatile uint64_t *counter(void)
{
	return (volatile uint64_t *)(mem + DATA);
}

static void emit(uint8_t **p, const uint8_t *bytes, size_t n)
{
	memcpy(*p, bytes, n);
	*p += n;
}

static void build_code(void)
{
	uint8_t *p = mem + CODE;
	/* spin: inc %rbx; jmp spin */
	static const uint8_t spin[] = { 0x48, 0xff, 0xc3, 0xeb, 0xfb };
	/* callback (CODE+0x100): lock incq DATA; movb $0, mask; jmp *DATA+8 */
	static const uint8_t callback[] = {
		0xf0, 0x48, 0xff, 0x04, 0x25, DATA & 0xff, (DATA >> 8) & 0xff, DATA >> 16, 0,
		0xc6, 0x04, 0x25, (DATA + 16) & 0xff, ((DATA + 16) >> 8) & 0xff, (DATA + 16) >> 16, 0, 0x00,
		0xff, 0x24, 0x25, (DATA + 8) & 0xff, ((DATA + 8) >> 8) & 0xff, (DATA + 8) >> 16, 0,
	};
	/* The trampoline (CPL0) a real PV upcall needs, as short as we can
	 * make it: if upcalls are masked only EOI; else set the mask, save the
	 * interrupted rip and rflags where the CPL3 entry finds them, point
	 * the iret frame at the registered callback, EOI (x2APIC MSR 0x80b)
	 * and iretq. DATA+16: mask byte, +24: saved rflags, +32: callback. */
	static const uint8_t tramp[] = {
		0x50,                                           /* push %rax              */
		0x80, 0x3c, 0x25, A32(DATA + 16), 0x00,         /* cmpb $0, mask          */
		0x75, 0x2f,                                     /* jne eoi                */
		0xc6, 0x04, 0x25, A32(DATA + 16), 0x01,         /* movb $1, mask          */
		0x48, 0x8b, 0x44, 0x24, 0x08,                   /* mov 8(%rsp), %rax: rip */
		0x48, 0x89, 0x04, 0x25, A32(DATA + 8),          /* mov %rax, saved rip    */
		0x48, 0x8b, 0x44, 0x24, 0x18,                   /* mov 24(%rsp): rflags   */
		0x48, 0x89, 0x04, 0x25, A32(DATA + 24),         /* mov %rax, saved rflags */
		0x48, 0x8b, 0x04, 0x25, A32(DATA + 32),         /* mov callback, %rax     */
		0x48, 0x89, 0x44, 0x24, 0x08,                   /* mov %rax, 8(%rsp)      */
		/* eoi: */
		0x51, 0x52,                                     /* push rcx, rdx          */
		0xb9, 0x0b, 0x08, 0x00, 0x00,                   /* mov $0x80b, %ecx       */
		0x31, 0xc0, 0x31, 0xd2,                         /* xor eax; xor edx       */
		0x0f, 0x30,                                     /* wrmsr                  */
		0x5a, 0x59, 0x58,                               /* pop rdx, rcx, rax      */
		0x48, 0xcf,                                     /* iretq                  */
	};
	*(uint64_t *)(mem + DATA + 32) = CODE + 0x100;
	emit(&p, spin, sizeof(spin));
	p = mem + CODE + 0x100;
	emit(&p, callback, sizeof(callback));
	p = mem + TRAMP;
	emit(&p, tramp, sizeof(tramp));
}

static void build_tables(void)
{
	uint64_t *gdt = (uint64_t *)(mem + GDT), *idt = (uint64_t *)(mem + IDT);
	uint64_t tss = TSS, limit = 0x68 + 8192;

	*(uint64_t *)(mem + PML4) = PDPT | 7;
	*(uint64_t *)(mem + PDPT) = PD | 7;
	for (int i = 0; i < 2; i++)
		*(uint64_t *)(mem + PD + i * 8) = (PT + i * 0x1000) | 7;
	for (uint64_t a = 0x1000; a < MEM; a += 4096)   /* user pages; trampoline supervisor */
		*(uint64_t *)(mem + PT + (a >> 12) * 8) = a | ((a == TRAMP || a == RSP0_TOP - 4096) ? 3 : 7);
	gdt[1] = 0x00209b0000000000ull;
	gdt[2] = 0x0000930000000000ull;
	gdt[3] = 0x0000f30000000000ull;
	gdt[4] = 0x0020fb0000000000ull;
	gdt[5] = (limit & 0xffff) | ((tss & 0xffffff) << 16) | (0x8bull << 40) | ((limit >> 16) << 48);
	gdt[6] = 0;
	*(uint64_t *)(mem + TSS + 4) = RSP0_TOP;
	*(uint16_t *)(mem + TSS + 0x66) = 0x68;
	memset(mem + TSS + 0x68, 0xff, 8193);
	idt[2 * VECTOR] = (TRAMP & 0xffff) | (0x08ull << 16) | (0x8eull << 40) | ((uint64_t)(TRAMP >> 16) << 48);
	idt[2 * VECTOR + 1] = 0;
}

static void seg(struct kvm_segment *s, uint16_t sel, int code)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel | 3;
	s->limit = 0xffffffff;
	s->g = s->present = s->s = 1;
	s->dpl = 3;
	s->type = code ? 0xb : 0x3;
	s->l = code;
	s->db = !code;
}

static void setup_vcpu(int kvm)
{
	struct kvm_cpuid2 *cpuid = calloc(1, sizeof(*cpuid) + 256 * sizeof(struct kvm_cpuid_entry2));
	struct { struct kvm_msrs h; struct kvm_msr_entry e; } msr = { .h.nmsrs = 1 };
	struct kvm_lapic_state lapic;
	struct kvm_sregs s;
	struct kvm_regs r = { .rip = CODE, .rsp = STACK_TOP, .rflags = 0x202 };

	cpuid->nent = 256;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid) < 0 || ioctl(vcpu_fd, KVM_SET_CPUID2, cpuid) < 0)
		die("cpuid");
	msr.e.index = 0x1b;   /* APIC base: enabled, x2APIC, BSP */
	msr.e.data = 0xfee00000ull | (1 << 11) | (1 << 10) | (1 << 8);
	if (ioctl(vcpu_fd, KVM_SET_MSRS, &msr) != 1)
		die("x2APIC enable");
	if (ioctl(vcpu_fd, KVM_GET_LAPIC, &lapic) < 0)
		die("KVM_GET_LAPIC");
	*(uint32_t *)(lapic.regs + 0xf0) = 0x1ff;         /* SVR: software enable */
	*(uint32_t *)(lapic.regs + 0x350) = 1u << 16;     /* LINT0 masked */
	*(uint32_t *)(lapic.regs + 0x360) = 1u << 16;     /* LINT1 masked */
	*(uint32_t *)(lapic.regs + 0x80) = 0;             /* TPR */
	if (ioctl(vcpu_fd, KVM_SET_LAPIC, &lapic) < 0)
		die("KVM_SET_LAPIC");
	if (ioctl(vcpu_fd, KVM_GET_SREGS, &s) < 0)
		die("KVM_GET_SREGS");
	s.cr0 = 0x80050033;
	s.cr4 = 0x620;
	s.efer = 0xd00;
	s.cr3 = PML4;
	s.gdt.base = GDT;
	s.gdt.limit = 7 * 8 - 1;
	s.idt.base = IDT;
	s.idt.limit = 256 * 16 - 1;
	seg(&s.cs, 0x20, 1);
	seg(&s.ds, 0x18, 0);
	s.es = s.fs = s.gs = s.ss = s.ds;
	memset(&s.tr, 0, sizeof(s.tr));
	s.tr.base = TSS;
	s.tr.limit = 0x68 + 8192;
	s.tr.selector = 0x28;
	s.tr.type = 0xb;
	s.tr.present = 1;
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &s) < 0 || ioctl(vcpu_fd, KVM_SET_REGS, &r) < 0)
		die("registers");
	free(cpuid);
}

static void on_kick(int sig)
{
	(void)sig;
}

static void *vcpu_loop(void *arg)
{
	static const struct timespec zero;
	struct { struct kvm_signal_mask h; uint8_t b[8]; } km = { .h.len = 8 };
	sigset_t set, kick;

	(void)arg;
	pthread_sigmask(SIG_BLOCK, NULL, &set);
	sigdelset(&set, SIGUSR1);
	memcpy(km.b, &set, 8);
	ioctl(vcpu_fd, KVM_SET_SIGNAL_MASK, &km);
	sigemptyset(&kick);
	sigaddset(&kick, SIGUSR1);
	run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	while (mode) {
		if (blocked && mode == 'a') {           /* SCHED_BLOCK as pvisor does it */
			blocked = 2;
			ppoll(NULL, 0, NULL, &set);
			blocked = 0;
			goto bounce;
		}
		if (blocked && mode == 'b') {           /* halt inside KVM_RUN */
			struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_HALTED };

			if (ioctl(vcpu_fd, KVM_SET_MP_STATE, &mp) < 0)
				die("KVM_SET_MP_STATE");
			blocked = 2;
		}
		if (ioctl(vcpu_fd, KVM_RUN, 0) == 0) {
			fprintf(stderr, "event_delivery: unexpected exit %u\n", run->exit_reason);
			exit(1);
		}
		if (errno != EINTR)
			die("KVM_RUN");
		while (sigtimedwait(&kick, NULL, &zero) == SIGUSR1)
			;
		if (blocked)
			continue;       /* a kick that only moved us into the blocked state */
bounce:
		if (mode == 'a') {      /* bounce into the callback */
			struct kvm_regs *r = &run->s.regs.regs;

			*(uint64_t *)(mem + DATA + 8) = r->rip;
			r->rip = CODE + 0x100;
			run->kvm_dirty_regs = KVM_SYNC_X86_REGS;
		}
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One delivery: fire, then wait for the callback's counter to move. */
static double deliver(int efd)
{
	uint64_t before = *counter(), one = 1;
	double t0 = now_us();

	if (mode == 'a')
		pthread_kill(vcpu_thread, SIGUSR1);
	else if (write(efd, &one, 8) != 8)
		die("eventfd write");
	while (*counter() == before)
		if (now_us() - t0 > 1e6) {
			fprintf(stderr, "event_delivery: mode %c: no delivery within 1 s\n", mode);
			exit(1);
		}
	return now_us() - t0;
}

/* Puts the guest into the blocked state for method m: kick the vCPU
 * thread out of KVM_RUN and wait until it sleeps (ppoll, or halted). */
static void block_guest(int m)
{
	mode = m;
	blocked = 1;
	pthread_kill(vcpu_thread, SIGUSR1);
	while (blocked != 2)
		;
	usleep(500);    /* let it really fall asleep */
}

/* One sample of method m, with the guest running or blocked. */
static double sample(int efd, int m, int guest_blocked)
{
	double t;

	if (guest_blocked) {
		block_guest(m);
	} else {
		mode = m;
		usleep(200);
	}
	t = deliver(efd);
	blocked = 0;
	return t;
}

/* Alternates the methods sample by sample so that host noise hits both
 * alike; returns the medians for (a) and (b). */
static void measure(int efd, int guest_blocked, double *a, double *b)
{
	static double ta[SAMPLES], tb[SAMPLES];

	for (int i = 0; i < SAMPLES; i++) {
		ta[i] = sample(efd, 'a', guest_blocked);
		tb[i] = sample(efd, 'b', guest_blocked);
	}
	qsort(ta, SAMPLES, sizeof(ta[0]), cmp_double);
	qsort(tb, SAMPLES, sizeof(tb[0]), cmp_double);
	*a = ta[SAMPLES / 2];
	*b = tb[SAMPLES / 2];
}

int main(void)
{
	struct kvm_irq_routing *routing = calloc(1, sizeof(*routing) + sizeof(struct kvm_irq_routing_entry));
	struct kvm_userspace_memory_region region = { .memory_size = MEM };
	struct kvm_irqfd irqfd = { .gsi = 1 };
	struct sigaction sa = { .sa_handler = on_kick };
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), efd = eventfd(0, EFD_CLOEXEC);
	double a, b, ablk, bblk;
	sigset_t set;

	if (kvm < 0 || efd < 0)
		die("open /dev/kvm or eventfd");
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	vm_fd = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm_fd < 0 || ioctl(vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		die("KVM_CREATE_VM / KVM_CREATE_IRQCHIP");
	mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	region.userspace_addr = (uint64_t)(uintptr_t)mem;
	if (mem == MAP_FAILED || ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		die("guest memory");
	routing->nr = 1;
	routing->entries[0].gsi = 1;
	routing->entries[0].type = KVM_IRQ_ROUTING_MSI;
	routing->entries[0].u.msi.address_lo = 0xfee00000;   /* destination APIC 0 */
	routing->entries[0].u.msi.data = VECTOR;             /* fixed, edge */
	irqfd.fd = (uint32_t)efd;
	if (ioctl(vm_fd, KVM_SET_GSI_ROUTING, routing) < 0 || ioctl(vm_fd, KVM_IRQFD, &irqfd) < 0)
		die("MSI routing / irqfd");
	vcpu_fd = ioctl(vm_fd, KVM_CREATE_VCPU, 0);
	if (vcpu_fd < 0)
		die("KVM_CREATE_VCPU");
	run = mmap(NULL, (size_t)ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd, 0);
	build_tables();
	build_code();
	setup_vcpu(kvm);
	mode = 'a';
	pthread_create(&vcpu_thread, NULL, vcpu_loop, NULL);
	usleep(20000);
	measure(efd, 0, &a, &b);
	measure(efd, 1, &ablk, &bblk);
	printf("RESULT event_kick_bounce_us %.1f us 1\n", a);
	printf("RESULT event_irqfd_trampoline_us %.1f us 0\n", b);
	printf("RESULT event_delivery_b_over_a %.2f x 0\n", b / a);
	printf("RESULT event_blocked_ppoll_kick_us %.1f us 1\n", ablk);
	printf("RESULT event_blocked_halt_irqfd_us %.1f us 0\n", bblk);
	printf("RESULT event_blocked_b_over_a %.2f x 0\n", bblk / ablk);
	mode = 0;
	pthread_kill(vcpu_thread, SIGUSR1);
	pthread_join(vcpu_thread, NULL);
	return 0;
}
