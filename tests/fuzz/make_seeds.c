/* make_seeds.c: writes the seed inputs of the fuzz harnesses into
 * DIR/NAME/ (tests/fuzz/corpus is the committed copy):
 *
 *   build/fuzz/make_seeds tests/fuzz/corpus
 *
 * Seeds are built with the project's own constants and code where it has
 * some (the ABI note, the overlay header writer, the netstack's frame
 * builders), so that they stay valid when those change. Each seed is a
 * small valid input of the format its harness reads (see the comment at
 * the top of each tests/fuzz/fuzz_*.c). */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pv/netstack.h>
#include <pvisor/abi.h>
#include <pvisor/io/virtio_blk.h>
#include <pvisor/io/virtio_ring.h>
#include <pvisor/pvisor.h>

#include "disk/overlay_format.h"

static const char *root;
static uint8_t buf[1 << 16];

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static void save(const char *harness, const char *name, const void *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, harness);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die(path);
	snprintf(path, sizeof(path), "%s/%s/%s", root, harness, name);
	f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		die(path);
}

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- fuzz_elf ------------------------------------------------------------- */

#define TEXT_ADDR 0x100000ull
#define DATA_ADDR 0x102000ull

struct elf_builder {
	uint8_t *b;
	size_t len;
	unsigned nphdr;
};

static Elf64_Ehdr *elf_start(struct elf_builder *e, unsigned nphdr)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;

	memset(buf, 0, sizeof(buf));
	e->b = buf;
	e->nphdr = nphdr;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = TEXT_ADDR;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = (uint16_t)nphdr;
	e->len = sizeof(*eh) + nphdr * sizeof(Elf64_Phdr);
	return eh;
}

/* Appends len bytes (aligned to align) and returns their offset. */
static size_t elf_put(struct elf_builder *e, const void *data, size_t len, size_t align)
{
	size_t off = (e->len + align - 1) / align * align;

	if (data)
		memcpy(e->b + off, data, len);
	e->len = off + len;
	return off;
}

static void elf_phdr(struct elf_builder *e, unsigned i, uint32_t type, uint32_t flags, size_t off,
		     uint64_t addr, uint64_t filesz, uint64_t memsz, uint64_t align)
{
	Elf64_Phdr *ph = (Elf64_Phdr *)(e->b + sizeof(Elf64_Ehdr)) + i;

	ph->p_type = type;
	ph->p_flags = flags;
	ph->p_offset = off;
	ph->p_vaddr = ph->p_paddr = addr;
	ph->p_filesz = filesz;
	ph->p_memsz = memsz;
	ph->p_align = align;
}

/* A note in a segment aligned to align (4, or 8 for ELF_T_NHDR8): the
 * header, the name, the descriptor at the next multiple of align, and
 * padding to one. */
static size_t note_bytes(uint8_t *out, const char *name, uint32_t type, const void *desc,
			 uint32_t descsz, size_t align)
{
	Elf64_Nhdr nh = { (uint32_t)strlen(name) + 1, descsz, type };
	size_t desc_off = (sizeof(nh) + nh.n_namesz + align - 1) / align * align;
	size_t len = (desc_off + descsz + align - 1) / align * align;

	memset(out, 0, len);
	memcpy(out, &nh, sizeof(nh));
	memcpy(out + sizeof(nh), name, nh.n_namesz);
	memcpy(out + desc_off, desc, descsz);
	return len;
}

static size_t pvisor_note(uint8_t *out, size_t align)
{
	uint32_t version = PVISOR_ABI_VERSION;

	return note_bytes(out, PVISOR_NOTE_NAME, PVISOR_NOTE_ABI_VERSION, &version, 4, align);
}

static const uint8_t code[32] = { 0xf4, 0xeb, 0xfd, 0x90, 0xc3 };   /* hlt; jmp .; nop; ret */

