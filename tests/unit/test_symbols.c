/* test_symbols.c: unit tests for hv/core/symbols.c.
 *
 * A small ELF with known functions is built by hand in memory; the test
 * binary's own image (/proc/self/exe) checks real toolchain output; a
 * deterministic fuzz pass runs the reader over damaged images. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <elf.h>
#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/symbols.h"

#define TEXT_ADDR 0x100000ULL
#define TEXT_SIZE 0x100
#define DATA_ADDR 0x102000ULL
#define TEXT_OFF 0x100
#define SYMTAB_OFF 0x200
#define STRTAB_OFF 0x400
#define SHSTRTAB_OFF 0x500
#define SHDR_OFF 0x600

enum { SEC_NULL, SEC_TEXT, SEC_SYMTAB, SEC_STRTAB, SEC_DATA, SEC_SHSTRTAB, NSECTIONS };

struct image {
	_Alignas(16) unsigned char buf[SHDR_OFF + NSECTIONS * sizeof(Elf64_Shdr)];
	size_t size;
	size_t nsyms, strtab_len;
};

static Elf64_Shdr *shdr(struct image *im, unsigned i)
{
	return (Elf64_Shdr *)(im->buf + SHDR_OFF) + i;
}

static size_t add_string(struct image *im, const char *s)
{
	size_t off = im->strtab_len;

	memcpy(im->buf + STRTAB_OFF + off, s, strlen(s) + 1);
	im->strtab_len += strlen(s) + 1;
	return off;
}

static void add_symbol(struct image *im, const char *name, unsigned char bind,
		       unsigned char type, uint16_t shndx, uint64_t value, uint64_t size)
{
	Elf64_Sym *sym = (Elf64_Sym *)(im->buf + SYMTAB_OFF) + im->nsyms++;

	sym->st_name = name ? (uint32_t)add_string(im, name) : 0xffff;
	sym->st_info = ELF64_ST_INFO(bind, type);
	sym->st_shndx = shndx;
	sym->st_value = value;
	sym->st_size = size;
}

static void set_section(struct image *im, unsigned i, uint32_t name, uint32_t type,
			uint64_t flags, uint64_t addr, uint64_t off, uint64_t size)
{
	Elf64_Shdr *sh = shdr(im, i);

	sh->sh_name = name;
	sh->sh_type = type;
	sh->sh_flags = flags;
	sh->sh_addr = addr;
	sh->sh_offset = off;
	sh->sh_size = size;
	sh->sh_addralign = 1;
}

static void write_ehdr(struct image *im)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)im->buf;

	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = TEXT_ADDR;
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_shoff = SHDR_OFF;
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = NSECTIONS;
	eh->e_shstrndx = SEC_SHSTRTAB;
}

static void add_symbols(struct image *im)
{
	add_symbol(im, "", STB_LOCAL, STT_NOTYPE, SHN_UNDEF, 0, 0);
	add_symbol(im, "guest.c", STB_LOCAL, STT_FILE, SHN_ABS, 0, 0);
	add_symbol(im, "func_b", STB_LOCAL, STT_FUNC, SEC_TEXT, TEXT_ADDR + 0x10, 0x20);
	add_symbol(im, "func_a_local", STB_LOCAL, STT_FUNC, SEC_TEXT, TEXT_ADDR, 0);
	add_symbol(im, "func_a_alias", STB_WEAK, STT_FUNC, SEC_TEXT, TEXT_ADDR, 0x10);
	add_symbol(im, "func_a", STB_GLOBAL, STT_FUNC, SEC_TEXT, TEXT_ADDR, 0x10);
	add_symbol(im, "asm_entry", STB_GLOBAL, STT_FUNC, SEC_TEXT, TEXT_ADDR + 0x40, 0);
	add_symbol(im, "sized_label", STB_GLOBAL, STT_NOTYPE, SEC_TEXT, TEXT_ADDR + 0x80, 8);
	add_symbol(im, "plain_label", STB_GLOBAL, STT_NOTYPE, SEC_TEXT, TEXT_ADDR + 0x90, 0);
	add_symbol(im, "last_func", STB_GLOBAL, STT_FUNC, SEC_TEXT, TEXT_ADDR + 0xc0, 0);
	add_symbol(im, "data_obj", STB_GLOBAL, STT_OBJECT, SEC_DATA, DATA_ADDR, 8);
	add_symbol(im, "undef_func", STB_GLOBAL, STT_FUNC, SHN_UNDEF, 0, 0);
	add_symbol(im, NULL, STB_GLOBAL, STT_FUNC, SEC_TEXT, TEXT_ADDR + 0xa0, 4);
}

/* .text [0x100000, 0x100100) with the functions above, .data, and the
 * symbol and string tables; no program headers, which symbols.c ignores. */
