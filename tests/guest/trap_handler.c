/* pvisor-test: exit=0 */
/* trap_handler.c: a registered global fault handler catches a read of an
 * unmapped address, maps a page holding the expected value there, and the
 * faulting thread resumes and reads it. The handler runs on the faulting
 * thread with events masked and sees a sane frame. */
#define TEST_NAME "trap_handler"
#include "pvtest.h"

#define MAGIC 0x1234567890abcdefull

static unsigned char *target;		/* vmap page, not mapped */
static uint64_t *backing;		/* frame the handler maps there */
static volatile int handled;
static volatile uint64_t seen_cr2, seen_error, seen_vector;
static volatile pv_thread_t *seen_thread;
static volatile int seen_masked;

static int handler(struct pvisor_frame *frame, void *arg)
{
	(void)arg;
	if ((frame->cr2 & ~(PV_PAGE_SIZE - 1)) != (uintptr_t)target)
		return PV_FAULT_UNHANDLED;
	seen_cr2 = frame->cr2;
	seen_error = frame->error_code;
	seen_vector = frame->vector;
	seen_thread = pv_thread_self();
	seen_masked = pv_events_disabled();
	handled++;
	return pv_map_range(target, pv_virt_to_pfn(backing), 1, PV_MAP_WRITE) == 0 ?
	       PV_FAULT_HANDLED : PV_FAULT_UNHANDLED;
}

static void *reader(void *arg)
{
	volatile uint64_t *p = arg;

	return (void *)(uintptr_t)*p;
}

int main(void)
{
	volatile uint64_t *p;
	pv_thread_t *t;
	void *result;
	int handle;

	target = pv_vmap_reserve(1);
	backing = pv_pages_alloc(1);
	CHECK(target && backing, "allocation failed");
	backing[3] = MAGIC;
	handle = pv_fault_handler_add(0, 0, handler, NULL);
	CHECK(handle >= 0, "pv_fault_handler_add failed: %d", handle);

	p = (volatile uint64_t *)target + 3;
	t = pv_thread_create(reader, (void *)p, NULL);
	CHECK(t, "cannot create the reader");
	CHECK(pv_thread_join(t, &result) == 0, "join failed");
	CHECK((uint64_t)(uintptr_t)result == MAGIC, "read %p after the fault, expected %#llx",
	      result, MAGIC);
	CHECK(handled == 1, "handler ran %d times", handled);
	CHECK(seen_cr2 == (uintptr_t)p, "cr2 %#lx, expected %p", seen_cr2, (void *)p);
	CHECK(seen_vector == 14, "vector %lu", seen_vector);
	CHECK((seen_error & (PV_PF_PRESENT | PV_PF_WRITE | PV_PF_USER)) == PV_PF_USER,
	      "error code %#lx for a user read of a missing page", seen_error);
	CHECK(seen_thread == t, "handler did not run on the faulting thread");
	CHECK(seen_masked, "handler ran with events enabled");
	CHECK(pv_fault_count() >= 1, "pv_fault_count() is 0");
	CHECK(!pv_events_disabled(), "events still masked after the fault");

	CHECK(pv_fault_handler_remove(handle) == 0, "remove failed");
	CHECK(pv_fault_handler_remove(handle) < 0, "second remove did not fail");
	return test_pass();
}
