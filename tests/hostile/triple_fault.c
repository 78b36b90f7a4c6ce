/* pvisor-test: exit=126 stderr=guest crashed stderr=general protection */
/* triple_fault.c (hostile): a deliberate attempt to triple-fault. A real
 * triple fault needs a broken IDT, but the hypervisor owns the IDT and the
 * guest runs at CPL3, where lidt/cli/hlt are privileged. So the guest does
 * the first step of the classic sequence, `cli`, which raises #GP; #GP is
 * not in the guest's trap mask, so the hypervisor must end the domain with
 * a crash report (not hang, not kill the host). */
#include <stdio.h>

int main(void)
{
	printf("triple_fault: executing cli at CPL3\n");
	__asm__ volatile("cli");
	printf("FAIL triple_fault: cli did not fault\n");
	return 1;
}
