/* guest_access.c: checked copies to and from guest virtual memory. */
#include <string.h>

#include <pvisor/errno.h>

#include "core/guest_access.h"
#include "core/layout.h"

static void *guest_page_ptr(const struct guest_view *g, uint64_t gva, uint64_t len, int write)
{
	uint64_t need = PTE_P | PTE_U | (write ? PTE_W : 0);
	uint64_t pte, offset = gva & (PAGE_SIZE - 1);

	if (gva < PVISOR_GUEST_VA_MIN || gva >= PVISOR_GUEST_VA_END || len > PAGE_SIZE - offset)
		return NULL;
	pte = pt_lookup(&g->mmu->pool, gva & PAGE_MASK);
	if ((pte & need) != need)
		return NULL;
	return gmem_ram(g->gm, (pte & PTE_FRAME_MASK) + offset, len);
}

/* Calls fn(host, offset, chunk) for each page-sized piece of the range, or
 * does nothing and returns -EFAULT when any piece is inaccessible. */
static int guest_range(const struct guest_view *g, uint64_t gva, uint64_t len, int write,
		       void (*fn)(void *host, uint64_t done, uint64_t chunk, void *arg), void *arg)
{
	if (len == 0)
		return 0;
	if (gva + len < gva || gva + len > PVISOR_GUEST_VA_END)
		return -PVISOR_EFAULT;
	for (int pass = 0; pass < 2; pass++) {
		for (uint64_t done = 0; done < len;) {
			uint64_t chunk = PAGE_SIZE - ((gva + done) & (PAGE_SIZE - 1));
			void *host;

			if (chunk > len - done)
				chunk = len - done;
			host = guest_page_ptr(g, gva + done, chunk, write);
			if (!host)
				return -PVISOR_EFAULT;
			if (pass == 1 && fn)
				fn(host, done, chunk, arg);
			done += chunk;
		}
	}
	return 0;
}

static void copy_out_of_guest(void *host, uint64_t done, uint64_t chunk, void *arg)
{
	memcpy((uint8_t *)arg + done, host, chunk);
}

static void copy_into_guest(void *host, uint64_t done, uint64_t chunk, void *arg)
{
	memcpy(host, (const uint8_t *)arg + done, chunk);
}

int guest_copy_from(const struct guest_view *g, void *dst, uint64_t gva, uint64_t len)
{
	return guest_range(g, gva, len, 0, copy_out_of_guest, dst);
}

int guest_copy_to(const struct guest_view *g, uint64_t gva, const void *src, uint64_t len)
{
	return guest_range(g, gva, len, 1, copy_into_guest, (void *)src);
}

int guest_check(const struct guest_view *g, uint64_t gva, uint64_t len, int write)
{
	return guest_range(g, gva, len, write, NULL, NULL);
}

/* ---- Spans ------------------------------------------------------------------ */

int guest_span_resolve(const struct guest_view *g, struct guest_span *s, uint64_t gva,
		       uint64_t len, int write)
{
	uint64_t first = gva & PAGE_MASK, pages, i;

	s->gva = gva;
	s->len = len;
	if (len == 0)
		return 0;
	if (gva + len < gva || gva + len > PVISOR_GUEST_VA_END)
		return -PVISOR_EFAULT;
	pages = ((gva + len - 1) & PAGE_MASK) / PAGE_SIZE - first / PAGE_SIZE + 1;
	if (pages > GUEST_SPAN_MAX_PAGES)
		return -PVISOR_EFAULT;
	for (i = 0; i < pages; i++) {
		s->host[i] = guest_page_ptr(g, first + i * PAGE_SIZE, PAGE_SIZE, write);
		if (!s->host[i])
			return -PVISOR_EFAULT;
	}
	return 0;
}

/* Calls fn on each page-sized piece of [off, off + len) of the span. */
static void span_pieces(const struct guest_span *s, uint64_t off, uint64_t len,
			void (*fn)(void *host, uint64_t done, uint64_t chunk, void *arg), void *arg)
{
	uint64_t base = s->gva & ~PAGE_MASK;

	for (uint64_t done = 0; done < len;) {
		uint64_t at = base + off + done, chunk = PAGE_SIZE - (at & ~PAGE_MASK);

		if (chunk > len - done)
			chunk = len - done;
		fn(s->host[at / PAGE_SIZE] + (at & ~PAGE_MASK), done, chunk, arg);
		done += chunk;
	}
}

void guest_span_read(const struct guest_span *s, uint64_t off, void *dst, uint64_t len)
{
	span_pieces(s, off, len, copy_out_of_guest, dst);
}

void guest_span_write(const struct guest_span *s, uint64_t off, const void *src, uint64_t len)
{
	span_pieces(s, off, len, copy_into_guest, (void *)src);
}
