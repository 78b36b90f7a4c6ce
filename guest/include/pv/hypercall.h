/* pv/hypercall.h: raw hypercalls, inline wrappers for pvisor's
 * hypercall page: the PV platform (guest/platform/pv/platform_pv.c) makes
 * its hypercalls with them, and so can programs that want to talk to the
 * hypervisor directly, such as the hostile test guests. Prefer the pv/
 * functions otherwise.
 *
 * Hypercall N is a call to PVISOR_HYPERCALL_PAGE_GVA + 32 * N with the
 * arguments in rdi, rsi, rdx, r10, r8 and the result in rax; the stub
 * changes nothing but rax. The call pushes a return address below rsp,
 * which is safe because guest code is built with -mno-red-zone.
 *
 * Raw wrappers: they do no checking, so hostile test guests use them too. */
#ifndef PV_HYPERCALL_H
#define PV_HYPERCALL_H

#include <pvisor/pvisor.h>

static inline long pv_hypercall5(unsigned long nr, unsigned long a1, unsigned long a2,
				 unsigned long a3, unsigned long a4, unsigned long a5)
{
	register unsigned long r10 __asm__("r10") = a4;
	register unsigned long r8 __asm__("r8") = a5;
	unsigned long stub = PVISOR_HYPERCALL_PAGE_GVA + PVISOR_HYPERCALL_STUB_SIZE * nr;
	long ret;

	__asm__ volatile("call *%[stub]"
			 : "=a"(ret)
			 : [stub] "r"(stub), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8)
			 : "memory", "cc");
	return ret;
}

static inline long pv_hypercall0(unsigned long nr)
{
	return pv_hypercall5(nr, 0, 0, 0, 0, 0);
}

static inline long pv_hypercall1(unsigned long nr, unsigned long a1)
{
	return pv_hypercall5(nr, a1, 0, 0, 0, 0);
}

static inline long pv_hypercall2(unsigned long nr, unsigned long a1, unsigned long a2)
{
	return pv_hypercall5(nr, a1, a2, 0, 0, 0);
}

static inline long pv_hypercall3(unsigned long nr, unsigned long a1, unsigned long a2,
				 unsigned long a3)
{
	return pv_hypercall5(nr, a1, a2, a3, 0, 0);
}

static inline long pv_hypercall4(unsigned long nr, unsigned long a1, unsigned long a2,
				 unsigned long a3, unsigned long a4)
{
	return pv_hypercall5(nr, a1, a2, a3, a4, 0);
}

/* ---- One wrapper per hypercall ---------------------------------------- */

static inline long hc_version(unsigned long cmd)
{
	return pv_hypercall1(PVISOR_HC_VERSION, cmd);
}

static inline long hc_console_io(unsigned long cmd, const void *buf, unsigned long len)
{
	return pv_hypercall3(PVISOR_HC_CONSOLE_IO, cmd, (unsigned long)buf, len);
}

static inline long hc_sched_op(unsigned long cmd, unsigned long a, unsigned long b,
			       unsigned long c)
{
	return pv_hypercall4(PVISOR_HC_SCHED_OP, cmd, a, b, c);
}

static inline long hc_set_timer(uint64_t deadline_ns)
{
	return pv_hypercall1(PVISOR_HC_SET_TIMER, deadline_ns);
}

static inline long hc_evtchn_op(unsigned long cmd, unsigned long a, unsigned long b)
{
	return pv_hypercall3(PVISOR_HC_EVENT_CHANNEL_OP, cmd, a, b);
}

static inline long hc_mmu_update(const struct pvisor_mmu_update *reqs, unsigned long count,
				 uint64_t *done)
{
	return pv_hypercall3(PVISOR_HC_MMU_UPDATE, (unsigned long)reqs, count,
			     (unsigned long)done);
}

static inline long hc_memory_op(unsigned long cmd, const uint64_t *pfns, unsigned long count)
{
	return pv_hypercall3(PVISOR_HC_MEMORY_OP, cmd, (unsigned long)pfns, count);
}

static inline long hc_callback_op(unsigned long cmd, unsigned long a, unsigned long b,
				  unsigned long c)
{
	return pv_hypercall4(PVISOR_HC_CALLBACK_OP, cmd, a, b, c);
}

static inline long hc_device_op(unsigned long cmd, unsigned long index)
{
	return pv_hypercall2(PVISOR_HC_DEVICE_OP, cmd, index);
}

/* The kick: a bare exit after which the hypervisor delivers pending events
 * (if upcall_mask is clear). Changes no register. */
static inline void pv_kick(void)
{
	__asm__ volatile("outb %%al, %[port]" : : [port] "i"(PVISOR_PORT_KICK) : "memory");
}

#endif
