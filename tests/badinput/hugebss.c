/* hugebss.c: a guest whose 200 MiB of zeroed data cannot fit the default
 * 64 MiB of guest RAM; pvisor must refuse it with a one-line error. */
volatile char huge[200 << 20];

int main(void)
{
	return huge[12345];
}
