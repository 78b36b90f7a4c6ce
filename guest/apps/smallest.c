/* smallest.c: the smallest guest, for the boot-time benchmark. */
int main(void)
{
	return 0;
}
