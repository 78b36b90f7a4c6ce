/* hooks.c: weak defaults for the C library's hooks into whatever runs it:
 * console output for stdio (__console_write), whole pages for malloc
 * (__pages_alloc, __pages_free) and the end of a failed assert()
 * (__assert_fail). The guest kernel defines every one of them (kernel/
 * console.c, pages.c, shutdown.c) and its definitions win; these only let
 * the library stand, and link, on its own: nothing to write to, no memory,
 * and a trap. errno.c and malloc.c's lock are the other hooks. */
#include <assert.h>
#include <errno.h>

long __console_write(const char *buf, unsigned long len);
void *__pages_alloc(unsigned long npages);
void __pages_free(void *p, unsigned long npages);

__attribute__((__weak__)) long __console_write(const char *buf, unsigned long len)
{
	(void)buf;
	(void)len;
	return -ENOSYS;
}

__attribute__((__weak__)) void *__pages_alloc(unsigned long npages)
{
	(void)npages;
	return 0;
}

__attribute__((__weak__)) void __pages_free(void *p, unsigned long npages)
{
	(void)p;
	(void)npages;
}

__attribute__((__weak__)) void __assert_fail(const char *expr, const char *file, int line,
					     const char *func)
{
	(void)expr;
	(void)file;
	(void)line;
	(void)func;
	__builtin_trap();
}