/* Text RX, data RW with a bss tail, the pvisor note. */
static void elf_minimal(void)
{
	struct elf_builder e;
	uint8_t note[64], data[16] = "data";
	size_t n = pvisor_note(note, 4), off;

	elf_start(&e, 3);
	off = elf_put(&e, note, n, 4);
	elf_phdr(&e, 2, PT_NOTE, PF_R, off, 0, n, 0, 4);
	off = elf_put(&e, code, sizeof(code), 16);
	elf_phdr(&e, 0, PT_LOAD, PF_R | PF_X, off, TEXT_ADDR, sizeof(code), sizeof(code), 0x1000);
	off = elf_put(&e, data, sizeof(data), 16);
	elf_phdr(&e, 1, PT_LOAD, PF_R | PF_W, off, DATA_ADDR, sizeof(data), 0x3000, 0x1000);
	save("fuzz_elf", "minimal.elf", e.b, e.len);
}

/* An 8-aligned note segment holding another vendor's note first, and a
 * segment of bss only. */
static void elf_notes(void)
{
	struct elf_builder e;
	uint8_t notes[128];
	uint32_t gnu[4] = { 0, 6, 1, 0 };
	size_t n = note_bytes(notes, "GNU", 1, gnu, sizeof(gnu), 8), off;

	n += pvisor_note(notes + n, 8);
	elf_start(&e, 3);
	off = elf_put(&e, notes, n, 8);
	elf_phdr(&e, 0, PT_NOTE, PF_R, off, 0, n, 0, 8);
	off = elf_put(&e, code, sizeof(code), 16);
	elf_phdr(&e, 1, PT_LOAD, PF_R | PF_X, off, TEXT_ADDR, sizeof(code), sizeof(code), 0x1000);
	elf_phdr(&e, 2, PT_LOAD, PF_R | PF_W, 0, DATA_ADDR, 0, 0x2000, 0x1000);
	save("fuzz_elf", "notes.elf", e.b, e.len);
}

static void sym(Elf64_Sym *s, uint32_t name, unsigned char bind, unsigned char type,
		uint16_t shndx, uint64_t value, uint64_t size)
{
	s->st_name = name;
	s->st_info = ELF64_ST_INFO(bind, type);
	s->st_shndx = shndx;
	s->st_value = value;
	s->st_size = size;
}

static void shdr(Elf64_Shdr *sh, uint32_t name, uint32_t type, uint64_t flags, uint64_t addr,
		 size_t off, uint64_t size, uint32_t link, uint64_t entsize)
{
	sh->sh_name = name;
	sh->sh_type = type;
	sh->sh_flags = flags;
	sh->sh_addr = addr;
	sh->sh_offset = off;
	sh->sh_size = size;
	sh->sh_link = link;
	sh->sh_addralign = 1;
	sh->sh_entsize = entsize;
}

/* The minimal image plus sections: .text, .symtab, .strtab, .shstrtab,
 * with sized and unsized, global, weak and local function symbols. */
