/*
 * test_resource.c - host tests of mm/resource.c, the ownership registry:
 * RAM from the memory map, busy claims and their conflicts at either edge,
 * containers and their subdivision, release, pool exhaustion, the printed
 * table, and a randomised comparison with a flat list of claims.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resource.h"
#include "tap.h"

#define POOL 64

static struct resource pool[POOL];
static struct resource_tree tree;

static struct mem_entry qemu_entries[] = {
	{ 0x0, 0xa0000, EFI_CONVENTIONAL, 0, 0 },
	{ 0x100000, 0x800000, EFI_CONVENTIONAL, 0, 0 },
	{ 0x800000, 0x808000, EFI_ACPI_NVS, 0, 0 },
	{ 0x808000, 0x810000, EFI_CONVENTIONAL, 0, 0 },
	{ 0x810000, 0x900000, EFI_BS_DATA, 0, 0 },      /* joins the one before */
	{ 0x900000, 0x1f000000, EFI_LOADER_DATA, 0, 0 }, /* and this one too */
	{ 0x1f000000, 0x1f100000, EFI_ACPI_RECLAIM, 0, 0 },
	{ 0x1f100000, 0x1f200000, EFI_RT_DATA, 0, 0 },
	{ 0x1f200000, 0x20000000, EFI_CONVENTIONAL, 0, 0 },
	{ 0xb0000000, 0xc0000000, EFI_RESERVED, 0, 0 },
	{ 0xffc00000, 0x100000000, EFI_RESERVED, 0, 0 },
	{ 0x100000000, 0x140000000, EFI_CONVENTIONAL, 0, 0 },
};

static struct memmap qemu_map(void)
{
	return (struct memmap){ qemu_entries, ARRAY_SIZE(qemu_entries), ARRAY_SIZE(qemu_entries) };
}

static void fresh(void)
{
	struct memmap m = qemu_map();
	int st = resource_init(&tree, pool, POOL, &m);
	if (st != E_OK)
		TAP_DIAG("resource_init failed: %s", status_name(st));
}

/* claim_as - claim and check the status and, for a refusal, the owner
 * named by the out-pointer. Returns the node on success. */
static struct resource *claim_as(paddr_t s, paddr_t e, const char *owner, uint32_t flags,
				 int want, const char *want_owner, const char *what)
{
	struct resource *r = (struct resource *)1;
	int st = resource_claim(&tree, s, e, owner, CACHE_UC, flags, &r);
	const char *named = r && r != (struct resource *)1 ? r->owner : "(null)";

	if (want == E_OK)
		TAP_CHECK(st == E_OK && r && r->range.start == s && r->range.end == e &&
			  strcmp(r->owner, owner) == 0,
			  "%s: [%#" PRIx64 ", %#" PRIx64 ") for %s claimed (got %s)", what, s, e,
			  owner, status_name(st));
	else if (want_owner)
		TAP_CHECK(st == want && r && strcmp(named, want_owner) == 0,
			  "%s: refused with %s naming \"%s\" (got %s naming \"%s\")", what,
			  status_name(want), want_owner, status_name(st), named);
	else
		TAP_CHECK(st == want && r == NULL, "%s: refused with %s, no node (got %s)", what,
			  status_name(want), status_name(st));
	return st == E_OK ? r : NULL;
}