static void build_image(struct image *im, bool with_symtab)
{
	const char shstrtab[] = "\0.text\0.symtab\0.strtab\0.data\0.shstrtab";
	unsigned i;

	memset(im, 0, sizeof(*im));
	write_ehdr(im);
	for (i = 0; i < TEXT_SIZE; i++)
		im->buf[TEXT_OFF + i] = 0x90;
	add_symbols(im);
	memcpy(im->buf + SHSTRTAB_OFF, shstrtab, sizeof(shstrtab));
	set_section(im, SEC_TEXT, 1, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, TEXT_ADDR,
		    TEXT_OFF, TEXT_SIZE);
	set_section(im, SEC_SYMTAB, 7, with_symtab ? SHT_SYMTAB : SHT_PROGBITS, 0, 0,
		    SYMTAB_OFF, im->nsyms * sizeof(Elf64_Sym));
	shdr(im, SEC_SYMTAB)->sh_link = SEC_STRTAB;
	shdr(im, SEC_SYMTAB)->sh_info = 4;
	shdr(im, SEC_SYMTAB)->sh_entsize = sizeof(Elf64_Sym);
	shdr(im, SEC_SYMTAB)->sh_addralign = 8;
	set_section(im, SEC_STRTAB, 15, SHT_STRTAB, 0, 0, STRTAB_OFF, im->strtab_len);
	set_section(im, SEC_DATA, 23, SHT_NOBITS, SHF_ALLOC | SHF_WRITE, DATA_ADDR, TEXT_OFF,
		    0x100);
	set_section(im, SEC_SHSTRTAB, 29, SHT_STRTAB, 0, 0, SHSTRTAB_OFF, sizeof(shstrtab));
	im->size = sizeof(im->buf);
}

/* Loads from a heap copy of exactly size bytes, then wipes and frees it:
 * the table must have copied everything it keeps. */
static struct symbol_table *load_copy(const void *file, size_t size)
{
	unsigned char *copy = malloc(size ? size : 1);
	struct symbol_table *t;

	if (!copy)
		abort();
	memcpy(copy, file, size);
	t = symbols_load(copy, size);
	memset(copy, 0, size);
	free(copy);
	return t;
}

/* True if addr resolves to name+offset (name NULL: to nothing). */
static bool resolves(const struct symbol_table *t, uint64_t addr, const char *name,
		     uint64_t offset)
{
	uint64_t got_offset = 0xdead;
	const char *got = symbols_lookup(t, addr, &got_offset);

	if (name ? got && strcmp(got, name) == 0 && got_offset == offset : got == NULL)
		return true;
	printf("# 0x%llx: expected %s+0x%llx, got %s+0x%llx\n", (unsigned long long)addr,
	       name ? name : "(none)", (unsigned long long)offset, got ? got : "(none)",
	       (unsigned long long)got_offset);
	return false;
}

static void test_lookup(void)
{
	struct image im;
	struct symbol_table *t;

	build_image(&im, true);
	t = load_copy(im.buf, im.size);
	CHECK(t != NULL);
	CHECK(resolves(t, TEXT_ADDR, "func_a", 0));
	CHECK(resolves(t, TEXT_ADDR + 0xf, "func_a", 0xf));
	CHECK(resolves(t, TEXT_ADDR + 0x10, "func_b", 0));
	CHECK(resolves(t, TEXT_ADDR + 0x2f, "func_b", 0x1f));
	CHECK(resolves(t, TEXT_ADDR + 0x80, "sized_label", 0));
	CHECK(resolves(t, TEXT_ADDR + 0x87, "sized_label", 7));
	CHECK(symbols_lookup(t, TEXT_ADDR + 4, NULL) != NULL);
	symbols_free(t);
}

static void test_outside_functions(void)
{
	struct image im;
	struct symbol_table *t;

	build_image(&im, true);
	t = load_copy(im.buf, im.size);
	CHECK(t != NULL);
	CHECK(resolves(t, 0, NULL, 0));
	CHECK(resolves(t, TEXT_ADDR - 1, NULL, 0));
	CHECK(resolves(t, TEXT_ADDR + 0x30, NULL, 0));	/* gap after func_b */
	CHECK(resolves(t, TEXT_ADDR + 0x88, NULL, 0));	/* after sized_label */
	CHECK(resolves(t, TEXT_ADDR + 0x90, NULL, 0));	/* unsized NOTYPE: ignored */
	CHECK(resolves(t, TEXT_ADDR + 0xa0, NULL, 0));	/* its name is out of range */
	CHECK(resolves(t, TEXT_ADDR + TEXT_SIZE, NULL, 0));
	CHECK(resolves(t, DATA_ADDR, NULL, 0));		/* objects are not functions */
	CHECK(resolves(t, UINT64_MAX, NULL, 0));
	symbols_free(t);
}

/* Size 0: up to the next symbol, or to the end of the section. */
static void test_unsized_functions(void)
{
	struct image im;
	struct symbol_table *t;

	build_image(&im, true);
	t = load_copy(im.buf, im.size);
	CHECK(t != NULL);
	CHECK(resolves(t, TEXT_ADDR + 0x40, "asm_entry", 0));
	CHECK(resolves(t, TEXT_ADDR + 0x7f, "asm_entry", 0x3f));
	CHECK(resolves(t, TEXT_ADDR + 0xc0, "last_func", 0));
	CHECK(resolves(t, TEXT_ADDR + 0xff, "last_func", 0x3f));
	CHECK(resolves(t, TEXT_ADDR + 0x100, NULL, 0));
	symbols_free(t);
}