static void elf_symbols(void)
{
	static const char strtab[] = "\0_start\0main\0helper\0alias\0object\0undef\0blob";
	static const char shstrtab[] = "\0.text\0.symtab\0.strtab\0.shstrtab";
	struct elf_builder e;
	Elf64_Sym syms[8];
	Elf64_Shdr sh[5];
	Elf64_Ehdr *eh;
	uint8_t note[64];
	size_t n = pvisor_note(note, 4), off, text_off, sym_off, str_off, shstr_off;

	memset(syms, 0, sizeof(syms));
	memset(sh, 0, sizeof(sh));
	eh = elf_start(&e, 2);
	off = elf_put(&e, note, n, 4);
	elf_phdr(&e, 1, PT_NOTE, PF_R, off, 0, n, 0, 4);
	text_off = elf_put(&e, code, sizeof(code), 16);
	elf_phdr(&e, 0, PT_LOAD, PF_R | PF_X, text_off, TEXT_ADDR, sizeof(code), sizeof(code), 0x1000);
	sym(&syms[1], 1, STB_GLOBAL, STT_FUNC, 1, TEXT_ADDR, 0);
	sym(&syms[2], 8, STB_GLOBAL, STT_FUNC, 1, TEXT_ADDR + 8, 8);
	sym(&syms[3], 13, STB_LOCAL, STT_FUNC, 1, TEXT_ADDR + 16, 4);
	sym(&syms[4], 20, STB_WEAK, STT_FUNC, 1, TEXT_ADDR + 8, 8);
	sym(&syms[5], 26, STB_GLOBAL, STT_OBJECT, 1, TEXT_ADDR + 24, 4);
	sym(&syms[6], 33, STB_GLOBAL, STT_FUNC, SHN_UNDEF, 0, 0);
	sym(&syms[7], 39, STB_GLOBAL, STT_NOTYPE, 1, TEXT_ADDR + 28, 4);
	sym_off = elf_put(&e, syms, sizeof(syms), 8);
	str_off = elf_put(&e, strtab, sizeof(strtab), 1);
	shstr_off = elf_put(&e, shstrtab, sizeof(shstrtab), 1);
	shdr(&sh[1], 1, SHT_PROGBITS, SHF_ALLOC | SHF_EXECINSTR, TEXT_ADDR, text_off, sizeof(code), 0, 0);
	shdr(&sh[2], 7, SHT_SYMTAB, 0, 0, sym_off, sizeof(syms), 3, sizeof(Elf64_Sym));
	sh[2].sh_info = 1;
	shdr(&sh[3], 15, SHT_STRTAB, 0, 0, str_off, sizeof(strtab), 0, 0);
	shdr(&sh[4], 23, SHT_STRTAB, 0, 0, shstr_off, sizeof(shstrtab), 0, 0);
	off = elf_put(&e, sh, sizeof(sh), 8);
	eh->e_shoff = off;
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = 5;
	eh->e_shstrndx = 4;
	save("fuzz_elf", "symbols.elf", e.b, e.len);
}

/* ---- fuzz_config, fuzz_api ---------------------------------------------- */

static void text_seed(const char *harness, const char *name, const char *text)
{
	save(harness, name, text, strlen(text));
}

static void config_seeds(void)
{
	text_seed("fuzz_config", "docs-example.json",
		  "{\n  \"image\": \"build/guest/guest/apps/hello.elf\",\n  \"mem\": \"128M\",\n"
		  "  \"mode\": \"pv\",\n  \"cmdline\": \"port=80\",\n  \"timeout\": 30,\n"
		  "  \"disk\": [\"data.img\", \"base.img,ro\"],\n"
		  "  \"net\": \"tap=pv0,mac=02:00:00:00:00:01\",\n  \"stats\": false\n}\n");
	text_seed("fuzz_config", "empty.json", " {} \n");
	text_seed("fuzz_config", "every-kind.json",
		  "{\"mem\": 64, \"mode\": \"hybrid\", \"timeout\": 2.5, \"verbose\": true, \"stats\": true,"
		  " \"disk\": [\"a.img,overlay=a.ovl,direct\", \"b.img,ro,io=threads\"],"
		  " \"net\": [\"tap=t0\", \"tap=t1,mac=02:00:00:00:00:02\"], \"image\": \"g.elf\"}");
}