static void test_init_ram(void)
{
	fresh();
	/* RAM runs: [0,a0000) [100000,800000) [808000,1f100000) [1f200000,20000000)
	 * [100000000,140000000) = 5 nodes; NVS, runtime, reserved not recorded. */
	TAP_CHECK(tree.used == 5, "five RAM runs recorded (got %zu)", tree.used);
	struct resource *r = resource_find(&tree, 0x900000);
	TAP_CHECK(r && r->range.start == 0x808000 && r->range.end == 0x1f100000 &&
		  (r->flags & RESOURCE_RAM) && strcmp(r->owner, RESOURCE_RAM_OWNER) == 0 &&
		  r->cache == CACHE_WB,
		  "adjacent RAM of different types joined into one System RAM claim");
	TAP_CHECK(resource_find(&tree, 0x800000) == NULL, "ACPI NVS is not recorded as RAM");
	TAP_CHECK(resource_find(&tree, 0x1f100000) == NULL, "runtime data is not RAM");
	TAP_CHECK(resource_find(&tree, 0xa0000) == NULL, "a hole is unclaimed");

	struct mem_entry bad[] = { { 0x2000, 0x3000, EFI_CONVENTIONAL, 0, 0 },
				   { 0x1000, 0x2000, EFI_CONVENTIONAL, 0, 0 } };
	struct memmap m = { bad, 2, 2 };
	TAP_CHECK(resource_init(&tree, pool, POOL, &m) == E_INVAL && tree.used == 0,
		  "an unsorted map is refused and leaves the tree empty");
	bad[1] = (struct mem_entry){ 0x3000, 0x3800, EFI_CONVENTIONAL, 0, 0 };
	TAP_CHECK(resource_init(&tree, pool, POOL, &m) == E_INVAL, "an unaligned entry is refused");
	bad[1] = (struct mem_entry){ 0x2000, 0x4000, EFI_CONVENTIONAL, 0, 0 };
	TAP_CHECK(resource_init(&tree, pool, POOL, &m) == E_INVAL, "overlapping entries are refused");
	struct memmap q = qemu_map();
	TAP_CHECK(resource_init(&tree, pool, 4, &q) == E_NOMEM && tree.used == 0,
		  "more RAM runs than pool nodes: E_NOMEM");
	TAP_CHECK(resource_init(&tree, NULL, 4, &q) == E_INVAL, "NULL pool with a size: E_INVAL");
	TAP_CHECK(resource_init(&tree, pool, POOL, NULL) == E_OK && tree.used == 0,
		  "no map: an empty registry");
}

static void test_ram_refused(void)
{
	fresh();
	claim_as(0x200000, 0x201000, "dev", RESOURCE_BUSY, E_PERM, RESOURCE_RAM_OWNER,
		 "inside RAM");
	claim_as(0x9f000, 0xa1000, "dev", RESOURCE_BUSY, E_PERM, RESOURCE_RAM_OWNER,
		 "across the end of RAM");
	claim_as(0xff000, 0x101000, "dev", RESOURCE_BUSY, E_PERM, RESOURCE_RAM_OWNER,
		 "across the start of RAM");
	claim_as(0x80000000, 0x140000000, "win", RESOURCE_CONTAINER, E_PERM, RESOURCE_RAM_OWNER,
		 "a container swallowing RAM");
	claim_as(0x0, 0xa0000, "dev", RESOURCE_BUSY, E_PERM, RESOURCE_RAM_OWNER,
		 "exactly a RAM run");
	TAP_CHECK(tree.used == 5, "refusals changed nothing (%zu nodes)", tree.used);
	claim_as(0xa0000, 0x100000, "VGA", RESOURCE_BUSY, E_OK, NULL,
		 "the hole between RAM runs, touching both");
	claim_as(0x800000, 0x808000, "nvs-reader", RESOURCE_BUSY, E_OK, NULL,
		 "ACPI NVS (not RAM) can be claimed");
	struct resource *ram = resource_find(&tree, 0);
	TAP_CHECK(resource_release(&tree, ram) == E_PERM, "RAM is never released");
}

