/*
 * acpimem.c - ACPI table memory on the host (acpimem.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acpimem.h"
#include "fmt.h"

/* ---- runs ------------------------------------------------------------------------ */

/* add_block - put @len bytes at @pa into the runs, merging runs that touch. */
static int add_block(struct acpimem *m, paddr_t pa, const uint8_t *bytes, size_t len)
{
	paddr_t start = pa, end = pa + len;

	if (len == 0 || end < pa)
		return -1;
	for (unsigned i = 0; i < m->runs; i++) {
		struct acpimem_run *r = &m->run[i];
		if (r->pa <= end && start <= r->pa + r->len) {
			start = r->pa < start ? r->pa : start;
			end = r->pa + r->len > end ? r->pa + r->len : end;
		}
	}
	if (end - start > (1u << 24))
		return -1;
	uint8_t *buf = calloc(1, end - start);
	if (!buf)
		return -1;
	unsigned kept = 0;
	for (unsigned i = 0; i < m->runs; i++) {
		struct acpimem_run *r = &m->run[i];
		if (r->pa >= start && r->pa + r->len <= end) {
			memcpy(buf + (r->pa - start), r->bytes, r->len);
			free(r->bytes);
		} else {
			m->run[kept++] = *r;
		}
	}
	m->runs = kept;
	if (m->runs == ACPIMEM_MAX_RUNS) {
		free(buf);
		return -1;
	}
	memcpy(buf + (pa - start), bytes, len);
	m->run[m->runs++] = (struct acpimem_run){ start, end - start, buf };
	return 0;
}

uint8_t *acpimem_bytes(struct acpimem *m, paddr_t pa, size_t len)
{
	for (unsigned i = 0; i < m->runs; i++) {
		struct acpimem_run *r = &m->run[i];
		if (pa >= r->pa && pa + len >= pa && pa + len <= r->pa + r->len)
			return r->bytes + (pa - r->pa);
	}
	return NULL;
}

int acpimem_fix_checksum(struct acpimem *m, paddr_t pa, size_t len, size_t at)
{
	uint8_t *t = acpimem_bytes(m, pa, len), sum = 0;

	if (!t || at >= len)
		return -1;
	t[at] = 0;
	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + t[i]);
	t[at] = (uint8_t)-sum;
	return 0;
}

void acpimem_free(struct acpimem *m)
{
	for (unsigned i = 0; i < m->runs; i++)
		free(m->run[i].bytes);
	m->runs = 0;
}

/* add_mem - append a memory-map entry if the map stays clean. */
static void add_mem(struct acpimem *m, paddr_t start, paddr_t end, uint32_t type, uint64_t attr)
{
	size_t n = m->map.count;

	if (n == ACPIMEM_MAX_MEM || start >= end || (start | end) & (EFI_PAGE_SIZE - 1) ||
	    (n && m->mem[n - 1].end > start))
		return;
	m->mem[n] = (struct mem_entry){ start, end, type, 0, attr };
	m->map.count = n + 1;
}

static void init(struct acpimem *m)
{
	memset(m, 0, sizeof(*m));
	m->map = (struct memmap){ m->mem, 0, ACPIMEM_MAX_MEM };
}

/* ---- text ------------------------------------------------------------------------- */

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