static void api_seeds(void)
{
	text_seed("fuzz_api", "list.txt", "{\"pvisor\": 1, \"id\": \"any JSON value\", \"method\": \"list\", "
		  "\"params\": {}}");
	text_seed("fuzz_api", "verbs.txt",
		  "{\"pvisor\":1,\"id\":1,\"method\":\"info\",\"params\":{\"domain\":\"web\"}}\n"
		  "{\"pvisor\":1,\"id\":2,\"method\":\"pause\",\"params\":{\"domain\":2}}\n"
		  "{\"pvisor\":1,\"id\":3,\"method\":\"shutdown\",\"params\":{\"domain\":\"db\",\"grace_s\":5}}\n"
		  "{\"pvisor\":1,\"id\":4,\"method\":\"mem-set\",\"params\":{\"domain\":\"1\",\"bytes\":4096}}\n"
		  "{\"pvisor\":1,\"id\":5,\"method\":\"sched-credit\",\"params\":{\"domain\":\"web\","
		  "\"weight\":512,\"cap\":50}}\n"
		  "{\"pvisor\":1,\"id\":6,\"method\":\"console\",\"params\":{\"domain\":\"web\"}}\n");
	text_seed("fuzz_api", "create-destroy.txt",
		  "{\"pvisor\":1,\"id\":[1],\"method\":\"create\",\"params\":{\"name\":\"web2\","
		  "\"cwd\":\"/tmp\",\"config\":{\"image\":\"g.elf\",\"mem\":64}}}\n"
		  "{\"pvisor\":1,\"id\":{\"a\":1},\"method\":\"wait\",\"params\":{\"domain\":\"old\"}}\n"
		  "{\"pvisor\":1,\"method\":\"wait\",\"params\":{\"domain\":\"web\"}}\n"
		  "{\"pvisor\":1,\"method\":\"destroy\",\"params\":{\"domain\":42}}\n"
		  "{\"pvisor\":1,\"method\":\"subscribe\"}\n"
		  "{\"pvisor\":1,\"method\":\"list\"}");
	text_seed("fuzz_api", "bad.txt",
		  "{\"pvisor\":2,\"method\":\"list\"}\n{\"method\":\"list\"}\n[1]\n"
		  "{\"pvisor\":1,\"method\":\"frobnicate\"}\n{\"pvisor\":1,\"method\":\"info\",\"params\":[]}\n");
}

/* ---- fuzz_netstack ------------------------------------------------------ */

static const uint8_t our_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
static const uint8_t our_ip[4] = { 10, 0, 2, 15 };
static const uint8_t peer_mac[6] = { 0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc };
static const uint8_t peer_ip[4] = { 10, 0, 2, 1 };

#define CTL_FIX_BOTH 0x03
#define CTL_ANY_PORT 0x04
#define CTL_FULL_CAP 0x08

/* A frame from the peer to us, after the harness's control byte. */
static void frame_seed(const char *name, uint8_t ctl, size_t len)
{
	buf[0] = ctl;
	save("fuzz_netstack", name, buf, len + 1);
}

static void netstack_seeds(void)
{
	struct netstack_if them;
	struct netstack_peer us;
	uint8_t *f = buf + 1, *icmp;
	size_t n;

	netstack_if_init(&them, peer_mac, peer_ip);
	memcpy(us.mac, our_mac, 6);
	memcpy(us.ip, our_ip, 4);

	n = netstack_build_arp_request(&them, our_ip, f, sizeof(buf) - 1);
	frame_seed("arp-request", CTL_FULL_CAP, n);
	f[NETSTACK_ETH_HLEN + 7] = 2;                   /* the same as a reply to us */
	memcpy(f, our_mac, 6);
	memcpy(f + NETSTACK_ETH_HLEN + 18, our_mac, 6);
	frame_seed("arp-reply", CTL_FULL_CAP, n);

	n = netstack_build_udp(&them, &us, 4000, NETSTACK_UDP_ECHO_PORT, "echo me", 7, f,
			       sizeof(buf) - 1);
	frame_seed("udp-echo", CTL_FULL_CAP, n);
	n = netstack_build_udp(&them, &us, 4000, 9, "any port", 8, f, sizeof(buf) - 1);
	frame_seed("udp-any-port", CTL_FULL_CAP | CTL_ANY_PORT, n);

	netstack_ipv4_write(&them, &us, NETSTACK_PROTO_ICMP, NETSTACK_ICMP_HLEN + 4, f);
	icmp = f + NETSTACK_IPV4_FRAME_HLEN;
	memcpy(icmp, "\x08\x00\x00\x00\x12\x34\x00\x01ping", NETSTACK_ICMP_HLEN + 4);
	netstack_put16(icmp + 2, netstack_checksum_finish(netstack_sum(icmp, NETSTACK_ICMP_HLEN + 4, 0)));
	frame_seed("icmp-echo", CTL_FULL_CAP, NETSTACK_IPV4_FRAME_HLEN + NETSTACK_ICMP_HLEN + 4);
	/* The same with a 4-byte IP option; the harness fixes the checksums. */
	memmove(icmp + 4, icmp, NETSTACK_ICMP_HLEN + 4);
	memset(icmp, 1, 4);                             /* four NOP options */
	f[NETSTACK_ETH_HLEN] = 0x46;
	netstack_put16(f + NETSTACK_ETH_HLEN + 2, 24 + NETSTACK_ICMP_HLEN + 4);
	frame_seed("icmp-echo-options", CTL_FULL_CAP | CTL_FIX_BOTH,
		   NETSTACK_IPV4_FRAME_HLEN + 4 + NETSTACK_ICMP_HLEN + 4);
}

