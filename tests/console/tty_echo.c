/* tty_echo.c: an interactive console guest for the terminal tests: prints
 * a prompt, reads one line through the console (the virtio ring), ending
 * at '\r' (a raw terminal's Enter) or '\n', and prints it in capitals. */
#include <ctype.h>
#include <stdio.h>
#include <pv/console.h>

int main(void)
{
	char line[128], c;
	size_t len = 0;
	long n;

	printf("tty_echo ready\n");
	while ((n = pv_console_read(&c, 1)) == 1 && c != '\r' && c != '\n')
		if (len < sizeof(line) - 1)
			line[len++] = (char)toupper((unsigned char)c);
	line[len] = '\0';
	printf("got: %s\n", line);
	return n == 1 ? 0 : 1;
}