static void test_busy_overlaps(void)
{
	fresh();
	const char *hpet = "HPET";
	struct resource *h = claim_as(0xfed00000, 0xfed01000, hpet, RESOURCE_BUSY, E_OK, NULL,
				      "HPET claimed");
	claim_as(0xfed00000, 0xfed01000, "rogue", RESOURCE_BUSY, E_BUSY, hpet, "exact overlap");
	claim_as(0xfecff000, 0xfed00001, "rogue", RESOURCE_BUSY, E_BUSY, hpet,
		 "overlap at the lower edge");
	claim_as(0xfed00fff, 0xfed02000, "rogue", RESOURCE_BUSY, E_BUSY, hpet,
		 "overlap at the upper edge");
	claim_as(0xfed00100, 0xfed00200, "rogue", RESOURCE_BUSY, E_BUSY, hpet,
		 "inside a busy claim");
	claim_as(0xfe000000, 0xff000000, "rogue", RESOURCE_BUSY, E_BUSY, hpet,
		 "swallowing a busy claim");
	claim_as(0xfe000000, 0xff000000, "bus", RESOURCE_CONTAINER, E_BUSY, hpet,
		 "a container swallowing a claim made before it");
	claim_as(0xfed00000, 0xfed01000, hpet, RESOURCE_BUSY, E_BUSY, hpet,
		 "the same owner twice");
	claim_as(0xfecff000, 0xfed00000, "below", RESOURCE_BUSY, E_OK, NULL,
		 "touching the lower edge is allowed");
	claim_as(0xfed01000, 0xfed02000, "above", RESOURCE_BUSY, E_OK, NULL,
		 "touching the upper edge is allowed");
	claim_as(0xfecfe000, 0xfed02000, "rogue", RESOURCE_BUSY, E_BUSY, "below",
		 "a claim over three names the lowest");
	TAP_CHECK(resource_find(&tree, 0xfed00abc) == h, "resource_find finds the HPET");
	TAP_CHECK(resource_first_overlap(&tree, 0xfed00ff0, 0xfed01010) == h,
		  "resource_first_overlap names the lowest overlapping claim");
	TAP_CHECK(resource_first_overlap(&tree, 0xfed02000, 0xfed03000) == NULL,
		  "resource_first_overlap of a free range is NULL");

	/* Release and claim again. */
	TAP_CHECK(resource_release(&tree, h) == E_OK, "HPET released");
	TAP_CHECK(resource_find(&tree, 0xfed00000) == NULL, "its range is free");
	TAP_CHECK(resource_release(&tree, h) == E_INVAL, "releasing twice is refused");
	struct resource *h2 = claim_as(0xfed00000, 0xfed01000, "HPET again", RESOURCE_BUSY, E_OK,
				       NULL, "claimed again by a new owner");
	TAP_CHECK(h2 && resource_find(&tree, 0xfed00000) == h2, "the new claim is found");
	struct resource fake = *h2;
	TAP_CHECK(resource_release(&tree, &fake) == E_INVAL, "a node outside the pool is refused");
	TAP_CHECK(resource_release(&tree, (struct resource *)((char *)h2 + 8)) == E_INVAL,
		  "a misaligned pointer into the pool is refused");
	TAP_CHECK(resource_release(&tree, NULL) == E_INVAL, "NULL is refused");
}

static void test_containers(void)
{
	fresh();
	const char *ecam = "PCIe ECAM";
	struct resource *c = claim_as(0xb0000000, 0xc0000000, ecam, RESOURCE_CONTAINER, E_OK,
				      NULL, "ECAM window claimed as a container");
	struct resource *b0 = claim_as(0xb0000000, 0xb0100000, "bus 0", RESOURCE_BUSY, E_OK, NULL,
				       "bus 0 inside it, at its start");
	claim_as(0xb0100000, 0xb0200000, "bus 1", RESOURCE_BUSY, E_OK, NULL,
		 "bus 1 next to bus 0");
	claim_as(0xbff00000, 0xc0000000, "bus 255", RESOURCE_BUSY, E_OK, NULL,
		 "bus 255 at the container's end");
	TAP_CHECK(b0 && b0->parent == c && resource_depth(b0) == 1 && resource_depth(c) == 0,
		  "nested claims hang under the container");
	claim_as(0xb0080000, 0xb0180000, "rogue", RESOURCE_BUSY, E_BUSY, "bus 0",
		 "overlapping two nested claims names the first");
	claim_as(0xaff00000, 0xb0000000 + 0x1000, "rogue", RESOURCE_BUSY, E_BUSY, ecam,
		 "partial overlap with the container's lower edge");
	claim_as(0xbfff0000, 0xc0010000, "rogue", RESOURCE_BUSY, E_BUSY, ecam,
		 "partial overlap with the container's upper edge");
	claim_as(0xafff0000, 0xc0010000, "rogue", RESOURCE_BUSY, E_BUSY, ecam,
		 "swallowing the container");

	/* A container inside a container, subdivided again. */
	struct resource *br = claim_as(0xb1000000, 0xb2000000, "bridge", RESOURCE_CONTAINER, E_OK,
				       NULL, "a bridge window inside the ECAM container");
	struct resource *dev = claim_as(0xb1800000, 0xb1801000, "nic", RESOURCE_BUSY, E_OK, NULL,
					"a device inside the bridge");
	TAP_CHECK(dev && dev->parent == br && resource_depth(dev) == 2, "depth 2");
	TAP_CHECK(resource_find(&tree, 0xb1800010) == dev, "resource_find returns the deepest");
	TAP_CHECK(resource_find(&tree, 0xb1900000) == br, "inside the bridge, outside the nic");
	TAP_CHECK(resource_first_overlap(&tree, 0xb1800000, 0xb1801000) == c,
		  "resource_first_overlap returns the outermost");
	claim_as(0xb1fff000, 0xb2001000, "rogue", RESOURCE_BUSY, E_BUSY, "bridge",
		 "crossing the inner container's edge");
	claim_as(0xb1800000, 0xb1800100, "rogue", RESOURCE_BUSY, E_BUSY, "nic",
		 "inside a busy claim inside containers");

	TAP_CHECK(resource_release(&tree, c) == E_BUSY, "a container with children is not released");
	TAP_CHECK(resource_release(&tree, br) == E_BUSY, "nor the inner one");
	TAP_CHECK(resource_release(&tree, dev) == E_OK && resource_release(&tree, br) == E_OK,
		  "released from the inside out");
	size_t before = tree.used;
	claim_as(0xb1000000, 0xb2000000, "whole", RESOURCE_BUSY, E_OK, NULL,
		 "the bridge's range claimed busy again");
	TAP_CHECK(tree.used == before + 1, "one node more");
	claim_as(0xb0000000, 0xc0000000, "same", RESOURCE_BUSY, E_BUSY, "bus 0",
		 "exactly the container's range: inside it, and bus 0 is in the way");
}

