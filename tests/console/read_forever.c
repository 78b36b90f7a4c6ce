/* read_forever.c: a guest that reads console input until its end and
 * echoes it; used to test the escape key (Ctrl-]), which must stop the
 * guest from the terminal. */
#include <stdio.h>
#include <pv/console.h>

int main(void)
{
	char buf[64];
	long n;

	printf("reading\n");
	while ((n = pv_console_read(buf, sizeof(buf))) > 0)
		printf("read %ld bytes\n", n);
	return 3;
}
