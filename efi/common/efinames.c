/*
 * efinames.c - names of UEFI memory types and attribute bits, human sizes.
 */
#include "efinames.h"
#include "textbuf.h"

bool efiu_type_known(uint32_t type)
{
	return type < EFI_MEM_TYPE_COUNT;
}

const char *efiu_type_name(uint32_t type)
{
	/* The names are mm/names.c's, which the loader and kernel print too. */
	return efiu_type_known(type) ? efi_mem_type_name(type) : "Unknown";
}

/* Attribute bits in the order the spec lists them, with their names. */
static const struct {
	uint64_t bit;
	const char *name;
} attr_names[] = {
	{ EFI_MEMORY_UC, "UC" },
	{ EFI_MEMORY_WC, "WC" },
	{ EFI_MEMORY_WT, "WT" },
	{ EFI_MEMORY_WB, "WB" },
	{ EFI_MEMORY_UCE, "UCE" },
	{ EFI_MEMORY_WP, "WP" },
	{ EFI_MEMORY_RP, "RP" },
	{ EFI_MEMORY_XP, "XP" },
	{ EFI_MEMORY_NV, "NV" },
	{ EFI_MEMORY_MORE_RELIABLE, "MR" },
	{ EFI_MEMORY_RO, "RO" },
	{ EFI_MEMORY_SP, "SP" },
	{ EFI_MEMORY_CPU_CRYPTO, "CPU-crypto" },
	{ EFI_MEMORY_ISA_VALID, "ISA-valid" },
	{ EFI_MEMORY_RUNTIME, "RUNTIME" },
};

size_t efiu_attr_names(uint64_t attr, char *dst, size_t cap)
{
	struct textbuf tb;

	tb_init(&tb, dst, cap);
	for (size_t i = 0; i < ARRAY_SIZE(attr_names); i++)
		if (attr & attr_names[i].bit)
			tb_printf(&tb, " %s", attr_names[i].name);
	if (attr & ~EFI_MEMORY_KNOWN_BITS)
		tb_printf(&tb, " unknown=0x%lx",
			  (uint64_t)(attr & ~EFI_MEMORY_KNOWN_BITS));
	return tb.len;
}

size_t efiu_human_size(uint64_t bytes, char *dst, size_t cap)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB",
					     "PiB", "EiB" };
	unsigned u = 0;

	while (u + 1 < ARRAY_SIZE(units) && bytes >> (10 * (u + 1)))
		u++;
	if (u == 0)
		return fmt_buf(dst, cap, "%lu B", bytes);

	/*
	 * Tenths of the unit, rounded to nearest. rest < 2^60 even for EiB,
	 * so rest * 10 + half stays below 2^64.
	 */
	unsigned shift = 10 * u;
	uint64_t whole = bytes >> shift;
	uint64_t rest = bytes & ((1ull << shift) - 1);
	uint64_t tenths = whole * 10 +
			  ((rest * 10 + (1ull << (shift - 1))) >> shift);
	if (tenths >= 10000)
		return fmt_buf(dst, cap, "%lu %s", tenths / 10, units[u]);
	return fmt_buf(dst, cap, "%lu.%lu %s", tenths / 10, tenths % 10,
		       units[u]);
}

bool efiu_desc_end(uint64_t start, uint64_t pages, uint64_t *end)
{
	/* pages << 12 must fit, and start + bytes must stay below 2^64. */
	if (pages > (UINT64_MAX >> EFI_PAGE_SHIFT) ||
	    (pages << EFI_PAGE_SHIFT) > UINT64_MAX - start) {
		*end = UINT64_MAX;
		return false;
	}
	*end = start + (pages << EFI_PAGE_SHIFT);
	return true;
}
