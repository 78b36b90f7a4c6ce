/* string.h: memory and string functions for the pvisor guest C library.
 * Implemented in guest/lib/string.c. */
#ifndef PVISOR_GUEST_STRING_H
#define PVISOR_GUEST_STRING_H

#include <stddef.h>

void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *mempcpy(void *restrict dst, const void *restrict src, size_t n);
void *memccpy(void *restrict dst, const void *restrict src, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
void *memrchr(const void *s, int c, size_t n);

size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
char *strcpy(char *restrict dst, const char *restrict src);
char *stpcpy(char *restrict dst, const char *restrict src);
char *strncpy(char *restrict dst, const char *restrict src, size_t n);
char *strcat(char *restrict dst, const char *restrict src);
char *strncat(char *restrict dst, const char *restrict src, size_t n);
size_t strlcpy(char *restrict dst, const char *restrict src, size_t size);
size_t strlcat(char *restrict dst, const char *restrict src, size_t size);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
int strcoll(const char *a, const char *b);
char *strchr(const char *s, int c);
char *strchrnul(const char *s, int c);
char *strrchr(const char *s, int c);
char *strstr(const char *haystack, const char *needle);
size_t strspn(const char *s, const char *accept);
size_t strcspn(const char *s, const char *reject);
char *strpbrk(const char *s, const char *accept);
char *strtok(char *restrict s, const char *restrict delim);
char *strtok_r(char *restrict s, const char *restrict delim,
	       char **restrict save);
char *strsep(char **restrict sp, const char *restrict delim);

/* strdup and strndup allocate with malloc(). */
char *strdup(const char *s) __attribute__((__malloc__));
char *strndup(const char *s, size_t n) __attribute__((__malloc__));

/* Messages for the errno.h values; others give "Unknown error N" in a
 * static buffer, so that case is not thread-safe. */
char *strerror(int errnum);

#endif
