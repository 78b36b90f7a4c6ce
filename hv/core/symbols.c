/* symbols.c: a sorted table of a guest image's function symbols, for
 * printing guest addresses as "function+offset".
 *
 * libelf (elfutils, through gelf) finds .symtab and reads it; elf_getdata()
 * and elf_strptr() check the section and string ranges against the file.
 * Names are copied into one pool owned by the table, so the image can be
 * freed once the table is built. */
#include <elf.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/symbols.h"

struct symbol {
	uint64_t addr;
	uint64_t end;		/* exclusive; see symbols.h for size-0 symbols */
	uint64_t size;
	uint64_t limit;		/* end of its section, or UINT64_MAX if unknown */
	const char *name;	/* in symbol_table.names */
	unsigned char bind;
};

struct symbol_table {
	size_t count;
	struct symbol *syms;	/* sorted by addr, addresses unique */
	char *names;
};

/* The symbol table section's data and the section holding its names. */
struct symtab_source {
	Elf *elf;
	Elf_Data *data;
	size_t strtab;
	size_t nsyms;
};

/* Returns the symbol's name if it is one we keep, else NULL. */
static const char *wanted_name(const struct symtab_source *src, const GElf_Sym *sym)
{
	unsigned type = GELF_ST_TYPE(sym->st_info);
	const char *name;

	if (sym->st_shndx == SHN_UNDEF)
		return NULL;
	if (type != STT_FUNC && !(type == STT_NOTYPE && sym->st_size != 0))
		return NULL;
	name = elf_strptr(src->elf, src->strtab, sym->st_name);
	if (!name || name[0] == '\0')
		return NULL;
	return name;
}

/* The end of the allocated section a symbol lives in, if it can be told. */
static uint64_t section_limit(Elf *elf, const GElf_Sym *sym)
{
	GElf_Shdr shdr;
	Elf_Scn *scn;

	if (sym->st_shndx >= SHN_LORESERVE)
		return UINT64_MAX;
	scn = elf_getscn(elf, sym->st_shndx);
	if (!scn || !gelf_getshdr(scn, &shdr) || !(shdr.sh_flags & SHF_ALLOC))
		return UINT64_MAX;
	if (sym->st_value < shdr.sh_addr || shdr.sh_addr + shdr.sh_size < shdr.sh_addr ||
	    sym->st_value > shdr.sh_addr + shdr.sh_size)
		return UINT64_MAX;
	return shdr.sh_addr + shdr.sh_size;
}

static bool find_symtab(Elf *elf, struct symtab_source *src)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	size_t entsize;

	while ((scn = elf_nextscn(elf, scn)) != NULL) {
		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != SHT_SYMTAB)
			continue;
		src->elf = elf;
		src->data = elf_getdata(scn, NULL);
		src->strtab = shdr.sh_link;
		entsize = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
		if (!src->data || entsize == 0)
			return false;
		src->nsyms = src->data->d_size / entsize;
		return true;
	}
	return false;
}

/* Counts the symbols we keep and the bytes their names need. */
static size_t count_wanted(const struct symtab_source *src, size_t *name_bytes)
{
	const char *name;
	size_t i, n = 0;
	GElf_Sym sym;

	*name_bytes = 0;
	for (i = 0; i < src->nsyms; i++) {
		if (!gelf_getsym(src->data, i, &sym) || !(name = wanted_name(src, &sym)))
			continue;
		*name_bytes += strlen(name) + 1;
		n++;
	}
	return n;
}

/* Copies the symbols count_wanted() counted; the bounds are only a guard. */
static void fill_table(const struct symtab_source *src, struct symbol_table *t,
		       size_t capacity, size_t name_bytes)
{
	char *pool = t->names;
	const char *name;
	size_t i, len;
	GElf_Sym sym;

	t->count = 0;
	for (i = 0; i < src->nsyms && t->count < capacity; i++) {
		struct symbol *s = &t->syms[t->count];

		if (!gelf_getsym(src->data, i, &sym) || !(name = wanted_name(src, &sym)))
			continue;
		len = strlen(name) + 1;
		if (len > name_bytes - (size_t)(pool - t->names))
			break;
		memcpy(pool, name, len);
		s->name = pool;
		pool += len;
		s->addr = sym.st_value;
		s->size = sym.st_size;
		s->limit = section_limit(src->elf, &sym);
		s->bind = GELF_ST_BIND(sym.st_info);
		t->count++;
	}
}

static int bind_rank(unsigned char bind)
{
	return bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2;
}

/* By address; among equal addresses the preferred symbol comes first. */
static int compare_symbols(const void *pa, const void *pb)
{
	const struct symbol *a = pa, *b = pb;

	if (a->addr != b->addr)
		return a->addr < b->addr ? -1 : 1;
	if ((a->size != 0) != (b->size != 0))
		return a->size != 0 ? -1 : 1;
	if (bind_rank(a->bind) != bind_rank(b->bind))
		return bind_rank(a->bind) - bind_rank(b->bind);
	return strcmp(a->name, b->name);
}

/* Sorts, keeps the first symbol of each address, and works out the ends. */
static void finish_table(struct symbol_table *t)
{
	size_t i, n = 0;

	qsort(t->syms, t->count, sizeof(*t->syms), compare_symbols);
	for (i = 0; i < t->count; i++)
		if (n == 0 || t->syms[n - 1].addr != t->syms[i].addr)
			t->syms[n++] = t->syms[i];
	t->count = n;

	for (i = 0; i < n; i++) {
		struct symbol *s = &t->syms[i];
		uint64_t next = i + 1 < n ? t->syms[i + 1].addr : UINT64_MAX;

		if (s->size)
			s->end = s->addr + s->size < s->addr ? UINT64_MAX : s->addr + s->size;
		else if (next != UINT64_MAX || s->limit != UINT64_MAX)
			s->end = next < s->limit ? next : s->limit;
		else
			s->end = s->addr + 1;
	}
}

static struct symbol_table *build_table(const struct symtab_source *src)
{
	struct symbol_table *t;
	size_t count, name_bytes;

	count = count_wanted(src, &name_bytes);
	if (count == 0)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->syms = calloc(count, sizeof(*t->syms));
	t->names = malloc(name_bytes);
	if (!t->syms || !t->names) {
		symbols_free(t);
		return NULL;
	}
	fill_table(src, t, count, name_bytes);
	finish_table(t);
	return t;
}

struct symbol_table *symbols_load(const void *file, size_t size)
{
	struct symbol_table *t = NULL;
	struct symtab_source src;
	Elf *elf;

	if (!file || size < EI_NIDENT || elf_version(EV_CURRENT) == EV_NONE)
		return NULL;
	/* ELF_C_READ_MEMORY never writes to the image, so dropping const is safe. */
	elf = elf_memory((char *)file, size);
	if (!elf)
		return NULL;
	if (elf_kind(elf) == ELF_K_ELF && find_symtab(elf, &src))
		t = build_table(&src);
	elf_end(elf);
	return t;
}

const char *symbols_lookup(const struct symbol_table *t, uint64_t addr, uint64_t *offset)
{
	size_t lo = 0, hi;
	const struct symbol *s;

	if (!t)
		return NULL;
	/* Find the first symbol above addr; the one before it may contain addr. */
	hi = t->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	s = &t->syms[lo - 1];
	if (addr >= s->end)
		return NULL;
	if (offset)
		*offset = addr - s->addr;
	return s->name;
}

void symbols_free(struct symbol_table *t)
{
	if (!t)
		return;
	free(t->syms);
	free(t->names);
	free(t);
}