int acpimem_from_text(struct acpimem *m, const char *text, size_t len, char *why, size_t size)
{
	char line[4096];
	unsigned lineno = 0;
	uint8_t *data = NULL;
	size_t want = 0, have = 0;
	paddr_t at = 0;

	init(m);
	for (size_t pos = 0; pos < len;) {
		size_t n = 0;
		while (pos < len && text[pos] != '\n') {
			if (n + 1 < sizeof(line))
				line[n++] = text[pos];
			pos++;
		}
		pos++;
		line[n] = '\0';
		lineno++;
		unsigned long long a, b, c, d;
		if (have < want) {
			for (size_t i = 0; i + 1 < n && have < want; i += 2) {
				int hi = hexval(line[i]), lo = hexval(line[i + 1]);
				if (hi < 0 || lo < 0) {
					ksnprintf(why, size, "line %u: not hex", lineno);
					goto fail;
				}
				data[have++] = (uint8_t)(hi << 4 | lo);
			}
			if (have == want && add_block(m, at, data, want) != 0) {
				ksnprintf(why, size, "line %u: block at %lx does not fit", lineno, at);
				goto fail;
			}
			continue;
		}
		if (n == 0 || line[0] == '#')
			continue;
		if (sscanf(line, "rsdp %llx", &a) == 1) {
			m->rsdp = a;
		} else if (sscanf(line, "mem %llx %llx %llx %llx", &a, &b, &c, &d) == 4) {
			add_mem(m, a, b, (uint32_t)c, d);
		} else if (sscanf(line, "data %llx %llu", &a, &b) == 2 && b > 0 && b <= (1u << 24)) {
			free(data);
			data = malloc(b);
			if (!data)
				goto fail;
			at = a, want = b, have = 0;
		} else {
			ksnprintf(why, size, "line %u: not understood: %.40s", lineno, line);
			goto fail;
		}
	}
	if (have < want) {
		ksnprintf(why, size, "the block at %lx ends after %zu of %zu bytes", at, have, want);
		goto fail;
	}
	free(data);
	return 0;
fail:
	free(data);
	acpimem_free(m);
	return -1;
}

/* ---- binary ----------------------------------------------------------------------- */

