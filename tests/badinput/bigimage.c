/* bigimage.c: a guest whose 2.8 MiB image fits in 4 MiB of RAM but leaves
 * too little for the kernel to run; pvisor must say --mem is too small. */
volatile char big[2800 << 10];

int main(void)
{
	return big[12345];
}
