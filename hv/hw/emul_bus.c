/* emul_bus.c: the emulated I/O-port bus of full-virtualization mode. It
 * maps port ranges to device models, dispatches each guest IN/OUT to the
 * model that owns the port, and answers unowned ports the way an empty PC
 * bus does: all ones on reads, writes ignored, both counted (emul.h). */
#include "hw/emul.h"

static uint32_t size_mask(unsigned size)
{
	return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static bool valid_size(unsigned size)
{
	return size == 1 || size == 2 || size == 4;
}

/* Does region r contain port? (32-bit arithmetic: base + len may be 0x10000.) */
static bool region_has(const struct emul_pio_region *r, uint32_t port)
{
	return port >= r->base && port < (uint32_t)r->base + r->len;
}

static bool regions_overlap(const struct emul_pio_region *a, const struct emul_pio_region *b)
{
	uint32_t a_end = (uint32_t)a->base + a->len, b_end = (uint32_t)b->base + b->len;

	return a->base < b_end && b->base < a_end;
}

int emul_bus_add(struct emul_bus *bus, const struct emul_pio_region *region)
{
	if (!bus || !region || region->len == 0 || !region->read || !region->write)
		return -1;
	if ((uint32_t)region->base + region->len > 0x10000u)
		return -1;
	if (bus->nr_regions >= EMUL_MAX_REGIONS)
		return -1;
	for (unsigned i = 0; i < bus->nr_regions; i++)
		if (regions_overlap(&bus->regions[i], region))
			return -1;
	bus->regions[bus->nr_regions++] = *region;
	return 0;
}

static struct emul_pio_region *find_region(struct emul_bus *bus, uint32_t port)
{
	for (unsigned i = 0; i < bus->nr_regions; i++)
		if (region_has(&bus->regions[i], port))
			return &bus->regions[i];
	return NULL;
}

/* The region owning all of [port, port + size), or NULL. */
static struct emul_pio_region *find_whole(struct emul_bus *bus, uint16_t port, unsigned size)
{
	struct emul_pio_region *r = find_region(bus, port);

	if (r && region_has(r, (uint32_t)port + size - 1))
		return r;
	return NULL;
}

/* An access that straddles a region boundary, one byte at a time (an
 * access may run past port 0xffff: those bytes are unowned). */
static bool read_split(struct emul_bus *bus, uint16_t port, unsigned size, uint32_t *value)
{
	uint32_t v = 0;
	bool owned = false;

	for (unsigned i = 0; i < size; i++) {
		uint32_t p = (uint32_t)port + i;
		struct emul_pio_region *r = p < 0x10000u ? find_region(bus, p) : NULL;
		uint32_t byte = 0xff;

		if (r) {
			byte = r->read(r->dev, (uint16_t)(p - r->base), 1) & 0xff;
			owned = true;
		}
		v |= byte << (8 * i);
	}
	*value = v;
	return owned;
}

static bool write_split(struct emul_bus *bus, uint16_t port, unsigned size, uint32_t value)
{
	bool owned = false;

	for (unsigned i = 0; i < size; i++) {
		uint32_t p = (uint32_t)port + i;
		struct emul_pio_region *r = p < 0x10000u ? find_region(bus, p) : NULL;

		if (r) {
			r->write(r->dev, (uint16_t)(p - r->base), 1, (value >> (8 * i)) & 0xff);
			owned = true;
		}
	}
	return owned;
}

bool emul_bus_read(struct emul_bus *bus, uint16_t port, unsigned size, uint32_t *value)
{
	struct emul_pio_region *r;
	bool owned = false;
	uint32_t v = 0xffffffffu;

	if (valid_size(size)) {
		r = find_whole(bus, port, size);
		if (r) {
			v = r->read(r->dev, (uint16_t)(port - r->base), size);
			owned = true;
		} else {
			owned = read_split(bus, port, size, &v);
		}
	}
	if (!owned) {
		bus->unhandled_reads++;
		v = 0xffffffffu;
	}
	if (value)
		*value = v & size_mask(size);
	return owned;
}

bool emul_bus_write(struct emul_bus *bus, uint16_t port, unsigned size, uint32_t value)
{
	struct emul_pio_region *r;
	bool owned = false;

	if (valid_size(size)) {
		value &= size_mask(size);
		r = find_whole(bus, port, size);
		if (r) {
			r->write(r->dev, (uint16_t)(port - r->base), size, value);
			owned = true;
		} else {
			owned = write_split(bus, port, size, value);
		}
	}
	if (!owned)
		bus->unhandled_writes++;
	return owned;
}

uint32_t emul_read_bytes(uint8_t (*read8)(void *dev, uint16_t offset), void *dev,
			 uint16_t offset, unsigned size, uint16_t len)
{
	uint32_t v = 0;

	if (size > 4)
		size = 4;
	for (unsigned i = 0; i < size; i++) {
		uint32_t off = (uint32_t)offset + i;
		uint32_t byte = off < len ? read8(dev, (uint16_t)off) : 0xff;

		v |= byte << (8 * i);
	}
	return v;
}

void emul_write_bytes(void (*write8)(void *dev, uint16_t offset, uint8_t value), void *dev,
		      uint16_t offset, unsigned size, uint32_t value, uint16_t len)
{
	if (size > 4)
		size = 4;
	for (unsigned i = 0; i < size; i++) {
		uint32_t off = (uint32_t)offset + i;

		if (off < len)
			write8(dev, (uint16_t)off, (uint8_t)(value >> (8 * i)));
	}
}