static void test_no_symtab(void)
{
	struct image im;

	build_image(&im, false);
	CHECK(load_copy(im.buf, im.size) == NULL);
	CHECK(symbols_lookup(NULL, TEXT_ADDR, NULL) == NULL);
	symbols_free(NULL);
}

static void test_no_functions(void)
{
	struct image im;
	unsigned i;

	build_image(&im, true);
	for (i = 0; i < im.nsyms; i++) {
		Elf64_Sym *sym = (Elf64_Sym *)(im.buf + SYMTAB_OFF) + i;

		sym->st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT);
	}
	CHECK(load_copy(im.buf, im.size) == NULL);
}

static void test_not_elf(void)
{
	CHECK(symbols_load(NULL, 0) == NULL);
	CHECK(load_copy("", 0) == NULL);
	CHECK(load_copy("\177ELF but not really an ELF image", 33) == NULL);
}

static void test_bad_tables(void)
{
	struct image im;

	build_image(&im, true);
	shdr(&im, SEC_SYMTAB)->sh_link = SEC_TEXT;	/* names in a non-string section */
	CHECK(load_copy(im.buf, im.size) == NULL);
	build_image(&im, true);
	shdr(&im, SEC_SYMTAB)->sh_link = 99;
	CHECK(load_copy(im.buf, im.size) == NULL);
	build_image(&im, true);
	shdr(&im, SEC_SYMTAB)->sh_offset = UINT64_MAX - 8;
	CHECK(load_copy(im.buf, im.size) == NULL);
	build_image(&im, true);
	shdr(&im, SEC_STRTAB)->sh_size = 0x100000;
	CHECK(load_copy(im.buf, im.size) == NULL);
}

int main(void);
__attribute__((noinline, used)) int symbols_test_known_function(int x);

int symbols_test_known_function(int x)
{
	return x * 3 + 1;
}

static int main_program_bias(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	*(uintptr_t *)data = info->dlpi_addr;
	return 1;	/* the first object is the program itself */
}

static unsigned char *read_file(const char *path, size_t *size)
{
	unsigned char *buf = NULL;
	FILE *f = fopen(path, "rb");
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)len)) && fread(buf, 1, (size_t)len, f) == (size_t)len) {
		*size = (size_t)len;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* Real gcc/ld output: this test binary's own symbol table. */
static void test_own_binary(void)
{
	uintptr_t bias = 0;
	uint64_t addr, offset = 0;
	struct symbol_table *t;
	unsigned char *file;
	size_t size = 0;
	const char *name;

	file = read_file("/proc/self/exe", &size);
	CHECK(file != NULL);
	if (!file)
		return;
	dl_iterate_phdr(main_program_bias, &bias);
	t = symbols_load(file, size);
	free(file);
	CHECK(t != NULL);
	addr = (uintptr_t)symbols_test_known_function - bias;
	CHECK(resolves(t, addr, "symbols_test_known_function", 0));
	name = symbols_lookup(t, addr + 1, &offset);
	CHECK(name && strcmp(name, "symbols_test_known_function") == 0 && offset == 1);
	CHECK(resolves(t, (uintptr_t)main - bias, "main", 0));
	symbols_free(t);
}


/* A loaded table must answer every lookup without crashing. */
static void probe(struct symbol_table *t)
{
	uint64_t a, offset;

	for (a = TEXT_ADDR - 4; a < TEXT_ADDR + TEXT_SIZE + 4; a++)
		symbols_lookup(t, a, &offset);
	symbols_lookup(t, check_rng(), &offset);
	symbols_free(t);
}

static void test_fuzz(void)
{
	struct image good, im;
	unsigned iter, flips, i;
	size_t len;

	build_image(&good, true);
	for (len = 0; len <= good.size; len++)
		probe(load_copy(good.buf, len));
	for (iter = 0; iter < 20000; iter++) {
		im = good;
		flips = 1 + check_rng() % 4;
		for (i = 0; i < flips; i++) {
			size_t at = check_rng() % im.size;

			if (check_rng() % 2)
				im.buf[at] ^= (unsigned char)(1u << (check_rng() % 8));
			else
				im.buf[at] = (unsigned char)check_rng();
		}
		if (iter % 8 == 0)
			im.size = check_rng() % (im.size + 1);
		probe(load_copy(im.buf, im.size));
	}
	CHECK(1);	/* surviving ASan/UBSan is the test */
}

int main(void)
{
	check_rng_state = 0x2545f4914f6cdd1dULL;
	RUN(test_lookup);
	RUN(test_outside_functions);
	RUN(test_unsized_functions);
	RUN(test_no_symtab);
	RUN(test_no_functions);
	RUN(test_not_elf);
	RUN(test_bad_tables);
	RUN(test_own_binary);
	RUN(test_fuzz);
	CHECK_EXIT();
}