static uint64_t get(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

#define BIN_MEM_LEN 20

void acpimem_from_binary(struct acpimem *m, const uint8_t *d, size_t len)
{
	size_t pos = 9;

	init(m);
	if (len < pos)
		return;
	m->rsdp = get(d, 8);
	for (unsigned i = 0; i < d[8] && pos + BIN_MEM_LEN <= len; i++, pos += BIN_MEM_LEN)
		add_mem(m, get(d + pos, 8), get(d + pos + 8, 8), (uint32_t)get(d + pos + 16, 4), 0);
	while (pos + 10 <= len) {
		paddr_t pa = get(d + pos, 8);
		size_t n = get(d + pos + 8, 2);
		pos += 10;
		if (n > len - pos)
			n = len - pos;
		if (n)
			add_block(m, pa, d + pos, n);
		pos += n;
	}
}

static void put(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

size_t acpimem_to_binary(const struct acpimem *m, uint8_t *out, size_t cap)
{
	size_t pos = 9;

	if (cap < pos || m->map.count > 255)
		return 0;
	put(out, m->rsdp, 8);
	out[8] = (uint8_t)m->map.count;
	for (size_t i = 0; i < m->map.count; i++, pos += BIN_MEM_LEN) {
		if (pos + BIN_MEM_LEN > cap)
			return 0;
		put(out + pos, m->mem[i].start, 8);
		put(out + pos + 8, m->mem[i].end, 8);
		put(out + pos + 16, m->mem[i].type, 4);
	}
	for (unsigned i = 0; i < m->runs; i++) {
		const struct acpimem_run *r = &m->run[i];
		if (r->len > 0xffff || pos + 10 + r->len > cap)
			return 0;
		put(out + pos, r->pa, 8);
		put(out + pos + 8, r->len, 2);
		memcpy(out + pos + 10, r->bytes, r->len);
		pos += 10 + r->len;
	}
	return pos;
}

/* ---- the reader --------------------------------------------------------------------- */

static const void *mem_map(void *ctx, paddr_t pa, uint32_t len, char *why, size_t size)
{
	struct acpimem *m = ctx;
	const uint8_t *src = acpimem_bytes(m, pa, len);

	if (!src) {
		ksnprintf(why, size, "no dumped data covers [%lx, %lx)", pa, pa + len);
		return NULL;
	}
	uint8_t *copy = malloc(len);
	if (!copy) {
		ksnprintf(why, size, "out of host memory");
		return NULL;
	}
	memcpy(copy, src, len);
	m->maps++;
	if (++m->mapped > m->max_mapped)
		m->max_mapped = m->mapped;
	return copy;
}

static void mem_unmap(void *ctx, const void *p, paddr_t pa, uint32_t len)
{
	struct acpimem *m = ctx;

	m->unmaps++;
	m->mapped--;
	free((void *)p);
}

struct acpi_reader acpimem_reader(struct acpimem *m, void (*note)(void *, const char *))
{
	return (struct acpi_reader){ mem_map, mem_unmap, note, &m->map, m };
}

/* ---- the fuzzer's run --------------------------------------------------------------- */

static size_t noted;   /* bytes of messages: each one was formatted */

static void sink(void *ctx, const char *msg)
{
	noted += strlen(msg);
}

static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

/* A table record's minimum length once accepted. */
static uint32_t min_len(const struct acpi_table_rec *r)
{
	return strcmp(r->sig, "RSDP") == 0 ? ACPI_RSDP_V1_LEN :
	       r->source == ACPI_FROM_FADT && strcmp(r->sig, "FACS") == 0 ? 64 : ACPI_SDT_HEADER_LEN;
}

static int check_info(const struct acpimem *m, const struct acpi_info *ai, char *why, size_t size)
{
	if (m->maps != m->unmaps || m->max_mapped > 2)
		return ksnprintf(why, size, "%u maps, %u unmaps, %u at once", m->maps, m->unmaps,
				 m->max_mapped), -1;
	if (ai->rec_count > ACPI_MAX_RECORDS || ai->tables > ACPI_MAX_TABLES ||
	    ai->ioapic_count > ACPI_MAX_IOAPICS || ai->override_count > ACPI_MAX_OVERRIDES ||
	    ai->mcfg_count > ACPI_MAX_MCFG)
		return ksnprintf(why, size, "a count past its array"), -1;
	for (unsigned i = 0; i < ai->rec_count; i++) {
		const struct acpi_table_rec *a = &ai->rec[i];
		if (a->err != ACPI_OK)
			continue;
		if (a->len < min_len(a) || a->pa + a->len < a->pa || !terminated(a->sig, 5))
			return ksnprintf(why, size, "accepted %s at %lx has length %u", a->sig, a->pa,
					 a->len), -1;
		for (unsigned j = 0; j < i; j++) {
			const struct acpi_table_rec *b = &ai->rec[j];
			if (b->err == ACPI_OK && a->pa < b->pa + b->len && b->pa < a->pa + a->len)
				return ksnprintf(why, size, "accepted %s at %lx overlaps %s at %lx",
						 a->sig, a->pa, b->sig, b->pa), -1;
		}
	}
	if (!terminated(ai->reset_why, sizeof(ai->reset_why)) ||
	    !terminated(ai->s5_why, sizeof(ai->s5_why)) || !terminated(ai->oem_id, 7))
		return ksnprintf(why, size, "an unterminated string"), -1;
	if (ai->reset_ok && (!ai->reset_reg.addr || ai->reset_reg.space > ACPI_SPACE_IO))
		return ksnprintf(why, size, "reset offered at %lx space %u", ai->reset_reg.addr,
				 ai->reset_reg.space), -1;
	if (ai->s5_ok && (!ai->pm1a_cnt.addr || ai->slp_typa > 7 || ai->slp_typb > 7 ||
			  !ai->dsdt_ok))
		return ksnprintf(why, size, "S5 offered with PM1a %lx, SLP_TYP %u %u",
				 ai->pm1a_cnt.addr, ai->slp_typa, ai->slp_typb), -1;
	return 0;
}

int acpimem_exercise(const uint8_t *data, size_t len, char *why, size_t size)
{
	static struct acpimem m;
	static struct acpi_info ai;
	char line[240];

	acpimem_from_binary(&m, data, len);
	struct acpi_reader r = acpimem_reader(&m, sink);
	acpi_parse(&r, m.rsdp, &ai);
	int st = check_info(&m, &ai, why, size);
	acpi_describe_methods(&ai, line, sizeof(line));
	if (st == 0 && strlen(line) >= sizeof(line))
		st = (ksnprintf(why, size, "the methods line overran"), -1);
	acpimem_free(&m);
	return st;
}
