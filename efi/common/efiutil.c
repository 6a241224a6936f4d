/*
 * efiutil.c - boot-services helpers shared by the EFI apps (see efiutil.h).
 */
#include "efiutil.h"

/* How many times efiu_map_get grows its buffer before giving up. */
#define MAP_GET_TRIES 8
/* Characters converted per OutputString call. */
#define CON_CHUNK 128

static EFI_STATUS map_read(EFI_BOOT_SERVICES *bs, struct efiu_map *m)
{
	m->size = m->capacity;
	return bs->GetMemoryMap(&m->size, m->buf, &m->key, &m->desc_size,
				&m->desc_version);
}

static EFI_STATUS pool_alloc(void *ctx, UINTN bytes, void **buf)
{
	return ((EFI_BOOT_SERVICES *)ctx)->AllocatePool(EfiLoaderData, bytes, buf);
}

static void pool_release(void *ctx, void *buf)
{
	((EFI_BOOT_SERVICES *)ctx)->FreePool(buf);
}

struct efiu_map_mem efiu_map_pool(EFI_BOOT_SERVICES *bs)
{
	return (struct efiu_map_mem){ pool_alloc, pool_release, bs };
}

static void map_drop(struct efiu_map *m, const struct efiu_map_mem *mem)
{
	if (m->buf && mem->release)
		mem->release(mem->ctx, m->buf);
	m->buf = NULL;
	m->capacity = 0;
}

EFI_STATUS efiu_map_get(EFI_BOOT_SERVICES *bs, struct efiu_map *m, const struct efiu_map_mem *mem)
{
	EFI_STATUS st = m->buf ? map_read(bs, m) : EFI_BUFFER_TOO_SMALL;

	for (int tries = 0; st == EFI_BUFFER_TOO_SMALL && tries < MAP_GET_TRIES;
	     tries++) {
		if (!m->buf) {
			/* Ask for the size with an empty buffer first. */
			m->capacity = 0;
			(void)map_read(bs, m);
		}
		/* Drop the old buffer; m->size says what the firmware needs. */
		map_drop(m, mem);
		UINTN desc = m->desc_size ? m->desc_size : sizeof(EFI_MEMORY_DESCRIPTOR);
		UINTN want = m->size + EFIU_MAP_SPARE_DESCS * desc;
		st = mem->alloc(mem->ctx, want, &m->buf);
		if (EFI_ERROR(st)) {
			m->buf = NULL;
			return st;
		}
		m->capacity = want;
		st = map_read(bs, m);
	}
	/* The firmware's descriptors may be larger than the specification's
	 * (read them by desc_size), never smaller. */
	if (!EFI_ERROR(st) && m->desc_size < sizeof(EFI_MEMORY_DESCRIPTOR))
		st = EFI_PROTOCOL_ERROR;
	if (EFI_ERROR(st))
		map_drop(m, mem);
	return st;
}

EFI_STATUS efiu_map_refresh(EFI_BOOT_SERVICES *bs, struct efiu_map *m)
{
	if (!m->buf)
		return EFI_BUFFER_TOO_SMALL;
	return map_read(bs, m);
}

void efiu_map_free(EFI_BOOT_SERVICES *bs, struct efiu_map *m)
{
	struct efiu_map_mem pool = efiu_map_pool(bs);

	map_drop(m, &pool);
}

UINTN efiu_map_count(const struct efiu_map *m)
{
	return m->desc_size ? m->size / m->desc_size : 0;
}

const EFI_MEMORY_DESCRIPTOR *efiu_map_desc(const struct efiu_map *m, UINTN i)
{
	return (const EFI_MEMORY_DESCRIPTOR *)((const UINT8 *)m->buf +
					       i * m->desc_size);
}

static bool guid_equal(const EFI_GUID *a, const EFI_GUID *b)
{
	const UINT8 *x = (const UINT8 *)a, *y = (const UINT8 *)b;

	for (UINTN i = 0; i < sizeof(EFI_GUID); i++)
		if (x[i] != y[i])
			return false;
	return true;
}

void *efiu_config_table(const EFI_SYSTEM_TABLE *st, const EFI_GUID *guid)
{
	for (UINTN i = 0; i < st->NumberOfTableEntries; i++)
		if (guid_equal(&st->ConfigurationTable[i].VendorGuid, guid))
			return st->ConfigurationTable[i].VendorTable;
	return NULL;
}

const char *efiu_status_text(EFI_STATUS status)
{
	switch (status) {
	case EFI_SUCCESS: return "success";
	case EFI_LOAD_ERROR: return "load error";
	case EFI_INVALID_PARAMETER: return "invalid parameter";
	case EFI_UNSUPPORTED: return "unsupported";
	case EFI_BAD_BUFFER_SIZE: return "bad buffer size";
	case EFI_BUFFER_TOO_SMALL: return "buffer too small";
	case EFI_NOT_READY: return "not ready";
	case EFI_DEVICE_ERROR: return "device error";
	case EFI_WRITE_PROTECTED: return "write protected";
	case EFI_OUT_OF_RESOURCES: return "out of resources";
	case EFI_VOLUME_CORRUPTED: return "volume corrupted";
	case EFI_VOLUME_FULL: return "volume full";
	case EFI_NO_MEDIA: return "no media";
	case EFI_MEDIA_CHANGED: return "media changed";
	case EFI_NOT_FOUND: return "not found";
	case EFI_ACCESS_DENIED: return "access denied";
	case EFI_TIMEOUT: return "timeout";
	case EFI_ABORTED: return "aborted";
	case EFI_PROTOCOL_ERROR: return "protocol error";
	default: return "unknown status";
	}
}

void efiu_con_write(SIMPLE_TEXT_OUTPUT_INTERFACE *out, const char *s, size_t n)
{
	CHAR16 buf[CON_CHUNK + 2];   /* room for a "\r\n" pair */
	size_t used = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n')
			buf[used++] = L'\r';
		bool shown = c == '\n' || c == '\r' || (c >= 0x20 && c < 0x7f);
		buf[used++] = shown ? c : L'?';
		if (used >= CON_CHUNK || i + 1 == n) {
			buf[used] = 0;
			out->OutputString(out, buf);
			used = 0;
		}
	}
}

void efiu_con_puts(SIMPLE_TEXT_OUTPUT_INTERFACE *out, const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	efiu_con_write(out, s, n);
}

void efiu_ucs2_to_ascii(const CHAR16 *src, char *dst, size_t cap)
{
	size_t i = 0;

	for (; src && src[i] && i + 1 < cap; i++)
		dst[i] = (src[i] >= 0x20 && src[i] < 0x7f) ? (char)src[i] : '?';
	dst[i] = '\0';
}
