/* pvclock.c: PV clock scale and publication (see pvclock.h). */
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <x86intrin.h>

#include "lib/log.h"
#include "core/pvclock.h"

#define NSEC_PER_SEC 1000000000ull
#define MSR_IA32_TSC 0x10

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* Xen's set_time_scale: normalise ticks/s into (1e9, 2e9] by shifting,
 * then mul = 2^32 * 1e9 / normalised. */
void pvclock_set_scale(uint64_t ticks_per_sec, uint32_t *mul, int8_t *shift)
{
	uint64_t tps = ticks_per_sec;
	int s = 0;

	while (tps > 2 * NSEC_PER_SEC) {
		tps >>= 1;
		s--;
	}
	while (tps <= NSEC_PER_SEC) {
		tps <<= 1;
		s++;
	}
	*mul = (uint32_t)((NSEC_PER_SEC << 32) / tps);
	*shift = (int8_t)s;
}

uint64_t pvclock_scale(uint64_t delta, uint32_t mul, int8_t shift)
{
	delta = shift >= 0 ? delta << shift : delta >> -shift;
	return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

/* Guest TSC - host TSC, from one KVM_GET_MSRS bracketed by host rdtsc. */
static int measure_tsc_offset(int vcpu_fd, int64_t *offset)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entry;
	} msrs;
	uint64_t before, after;

	memset(&msrs, 0, sizeof(msrs));
	msrs.hdr.nmsrs = 1;
	msrs.entry.index = MSR_IA32_TSC;
	before = __rdtsc();
	if (ioctl(vcpu_fd, KVM_GET_MSRS, &msrs) != 1) {
		log_errno("cannot read the guest TSC");
		return -1;
	}
	after = __rdtsc();
	*offset = (int64_t)(msrs.entry.data - (before + (after - before) / 2));
	return 0;
}

int pvclock_init(struct pvclock *c, int vcpu_fd)
{
	int khz = ioctl(vcpu_fd, KVM_GET_TSC_KHZ, 0);

	if (khz <= 0) {
		log_errno("cannot read the TSC frequency (KVM_GET_TSC_KHZ)");
		return -1;
	}
	c->tsc_khz = (uint64_t)khz;
	pvclock_set_scale(c->tsc_khz * 1000, &c->mul, &c->shift);
	if (measure_tsc_offset(vcpu_fd, &c->tsc_offset) < 0)
		return -1;
	c->boot_mono_ns = monotonic_ns();
	return 0;
}

uint64_t pvclock_now(const struct pvclock *c)
{
	return monotonic_ns() - c->boot_mono_ns;
}

void pvclock_publish(const struct pvclock *c, struct pvisor_shared_info *s, unsigned vcpu)
{
	struct pvisor_vcpu_time *t = &s->vcpu_info[vcpu].time;
	struct timespec wall;
	uint64_t mono, tsc, wall_ns;

	clock_gettime(CLOCK_REALTIME, &wall);
	mono = monotonic_ns();
	tsc = __rdtsc();
	__atomic_store_n(&t->version, t->version + 1, __ATOMIC_SEQ_CST);
	t->tsc_timestamp = tsc + (uint64_t)c->tsc_offset;
	t->system_time = mono - c->boot_mono_ns;
	t->tsc_to_system_mul = c->mul;
	t->tsc_shift = c->shift;
	t->flags = PVISOR_CLOCK_TSC_STABLE;
	__atomic_store_n(&t->version, t->version + 1, __ATOMIC_SEQ_CST);

	/* Wall clock at system time 0. */
	wall_ns = (uint64_t)wall.tv_sec * NSEC_PER_SEC + (uint64_t)wall.tv_nsec - t->system_time;
	__atomic_store_n(&s->wc_version, s->wc_version + 1, __ATOMIC_SEQ_CST);
	s->wc_sec = wall_ns / NSEC_PER_SEC;
	s->wc_nsec = (uint32_t)(wall_ns % NSEC_PER_SEC);
	__atomic_store_n(&s->wc_version, s->wc_version + 1, __ATOMIC_SEQ_CST);
}