static void test_bad_arguments(void)
{
	struct resource *r = (struct resource *)1;

	fresh();
	claim_as(0x5000, 0x5000, "x", RESOURCE_BUSY, E_INVAL, NULL, "empty range");
	claim_as(0x6000, 0x5000, "x", RESOURCE_BUSY, E_INVAL, NULL, "end before start");
	claim_as(PHYS_ADDR_LIMIT - 0x1000, PHYS_ADDR_LIMIT + 0x1000, "x", RESOURCE_BUSY, E_INVAL,
		 NULL, "past PHYS_ADDR_LIMIT");
	claim_as(0xa0000, 0xa1000, "x", 0, E_INVAL, NULL, "no kind");
	claim_as(0xa0000, 0xa1000, "x", RESOURCE_BUSY | RESOURCE_CONTAINER, E_INVAL, NULL,
		 "both kinds");
	claim_as(0xa0000, 0xa1000, "x", RESOURCE_BUSY | RESOURCE_RAM, E_INVAL, NULL,
		 "RAM may not be claimed by callers");
	claim_as(0xa0000, 0xa1000, "", RESOURCE_BUSY, E_INVAL, NULL, "empty owner");
	TAP_CHECK(resource_claim(&tree, 0xa0000, 0xa1000, NULL, CACHE_UC, RESOURCE_BUSY, &r) ==
		  E_INVAL && r == NULL, "NULL owner");
	TAP_CHECK(resource_claim(&tree, 0xa0000, 0xa1000, "x", CACHE_TYPE_COUNT, RESOURCE_BUSY,
				 &r) == E_INVAL, "bad cache type");
	TAP_CHECK(resource_claim(&tree, 0xa0000, 0xa1000, "x", CACHE_WC, RESOURCE_BUSY, NULL) ==
		  E_OK, "out may be NULL");
	TAP_CHECK(resource_claim(NULL, 0xa0000, 0xa1000, "x", CACHE_WC, RESOURCE_BUSY, &r) ==
		  E_INVAL, "NULL tree");
	TAP_CHECK(tree.used == 6, "only the good claim was made (%zu nodes)", tree.used);
	claim_as(PHYS_ADDR_LIMIT - 0x1000, PHYS_ADDR_LIMIT, "top", RESOURCE_BUSY, E_OK, NULL,
		 "the last page below PHYS_ADDR_LIMIT");
}

