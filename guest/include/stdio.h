/* stdio.h: formatted output for the pvisor guest C library.
 *
 * There is no buffered stream layer: every output function formats into a
 * buffer and hands it to the kernel's console with __console_write(),
 * normally in a single call. stdout and stderr both go to that console. */
#ifndef PVISOR_GUEST_STDIO_H
#define PVISOR_GUEST_STDIO_H

#include <stddef.h>

#define EOF (-1)

typedef struct __pvisor_file FILE;

extern FILE *stdout;
extern FILE *stderr;
#define stdout stdout
#define stderr stderr

#define __PV_PRINTF(fmt, args) __attribute__((__format__(__printf__, fmt, args)))

int printf(const char *restrict fmt, ...) __PV_PRINTF(1, 2);
int vprintf(const char *restrict fmt, __builtin_va_list ap) __PV_PRINTF(1, 0);
int fprintf(FILE *restrict f, const char *restrict fmt, ...) __PV_PRINTF(2, 3);
int vfprintf(FILE *restrict f, const char *restrict fmt, __builtin_va_list ap)
	__PV_PRINTF(2, 0);
int sprintf(char *restrict buf, const char *restrict fmt, ...)
	__PV_PRINTF(2, 3);
int vsprintf(char *restrict buf, const char *restrict fmt,
	     __builtin_va_list ap) __PV_PRINTF(2, 0);
int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
	__PV_PRINTF(3, 4);
int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt,
	      __builtin_va_list ap) __PV_PRINTF(3, 0);

int puts(const char *s);
int putchar(int c);
int fputs(const char *restrict s, FILE *restrict f);
int fputc(int c, FILE *f);
int putc(int c, FILE *f);
int fflush(FILE *f);

#endif