/* ---- fuzz_overlay --------------------------------------------------------- */

#define BASE_MTIME_SEC 1000000000       /* as in fuzz_overlay.c */

/* One operation of the harness: kind, sector, count, split, fill. */
static void ovl_op(uint8_t *hdr, unsigned i, uint8_t kind, uint32_t sector, uint16_t count,
		   uint8_t split, uint8_t fill)
{
	uint8_t *op = hdr + 81 + i * 8;

	op[0] = kind;
	put_le(op + 1, sector, 3);
	put_le(op + 4, count, 2);
	op[6] = split;
	op[7] = fill;
}

/* Header and bitmap of an overlay over a base of `size` bytes. */
static size_t ovl_seed(uint64_t size, unsigned bits, const uint8_t *bitmap, size_t bitmap_len)
{
	char path[] = "/tmp/pvisor-make-seeds-XXXXXX";
	struct ovl_header h;
	int fd = mkstemp(path);

	if (fd < 0)
		die("mkstemp");
	ovl_header_init(&h, size, bits, "/var/lib/images/base.img");
	h.base_size = size;
	h.base_mtime_sec = BASE_MTIME_SEC;
	h.base_mtime_nsec = 0;
	if (ovl_header_write(fd, &h) != 0 || pread(fd, buf, OVL_HEADER_BYTES, 0) != OVL_HEADER_BYTES)
		die("overlay header");
	close(fd);
	unlink(path);
	memset(buf + OVL_HEADER_BYTES, 0, OVL_BITMAP_BLOCK);
	memcpy(buf + OVL_HEADER_BYTES, bitmap, bitmap_len);
	return OVL_HEADER_BYTES + OVL_BITMAP_BLOCK;
}

static void overlay_seeds(void)
{
	const uint8_t some[] = { 0x25, 0x80 }, none[] = { 0 };
	size_t n;

	n = ovl_seed(64 << 10, 12, some, sizeof(some));
	ovl_op(buf, 0, 1, 3, 9, 5, 0x11);          /* write across clusters 0 and 1 */
	ovl_op(buf, 1, 2, 16, 8, 0, 0);            /* zero cluster 2, whole */
	ovl_op(buf, 2, 2, 27, 3, 0, 0);            /* zero part of cluster 3 */
	ovl_op(buf, 3, 3, 0, 0, 0, 0);             /* flush */
	ovl_op(buf, 4, 0, 0, 40, 77, 0);           /* read */
	save("fuzz_overlay", "clusters-4k", buf, n);

	n = ovl_seed(64 << 10, 16, none, sizeof(none));
	ovl_op(buf, 0, 1, 100, 1, 0, 0x22);
	ovl_op(buf, 1, 0, 99, 3, 1, 0);
	save("fuzz_overlay", "one-cluster-64k", buf, n);

	n = ovl_seed(129 * 512, 12, some, 1);      /* the last cluster is short */
	ovl_op(buf, 0, 1, 120, 9, 3, 0x33);
	ovl_op(buf, 1, 2, 128, 1, 0, 0);
	ovl_op(buf, 2, 0, 126, 3, 2, 0);
	save("fuzz_overlay", "short-last-cluster", buf, n);

	n = ovl_seed(64 << 10, 12, some, sizeof(some));
	buf[80] = 1;                                /* read-only */
	ovl_op(buf, 0, 0, 0, 128, 200, 0);
	save("fuzz_overlay", "read-only", buf, n);
}

