/* main.c: kernel_start(), the first C code: brings the kernel up, starts
 * main() in the main thread and becomes the idle thread. */
#include <string.h>
#include "kernel.h"
#include "driver.h"
#include "thread_internal.h"

static struct pvisor_start_info boot_info;

/* The drivers' boot-time starts (driver.h), placed by guest.ld. */
extern const kernel_boot_start_fn __kernel_boot_start[], __kernel_boot_end[];

const struct pvisor_start_info *pv_start_info(void)
{
	return &boot_info;
}

/* The fixed pages are at their addresses, or absent (full mode: 0). */
static void check_start_info(const struct pvisor_start_info *si)
{
	if (si->magic != PVISOR_START_MAGIC)
		pv_panic("bad start info magic %#lx", (unsigned long)si->magic);
	if (si->abi_version != PVISOR_ABI_VERSION)
		pv_panic("hypervisor speaks ABI %u, this guest %u",
			 si->abi_version, PVISOR_ABI_VERSION);
	if ((si->shared_info && si->shared_info != PVISOR_SHARED_INFO_GVA) ||
	    (si->hypercall_page && si->hypercall_page != PVISOR_HYPERCALL_PAGE_GVA))
		pv_panic("shared info / hypercall page not at the fixed addresses");
}

/* Runs on the boot stack with events masked (in PV mode; the platform's
 * init masks them natively). The platform comes first: everything after it,
 * a panic included, uses its operations. */
void kernel_start(struct pvisor_start_info *si)
{
	boot_info = *si;
	boot_info.cmdline[PVISOR_CMDLINE_MAX - 1] = '\0';
	platform_install(&boot_info);
	check_start_info(&boot_info);

	pages_init(boot_info.first_free_pfn, boot_info.nr_pages);
	sched_init();
	events_init();
	trap_init();
	timer_init();
	control_init(&boot_info);
	/* The virtio console; without it, the platform's console serves. */
	for (const kernel_boot_start_fn *start = __kernel_boot_start;
	     start < __kernel_boot_end; start++)
		(*start)();
	args_parse(boot_info.cmdline);
	thread_create_main(main, pv_argc(), pv_argv());

	pv_events_restore(0);
	idle_loop();
}
