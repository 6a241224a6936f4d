/*
 * volume.c - the volume the dump tool was started from: its option file
 * and the dump file written there, never over an earlier dump.
 */
#include "efiutil.h"
#include "memdump.h"
#include "textbuf.h"

/* Longest dump file name: "\carto-memmap-999.txt". */
#define DUMP_NAME_CHARS 32
/* EFI_FILE_SYSTEM_INFO plus room for a volume label. */
#define FS_INFO_BYTES 512

static EFI_GUID loaded_image_guid = LOADED_IMAGE_PROTOCOL;
static EFI_GUID simple_fs_guid = SIMPLE_FILE_SYSTEM_PROTOCOL;
static EFI_GUID fs_info_guid = EFI_FILE_SYSTEM_INFO_ID;

EFI_FILE_HANDLE volume_open(EFI_BOOT_SERVICES *bs, EFI_HANDLE image,
			    char *why, size_t cap)
{
	EFI_LOADED_IMAGE *li;
	EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *fs;
	EFI_FILE_HANDLE root;
	EFI_STATUS st;

	st = bs->HandleProtocol(image, &loaded_image_guid, (void **)&li);
	if (EFI_ERROR(st)) {
		fmt_buf(why, cap, "cannot find this tool's loaded image (%s)",
			efiu_status_text(st));
		return NULL;
	}
	st = bs->HandleProtocol(li->DeviceHandle, &simple_fs_guid, (void **)&fs);
	if (EFI_ERROR(st)) {
		fmt_buf(why, cap, "the device this tool was started from has "
			"no file system the firmware can use (%s)",
			efiu_status_text(st));
		return NULL;
	}
	st = fs->OpenVolume(fs, &root);
	if (EFI_ERROR(st)) {
		fmt_buf(why, cap, "cannot open the boot volume (%s)",
			efiu_status_text(st));
		return NULL;
	}
	return root;
}

size_t volume_read_small(EFI_FILE_HANDLE root, const CHAR16 *path, char *buf,
			 size_t cap)
{
	EFI_FILE_HANDLE f;
	UINTN n = cap - 1;

	buf[0] = '\0';
	if (EFI_ERROR(root->Open(root, &f, (CHAR16 *)path, EFI_FILE_MODE_READ,
				 0)))
		return 0;
	if (EFI_ERROR(f->Read(f, &n, buf)))
		n = 0;
	f->Close(f);
	buf[n] = '\0';
	return n;
}

/* "\carto-memmap.txt" for 0, "\carto-memmap-N.txt" otherwise, as UCS-2. */
static void dump_name(unsigned suffix, char *ascii, CHAR16 *wide)
{
	if (suffix == 0)
		fmt_buf(ascii, DUMP_NAME_CHARS, "\\carto-memmap.txt");
	else
		fmt_buf(ascii, DUMP_NAME_CHARS, "\\carto-memmap-%u.txt", suffix);
	for (size_t i = 0;; i++) {
		wide[i] = (unsigned char)ascii[i];
		if (!ascii[i])
			break;
	}
}

/*
 * Open a new file under the first free dump name. Returns the firmware's
 * status of the create; EFI_NOT_FOUND here means every name is taken.
 */
static EFI_STATUS create_dump_file(EFI_FILE_HANDLE root, EFI_FILE_HANDLE *f,
				   char *name)
{
	CHAR16 wide[DUMP_NAME_CHARS];

	for (unsigned suffix = 0; suffix <= DUMP_NAME_MAX_SUFFIX; suffix++) {
		dump_name(suffix, name, wide);
		EFI_STATUS st = root->Open(root, f, wide, EFI_FILE_MODE_READ, 0);
		if (!EFI_ERROR(st)) {
			(*f)->Close(*f);   /* taken: try the next name */
			continue;
		}
		if (st != EFI_NOT_FOUND)
			return st;
		return root->Open(root, f, wide,
				  EFI_FILE_MODE_READ | EFI_FILE_MODE_WRITE |
					  EFI_FILE_MODE_CREATE, 0);
	}
	return EFI_NOT_FOUND;
}

/* Explain a failed create or write in words a user acts on. */
static void explain(EFI_STATUS st, const char *doing, const char *name,
		    char *msg, size_t cap)
{
	if (st == EFI_WRITE_PROTECTED || st == EFI_ACCESS_DENIED)
		fmt_buf(msg, cap, "%s %s failed: the boot volume is read-only "
			"(%s)", doing, name, efiu_status_text(st));
	else if (st == EFI_VOLUME_FULL)
		fmt_buf(msg, cap, "%s %s failed: no space left on the boot "
			"volume", doing, name);
	else
		fmt_buf(msg, cap, "%s %s failed: %s", doing, name,
			efiu_status_text(st));
}

/* Refuse early, with the reason, if the volume says it is read-only or too
 * full. Returns false with @msg set in that case. */
static bool volume_has_room(EFI_FILE_HANDLE root, size_t len, char *msg,
			    size_t cap)
{
	UINT64 info_buf[FS_INFO_BYTES / sizeof(UINT64)];
	EFI_FILE_SYSTEM_INFO *info = (EFI_FILE_SYSTEM_INFO *)info_buf;
	UINTN size = sizeof(info_buf);

	if (EFI_ERROR(root->GetInfo(root, &fs_info_guid, &size, info)))
		return true;   /* no information: just try */
	if (info->ReadOnly) {
		fmt_buf(msg, cap, "the boot volume is read-only");
		return false;
	}
	if (info->FreeSpace < len) {
		fmt_buf(msg, cap, "no space on the boot volume (%lu bytes free, "
			"%zu needed)", info->FreeSpace, len);
		return false;
	}
	return true;
}

/* Write all of @text; returns the first error. */
static EFI_STATUS write_all(EFI_FILE_HANDLE f, const char *text, size_t len)
{
	while (len > 0) {
		UINTN n = len;
		EFI_STATUS st = f->Write(f, &n, (void *)text);
		if (EFI_ERROR(st))
			return st;
		if (n == 0)
			return EFI_VOLUME_FULL;   /* no progress: out of room */
		text += n;
		len -= n;
	}
	return f->Flush(f);
}

bool volume_save_dump(EFI_FILE_HANDLE root, const char *text, size_t len,
		      char *msg, size_t cap)
{
	char name[DUMP_NAME_CHARS];
	EFI_FILE_HANDLE f;
	EFI_STATUS st;

	if (!volume_has_room(root, len, msg, cap))
		return false;
	st = create_dump_file(root, &f, name);
	if (st == EFI_NOT_FOUND) {
		fmt_buf(msg, cap, "every name from \\carto-memmap.txt to "
			"\\carto-memmap-%u.txt is taken; move old dumps away",
			DUMP_NAME_MAX_SUFFIX);
		return false;
	}
	if (EFI_ERROR(st)) {
		explain(st, "creating", name, msg, cap);
		return false;
	}
	st = write_all(f, text, len);
	if (EFI_ERROR(st)) {
		explain(st, "writing", name, msg, cap);
		f->Delete(f);   /* closes it too; a partial dump misleads */
		return false;
	}
	st = f->Close(f);
	if (EFI_ERROR(st)) {
		explain(st, "closing", name, msg, cap);
		return false;
	}
	fmt_buf(msg, cap, "written to %s (%zu bytes)", name, len);
	return true;
}