/* ---- fuzz_virtq -------------------------------------------------------------- */

#define RING_GPA   0x8000u                      /* as in fuzz_virtq.c */
#define INPUT_RAM  16

static uint8_t *ram(uint64_t gpa)
{
	return buf + INPUT_RAM + (gpa - RING_GPA);
}

static void desc(uint64_t table, unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
		 uint16_t next)
{
	struct pvisor_virtq_desc *d = (struct pvisor_virtq_desc *)ram(table) + i;

	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

/* A queue of `size` laid out as the harness does, with chains: readable
 * then writable; an indirect table of two (after the used ring); one
 * writable page. */
static size_t virtq_seed(unsigned log2, uint8_t flags, uint8_t step)
{
	uint32_t size = 1u << log2;
	uint64_t avail = RING_GPA + pvisor_virtq_desc_bytes(size);
	uint64_t used = (avail + pvisor_virtq_avail_bytes(size) + 3) & ~3ull;
	uint64_t table = (used + pvisor_virtq_used_bytes(size) + 15) & ~15ull;
	struct pvisor_virtq_avail *a = (struct pvisor_virtq_avail *)ram(avail);
	uint16_t heads[] = { 0, 2, 3 };
	unsigned n = size < 4 ? 1 : 3;

	memset(buf, 0, sizeof(buf));
	buf[0] = (uint8_t)log2;
	buf[1] = flags;
	buf[11] = step;
	desc(RING_GPA, 0, 0x10000, 64, PVISOR_VIRTQ_DESC_F_NEXT, 1 % size);
	if (size > 1)
		desc(RING_GPA, 1, 0x10100, 512, PVISOR_VIRTQ_DESC_F_WRITE, 0);
	if (size >= 4) {
		desc(RING_GPA, 2, table, 32, PVISOR_VIRTQ_DESC_F_INDIRECT, 0);
		desc(RING_GPA, 3, 0x13000, 4096, PVISOR_VIRTQ_DESC_F_WRITE, 0);
		desc(table, 0, 0x12000, 16, PVISOR_VIRTQ_DESC_F_NEXT, 1);
		desc(table, 1, 0x12100, 16, PVISOR_VIRTQ_DESC_F_WRITE, 0);
	}
	if (size == 1)
		desc(RING_GPA, 0, 0x10000, 64, 0, 0);
	for (unsigned i = 0; i < n; i++)
		a->ring[i] = heads[i];
	a->idx = (uint16_t)n;
	return INPUT_RAM + (table + 32 - RING_GPA);
}

static void virtq_seeds(void)
{
	save("fuzz_virtq", "three-chains", buf, virtq_seed(3, 0x01 | 0x20, 0));
	save("fuzz_virtq", "event-idx-rounds", buf, virtq_seed(3, 0x01 | 0x02 | 0x10 | 0x40, 1));
	save("fuzz_virtq", "one-entry", buf, virtq_seed(0, 0x20, 0));
	save("fuzz_virtq", "queue-256", buf, virtq_seed(8, 0x01 | 0x02 | 0x20 | 0x80, 3));
}

/* ---- fuzz_blkreq, fuzz_netreq, fuzz_hypercall: byte streams --------------------------- */

static size_t at;

static void b8(unsigned v)
{
	buf[at++] = (uint8_t)v;
}

static void le(uint64_t v, unsigned bytes)
{
	put_le(buf + at, v, bytes);
	at += bytes;
}

/* A chain as fake_vdev.h reads it: the buffer count (and indirect bit). */
static void chain(unsigned nbufs, bool indirect)
{
	b8((nbufs - 1) | (indirect ? 8 : 0));
}

/* A readable buffer of len (< 256) bytes with the given content. */
static void readable(const void *content, unsigned len)
{
	b8(0);
	b8(len);
	b8(len);
	memcpy(buf + at, content, len);
	at += len;
}

static void sectors_buf(bool writable, unsigned sectors)
{
	b8(2 | writable);
	b8(sectors);
	if (!writable)
		b8(0);
}

static void big_buf(bool writable, unsigned len)
{
	b8(4 | writable);
	le(len, 2);
	if (!writable)
		b8(0);
}

static void status_buf(void)
{
	b8(7);
}

static void blk_header(uint32_t type, uint64_t sector)
{
	struct pvisor_virtio_blk_req_hdr h = { type, 0, sector };

	readable(&h, sizeof(h));
}

/* The harness's first bytes: flags (size index in bits 4..6), fail masks. */
static void blk_seed(const char *name, uint8_t flags, bool indirect)
{
	struct pvisor_virtio_blk_discard d = { 4, 2, 0 };

	at = 0;
	b8(flags);
	b8(0x22);
	b8(0x02);
	chain(3, indirect);                          /* write sectors 2..3 */
	blk_header(PVISOR_VIRTIO_BLK_T_OUT, 2);
	sectors_buf(false, 2);
	status_buf();
	chain(3, false);                             /* read them back */
	blk_header(PVISOR_VIRTIO_BLK_T_IN, 2);
	sectors_buf(true, 2);
	status_buf();
	chain(2, indirect);
	blk_header(PVISOR_VIRTIO_BLK_T_FLUSH, 0);
	status_buf();
	chain(3, false);
	blk_header(PVISOR_VIRTIO_BLK_T_GET_ID, 0);
	big_buf(true, PVISOR_VIRTIO_BLK_ID_BYTES);
	status_buf();
	chain(3, false);
	blk_header(PVISOR_VIRTIO_BLK_T_DISCARD, 0);
	readable(&d, sizeof(d));
	status_buf();
	chain(3, false);                             /* past the end */
	blk_header(PVISOR_VIRTIO_BLK_T_IN, 63);
	sectors_buf(true, 2);
	status_buf();
	chain(2, false);                             /* no status byte */
	blk_header(PVISOR_VIRTIO_BLK_T_OUT, 0);
	sectors_buf(false, 1);
	save("fuzz_blkreq", name, buf, at);
}

static void blkreq_seeds(void)
{
	blk_seed("requests", 0x50 | 0x02, true);
	blk_seed("read-only", 0x50 | 0x01, false);
	blk_seed("failing-engine", 0x50 | 0x04 | 0x08, false);
}

/* Host frames, then transmit chains, then receive chains. */
static void net_seed(const char *name, uint8_t flags, unsigned rx_len, unsigned nrx)
{
	static const uint8_t eth[14] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56, 2, 0, 0, 0xaa, 0xbb, 0xcc, 8, 0 };

	at = 0;
	b8(flags);
	b8(3);                                        /* three frames from the host */
	le(12 + 60, 2), b8(0);
	le(12 + 1514, 2), b8(0);
	le(12 + 20, 2), b8(0);
	b8(2);                                        /* two transmit chains */
	chain(2, false);
	big_buf(false, 12);
	readable(eth, sizeof(eth));
	chain(3, flags & 2);
	big_buf(false, 12);
	readable(eth, sizeof(eth));
	big_buf(false, 1000);
	for (unsigned i = 0; i < nrx; i++) {
		chain(1, false);
		big_buf(true, rx_len);
	}
	save("fuzz_netreq", name, buf, at);
}