static void test_pool_exhaustion(void)
{
	static struct resource small[8];
	struct memmap m = qemu_map();
	struct resource *r[8] = { 0 }, *out;
	int n = 0, st = E_OK;

	TAP_CHECK(resource_init(&tree, small, ARRAY_SIZE(small), &m) == E_OK && tree.used == 5,
		  "8-node pool: 5 RAM runs");
	for (paddr_t a = 0xc0000000; n < 8; a += 0x1000) {
		st = resource_claim(&tree, a, a + 0x1000, "dev", CACHE_UC, RESOURCE_BUSY, &r[n]);
		if (st != E_OK)
			break;
		n++;
	}
	TAP_CHECK(n == 3 && st == E_NOMEM, "three claims fit, the fourth is E_NOMEM (%d, %s)", n,
		  status_name(st));
	st = resource_claim(&tree, 0xd0000000, 0xd0001000, "dev", CACHE_UC, RESOURCE_BUSY, &out);
	TAP_CHECK(st == E_NOMEM && out == NULL && tree.used == 8,
		  "E_NOMEM changes nothing and names no node");
	TAP_CHECK(resource_release(&tree, r[1]) == E_OK, "one released");
	st = resource_claim(&tree, 0xd0000000, 0xd0001000, "dev", CACHE_UC, RESOURCE_BUSY, &out);
	TAP_CHECK(st == E_OK && out == r[1], "its node is used again");
	st = resource_claim(&tree, 0xc0000000, 0xc0001000, "dev", CACHE_UC, RESOURCE_BUSY, &out);
	TAP_CHECK(st == E_BUSY && out == r[0], "a full pool still reports conflicts first");
}

/* ---- the table ---------------------------------------------------------- */

static char table[4096];

static void collect(void *ctx, const char *line)
{
	size_t *len = ctx;
	*len += (size_t)snprintf(table + *len, sizeof(table) - *len, "%s\n", line);
}

static void test_table(void)
{
	struct mem_entry e[] = {
		{ 0x0, 0xa0000, EFI_CONVENTIONAL, 0, 0 },
		{ 0x100000, 0x20000000, EFI_CONVENTIONAL, 0, 0 },
	};
	struct memmap m = { e, 2, 2 };
	size_t len = 0;
	char longname[200];

	resource_init(&tree, pool, POOL, &m);
	resource_claim(&tree, 0xfee00000, 0xfee01000, "local APIC", CACHE_UC, RESOURCE_BUSY, NULL);
	resource_claim(&tree, 0xb0000000, 0xc0000000, "PCIe ECAM", CACHE_UC, RESOURCE_CONTAINER,
		       NULL);
	resource_claim(&tree, 0xb0000000, 0xb0100000, "PCI bus 0", CACHE_UC, RESOURCE_BUSY, NULL);
	resource_claim(&tree, 0xb0100000, 0xb0200000, "bridge", CACHE_UC_MINUS, RESOURCE_CONTAINER,
		       NULL);
	resource_claim(&tree, 0xb0100000, 0xb0101000, "nic", CACHE_UC, RESOURCE_BUSY, NULL);
	resource_claim(&tree, 0x80000000, 0x81000000, "framebuffer", CACHE_WC, RESOURCE_BUSY, NULL);
	resource_print(&tree, collect, &len);
	const char *want =
		"physical range [start, end)            cache owner\n"
		"[0000000000000000, 00000000000a0000) WB  System RAM\n"
		"[0000000000100000, 0000000020000000) WB  System RAM\n"
		"[0000000080000000, 0000000081000000) WC  framebuffer\n"
		"[00000000b0000000, 00000000c0000000) UC  PCIe ECAM (container)\n"
		"  [00000000b0000000, 00000000b0100000) UC  PCI bus 0\n"
		"  [00000000b0100000, 00000000b0200000) UC- bridge (container)\n"
		"    [00000000b0100000, 00000000b0101000) UC  nic\n"
		"[00000000fee00000, 00000000fee01000) UC  local APIC\n";
	TAP_CHECK(strcmp(table, want) == 0, "the table reads as expected");
	if (strcmp(table, want) != 0)
		printf("# got:\n%s# want:\n%s", table, want);

	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	resource_init(&tree, pool, POOL, NULL);
	resource_claim(&tree, 0x1000, 0x2000, longname, CACHE_UC, RESOURCE_BUSY, NULL);
	len = 0;
	resource_print(&tree, collect, &len);
	char *second = strchr(table, '\n') + 1;
	TAP_CHECK(strlen(second) == RESOURCE_LINE_MAX - 1 + 1, "a long owner is cut to the line size"
		  " (%zu)", strlen(second));
	TAP_CHECK(strcmp(cache_type_name(CACHE_WT), "WT") == 0 &&
		  strcmp(cache_type_name((enum cache_type)9), "?") == 0, "cache_type_name");
}

