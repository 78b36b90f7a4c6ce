/* symbols.h: turns guest code addresses into "function+offset", from the
 * symbol table of the guest's ELF image. */
#ifndef PVISOR_HV_SYMBOLS_H
#define PVISOR_HV_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

struct symbol_table;  /* opaque */

/* Reads the function symbols (STT_FUNC, and STT_NOTYPE with nonzero size)
 * of an ELF image in memory, copying their names. Returns NULL if the image
 * has no symbol table or no function in it (not an error), if the image is
 * malformed, or on allocation failure.
 *
 * A symbol of size 0 covers up to the next symbol, but never past the end of
 * the section it is defined in; when neither is known it covers only its
 * own address. Of several symbols at one address, one is kept: a sized one
 * before an unsized one, then global before weak before local, then the
 * alphabetically first name. */
struct symbol_table *symbols_load(const void *file, size_t size);

/* Finds the function containing addr; returns its name and sets *offset
 * (if offset is not NULL), or returns NULL. t may be NULL. The name lives
 * as long as t. */
const char *symbols_lookup(const struct symbol_table *t, uint64_t addr, uint64_t *offset);

void symbols_free(struct symbol_table *t);

#endif