static void netreq_seeds(void)
{
	net_seed("one-chain-per-frame", 0x02, 12 + 1514, 3);
	net_seed("merged-buffers", 0x01, 512, 8);
}

/* A hypercall: the number, then five arguments as (tag, value). */
static void hc(unsigned nr, const uint64_t a[5])
{
	b8(nr);
	for (int i = 0; i < 5; i++) {
		if (a[i] < 256) {
			b8(0), b8((unsigned)a[i]);
		} else {
			b8(2);
			le(a[i], 8);
		}
	}
}

static void mmu_request(uint64_t gpa, uint64_t va, uint8_t flags, uint8_t tag, uint8_t frame)
{
	b8(0xf8);
	le(gpa / 16, 2);
	le(va >> 12, 2);
	b8(flags);
	b8(tag);
	b8(frame);
}

static void hypercall_seeds(void)
{
	const uint64_t list = 0x8000, reqs = 0x9000, done = 0x9800, text = 0xa000;

	at = 0;
	b8(0), b8(8), b8(5);
	hc(PVISOR_HC_VERSION, (uint64_t[5]){ PVISOR_VERSION_ABI });
	b8(0xf0), le(text / 4, 2), b8(5), memcpy(buf + at, "hello", 5), at += 5;
	hc(PVISOR_HC_CONSOLE_IO, (uint64_t[5]){ PVISOR_CONSOLE_WRITE, text, 5 });
	hc(PVISOR_HC_CONSOLE_IO, (uint64_t[5]){ PVISOR_CONSOLE_READ, text, 8 });
	hc(PVISOR_HC_EVENT_CHANNEL_OP, (uint64_t[5]){ PVISOR_EVTCHN_BIND_VIRQ, PVISOR_VIRQ_CONSOLE });
	hc(PVISOR_HC_EVENT_CHANNEL_OP, (uint64_t[5]){ PVISOR_EVTCHN_ALLOC_UNBOUND, PVISOR_DOMID_SELF });
	hc(PVISOR_HC_EVENT_CHANNEL_OP, (uint64_t[5]){ PVISOR_EVTCHN_BIND_INTERDOMAIN, PVISOR_DOMID_SELF, 2 });
	hc(PVISOR_HC_EVENT_CHANNEL_OP, (uint64_t[5]){ PVISOR_EVTCHN_SEND, 3 });
	hc(PVISOR_HC_EVENT_CHANNEL_OP, (uint64_t[5]){ PVISOR_EVTCHN_CLOSE, 2 });
	mmu_request(reqs, 0x400000, 0x03, 0, 9);        /* map pfn 9 writable */
	mmu_request(reqs + 16, 0x401000, 0x01, 1, 0);   /* a hypervisor page, read-only */
	mmu_request(reqs + 32, 0x402000, 0x03, 2, 1);   /* a page table, writable: -EPERM */
	hc(PVISOR_HC_MMU_UPDATE, (uint64_t[5]){ reqs, 3, done });
	mmu_request(reqs, 0x9000, 0x80, 0, 0);          /* unmap the requests' own page */
	mmu_request(reqs + 16, 0x400000, 0x80, 0, 0);
	hc(PVISOR_HC_MMU_UPDATE, (uint64_t[5]){ reqs, 2, done });
	b8(0xf0), le(list / 4, 2), b8(16);
	le(20, 8), le(9, 8);
	hc(PVISOR_HC_MEMORY_OP, (uint64_t[5]){ PVISOR_MEM_DECREASE_RESERVATION, list, 2 });
	hc(PVISOR_HC_MEMORY_OP, (uint64_t[5]){ PVISOR_MEM_INCREASE_RESERVATION, list, 1 });
	hc(PVISOR_HC_CALLBACK_OP, (uint64_t[5]){ PVISOR_CALLBACK_UPCALL, 0x100000 });
	hc(PVISOR_HC_DEVICE_OP, (uint64_t[5]){ 1, 0 });
	hc(PVISOR_HC_SCHED_OP, (uint64_t[5]){ PVISOR_SCHED_SHUTDOWN, PVISOR_SHUTDOWN_CRASH, 3, text });
	save("fuzz_hypercall", "tour", buf, at);
	buf[0] = 1;                                      /* the same in a hybrid domain */
	save("fuzz_hypercall", "tour-hybrid", buf, at);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: make_seeds DIR\n");
		return 2;
	}
	root = argv[1];
	if (mkdir(root, 0755) < 0 && errno != EEXIST)
		die(root);
	elf_minimal();
	elf_notes();
	elf_symbols();
	config_seeds();
	api_seeds();
	netstack_seeds();
	overlay_seeds();
	virtq_seeds();
	blkreq_seeds();
	netreq_seeds();
	hypercall_seeds();
	return 0;
}