static void test_find_gap(void)
{
	paddr_t a = 0;

	fresh();
	resource_claim(&tree, 0x20000000, 0x20200000, "x", CACHE_UC, RESOURCE_BUSY, NULL);
	TAP_CHECK(resource_find_gap(&tree, 0x1000, 0x1000, (struct range){ 0, 1ull << 40 }, &a) ==
		  E_OK && a == 0xa0000, "the first free page is at a0000 (%#" PRIx64 ")", a);
	TAP_CHECK(resource_find_gap(&tree, 0x200000, 0x200000, (struct range){ 0, 1ull << 40 },
				    &a) == E_OK && a == 0x20200000,
		  "the first free 2 MiB aligned 2 MiB (%#" PRIx64 ")", a);
	TAP_CHECK(resource_find_gap(&tree, 0x1000, 0x1000,
				    (struct range){ 0x100000, 0x800000 }, &a) == E_NOENT,
		  "no gap inside RAM");
	TAP_CHECK(resource_find_gap(&tree, 0x1000, 3, (struct range){ 0, 1ull << 40 }, &a) ==
		  E_INVAL, "alignment must be a power of two");
	TAP_CHECK(resource_find_gap(&tree, 0x1000, 0x1000,
				    (struct range){ PHYS_ADDR_LIMIT - 0x1000, UINT64_MAX }, &a) ==
		  E_OK && a == PHYS_ADDR_LIMIT - 0x1000, "the top page");
	TAP_CHECK(resource_find_gap(&tree, 0x2000, 0x1000,
				    (struct range){ UINT64_MAX - 0xfff, UINT64_MAX }, &a) ==
		  E_NOENT, "no wrap past 2^64");
}

/* ---- randomised: busy claims against a flat list ------------------------- */

struct flat {
	paddr_t s, e;
	struct resource *node;
};

static void test_random(void)
{
	static struct flat f[POOL];
	size_t nf = 0;
	unsigned bad = 0;

	srand(12345);
	resource_init(&tree, pool, POOL, NULL);
	for (int step = 0; step < 20000; step++) {
		if (nf && rand() % 3 == 0) {
			size_t i = (size_t)rand() % nf;
			bad += resource_release(&tree, f[i].node) != E_OK;
			f[i] = f[--nf];
			continue;
		}
		paddr_t s = (paddr_t)(rand() % 256) * 0x1000;
		paddr_t e = s + (paddr_t)(1 + rand() % 8) * 0x1000;
		size_t hit = nf;
		for (size_t i = 0; i < nf; i++)
			if (f[i].s < e && s < f[i].e && (hit == nf || f[i].s < f[hit].s))
				hit = i;
		struct resource *r;
		int st = resource_claim(&tree, s, e, "r", CACHE_UC, RESOURCE_BUSY, &r);
		int want = hit < nf ? E_BUSY : nf == POOL ? E_NOMEM : E_OK;
		if (st != want || (st == E_BUSY && r != f[hit].node)) {
			if (bad++ < 5)
				TAP_DIAG("step %d: [%#" PRIx64 ", %#" PRIx64 ") got %s want %s", step,
					 s, e, status_name(st), status_name(want));
		}
		if (st == E_OK)
			f[nf++] = (struct flat){ s, e, r };
	}
	TAP_CHECK(bad == 0 && tree.used == nf, "20000 random claims and releases agree with a "
		  "flat list (%u mismatches)", bad);
}

int main(void)
{
	tap_plan_unknown();
	test_init_ram();
	test_ram_refused();
	test_busy_overlaps();
	test_containers();
	test_bad_arguments();
	test_pool_exhaustion();
	test_table();
	test_find_gap();
	test_random();
	return tap_done();
}
