/* pvh_entry.S: the second way in, for PCs that are not pvisor's: the PVH
 * boot protocol (Xen's, which QEMU's -kernel and other loaders follow).
 *
 * The loader finds the XEN_ELFNOTE_PHYS32_ENTRY note below and enters
 * pvh_start32 in 32-bit protected mode, paging off, flat segments, with
 * ebx = the physical address of a struct hvm_start_info. This code makes
 * the boot state of docs/full-virt.md ("Boot state") from it: long mode,
 * an identity map of [0, 1 GiB) in 2 MiB pages (the kernel builds its own
 * tables before it touches anything above its image), a flat GDT with
 * CS 0x08 and DS 0x10, a 64 KiB boot stack; then pvh_boot() (C,
 * guest/platform/native/pvh_boot.c) turns the start info into pvisor's
 * and starts the kernel on the native platform.
 *
 * The stack and the tables are in the pages right after the image
 * (asm_defs.h), where a PVH loader puts nothing: no assumption is made
 * about which low pages the loader used for the start info, the command
 * line and the memory map, and images booted by pvisor carry no extra BSS
 * for a way in they do not use. pvh_boot() starts the kernel's free pages
 * at the tables, which are dead by the time the page allocator starts. A CPU without long mode or NX gets
 * one line on COM1 and an isa-debug-exit. */
#include "asm_defs.h"

#define XEN_ELFNOTE_PHYS32_ENTRY	18
#define PVH_TABLE_FLAGS			0x003	/* present, writable */
#define PVH_LARGE_FLAGS			0x083	/* present, writable, 2 MiB */
#define PVH_CR4				0x620	/* PAE, OSFXSR, OSXMMEXCPT */
#define PVH_CR0				0x80010033 /* PG, WP, NE, ET, MP, PE */
#define MSR_EFER			0xc0000080
#define EFER_LME_NXE			0x900
#define CPUID_EXT_LM_NX			((1 << 29) | (1 << 20))
#define COM1				0x3f8
#define DEBUG_EXIT_PORT			0xf4

	.text
	.code32
	.globl	pvh_start32
	.type	pvh_start32, @function
pvh_start32:
	cli
	cld
	mov	%ebx, %esi		/* the start info, for pvh_boot() */
	mov	$0x80000000, %eax	/* long mode and NX, or say why not */
	cpuid
	cmp	$0x80000001, %eax
	jb	no_long_mode
	mov	$0x80000001, %eax
	cpuid
	and	$CPUID_EXT_LM_NX, %edx
	cmp	$CPUID_EXT_LM_NX, %edx
	jne	no_long_mode

	/* ebp = the tables (after the boot stack): pml4, pdpt, pd. Zero
	 * them, then pml4[0] -> pdpt, pdpt[0] -> pd, pd[i] = i * 2 MiB. */
	mov	$(__image_end + ASM_PVH_TABLES), %ebp	/* page-aligned (guest.ld) */
	mov	%ebp, %edi
	xor	%eax, %eax
	mov	$(ASM_PVH_TABLES_BYTES / 4), %ecx
	rep stosl
	lea	(0x1000 + PVH_TABLE_FLAGS)(%ebp), %eax
	mov	%eax, (%ebp)
	lea	(0x2000 + PVH_TABLE_FLAGS)(%ebp), %eax
	mov	%eax, 0x1000(%ebp)
	xor	%ecx, %ecx
1:	mov	%ecx, %eax
	shl	$21, %eax
	or	$PVH_LARGE_FLAGS, %eax
	mov	%eax, 0x2000(%ebp, %ecx, 8)
	inc	%ecx
	cmp	$512, %ecx
	jb	1b

	mov	$PVH_CR4, %eax
	mov	%eax, %cr4
	mov	%ebp, %cr3
	mov	$MSR_EFER, %ecx
	rdmsr
	or	$EFER_LME_NXE, %eax
	wrmsr
	mov	$PVH_CR0, %eax
	mov	%eax, %cr0
	lgdt	pvh_gdt_desc
	ljmp	$0x08, $pvh_start64

/* "pvh: this CPU has no long mode or NX" on COM1, then power off. */
no_long_mode:
	mov	$pvh_no_lm_msg, %esi
2:	lodsb
	test	%al, %al
	jz	3f
	mov	$COM1, %dx
	out	%al, %dx
	jmp	2b
3:	mov	$1, %al
	out	%al, $DEBUG_EXIT_PORT
4:	hlt
	jmp	4b
	.size	pvh_start32, . - pvh_start32

	.code64
	.type	pvh_start64, @function
pvh_start64:
	mov	$0x10, %eax
	mov	%eax, %ds
	mov	%eax, %es
	mov	%eax, %ss
	xor	%eax, %eax
	mov	%eax, %fs
	mov	%eax, %gs
	mov	%ebp, %ebp		/* the tables; zero-extended (upper halves
					 * are undefined after the mode switch) */
	mov	%rbp, %rsp		/* the stack ends where the tables begin */
	mov	%esi, %edi		/* pvh_boot(start info), noreturn */
	xor	%ebp, %ebp
	call	pvh_boot
	ud2
	.size	pvh_start64, . - pvh_start64

	.section .rodata
pvh_no_lm_msg:
	.asciz	"pvh: this CPU has no long mode or NX; the kernel needs both\r\n"

	.data
	.balign	8
pvh_gdt:
	.quad	0			/* null */
	.quad	0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad	0x00cf92000000ffff	/* 0x10: flat data */
pvh_gdt_desc:
	.word	pvh_gdt_desc - pvh_gdt - 1
	.long	pvh_gdt

/* The note PVH loaders look for: owner "Xen", type 18, the 32-bit entry.
 * On a 64-bit image the descriptor is 8 bytes, as loaders read it. */
	.section .note.Xen, "a", @note
	.balign	4
	.long	2f - 1f			/* namesz */
	.long	4f - 3f			/* descsz */
	.long	XEN_ELFNOTE_PHYS32_ENTRY
1:	.asciz	"Xen"
2:	.balign	4
3:	.quad	pvh_start32
4:	.balign	4

	.section .note.GNU-stack, "", @progbits
