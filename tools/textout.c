/*
 * textout.c - formatting helpers for the analyzer's outputs.
 */
#include <inttypes.h>
#include <string.h>

#include "efi_mem.h"
#include "textout.h"

const char *human_size(char buf[HUMAN_SIZE_LEN], uint64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned u = 0;

	while (u + 1 < ARRAY_SIZE(units) && bytes >= (1ull << (10 * (u + 1))))
		u++;
	if (u == 0) {
		snprintf(buf, HUMAN_SIZE_LEN, "%" PRIu64 " B", bytes);
		return buf;
	}
	uint64_t unit = 1ull << (10 * u);
	uint64_t whole = bytes / unit;
	uint64_t tenths = ((bytes % unit) * 10 + unit / 2) / unit;
	if (tenths == 10) {
		whole++;
		tenths = 0;
	}
	if (tenths == 0 && bytes % unit == 0)
		snprintf(buf, HUMAN_SIZE_LEN, "%" PRIu64 " %s", whole, units[u]);
	else
		snprintf(buf, HUMAN_SIZE_LEN, "%" PRIu64 ".%" PRIu64 " %s", whole, tenths, units[u]);
	return buf;
}

const char *type_name(char buf[TYPE_NAME_LEN], uint32_t type)
{
	if (type < EFI_MEM_TYPE_COUNT)
		snprintf(buf, TYPE_NAME_LEN, "%s", efi_mem_type_name(type));
	else
		snprintf(buf, TYPE_NAME_LEN, "type 0x%" PRIx32, type);
	return buf;
}

const char *attr_text(char buf[ATTR_TEXT_LEN], uint64_t attr)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} names[] = {
		{ EFI_MEMORY_UC, "UC" }, { EFI_MEMORY_WC, "WC" }, { EFI_MEMORY_WT, "WT" },
		{ EFI_MEMORY_WB, "WB" }, { EFI_MEMORY_UCE, "UCE" }, { EFI_MEMORY_WP, "WP" },
		{ EFI_MEMORY_RP, "RP" }, { EFI_MEMORY_XP, "XP" }, { EFI_MEMORY_NV, "NV" },
		{ EFI_MEMORY_MORE_RELIABLE, "MR" }, { EFI_MEMORY_RO, "RO" },
		{ EFI_MEMORY_SP, "SP" }, { EFI_MEMORY_CPU_CRYPTO, "CPU-crypto" },
		{ EFI_MEMORY_ISA_VALID, "ISA" }, { EFI_MEMORY_RUNTIME, "RUNTIME" },
	};
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (attr & names[i].bit)
			n += (size_t)snprintf(buf + n, ATTR_TEXT_LEN - n, "%s%s",
					      n ? " " : "", names[i].name);
	uint64_t unknown = attr & ~EFI_MEMORY_KNOWN_BITS;
	if (unknown)
		snprintf(buf + n, ATTR_TEXT_LEN - n, "%sunknown:0x%" PRIx64, n ? " " : "", unknown);
	if (!attr)
		snprintf(buf, ATTR_TEXT_LEN, "-");
	return buf;
}

void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else if (*p < 0x20 || *p >= 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

void xml_text(FILE *f, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '<':  fputs("&lt;", f); break;
		case '>':  fputs("&gt;", f); break;
		case '&':  fputs("&amp;", f); break;
		case '"':  fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			fputc(*p < 0x20 || *p >= 0x7f ? '?' : *p, f);
		}
	}
}
