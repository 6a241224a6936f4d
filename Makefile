# Carto top-level Makefile.
#
#   make            build esp/EFI/BOOT/BOOTX64.EFI (loader + embedded kernel),
#                   esp/EFI/carto/memmap.efi and the host tools
#   make run        boot Carto in QEMU/OVMF, serial on this terminal
#                   (USB=1: from build/carto-usb.img as a USB stick;
#                   CMDLINE="...": kernel command line; QEMU_ARGS="...":
#                   scripts/qemu.sh options)
#   make usb        build/carto-usb.img, a disk image for a USB stick
#   make sign       sign the EFI binaries: KEY=... CERT=... (Secure Boot)
#   make debug      boot under GDB: scripts/debug.sh starts QEMU and GDB
#                   (README: Debugging)
#   make test       host unit tests, then the scripted boot tests
#   make host-test  host unit tests only
#   make boot-test  boot tests only
#   make bench      host benchmarks of the mm/ code
#   make bench-boot boot phases under -icount (scripts/bench-boot.sh)
#   make fuzz       fuzz the map parsers and the planner for FUZZ_SECONDS
#                   (default 300) with scripts/fuzz.sh; run it after
#                   touching a parser, the planner or the allocator's sizing
#   make fuzz-acpi  the same for the ACPI table parser (base/acpitab.c)
#   make deps       install what the build needs (root on Debian/Ubuntu)
#
# The same mm/ sources are compiled three times: for the kernel
# (freestanding, -mcmodel=kernel), for the loader (gnu-efi, PIC) and for the
# host (unit tests and tools).

.DEFAULT_GOAL := all
BUILD   := build
ESP     := esp
CC      ?= cc
HOSTCC  ?= cc
LD      := ld
OBJCOPY := objcopy

GNUEFI_INC := /usr/include/efi
GNUEFI_LIB := /usr/lib
GNUEFI_LDS := $(GNUEFI_LIB)/elf_x86_64_efi.lds
GNUEFI_CRT := $(GNUEFI_LIB)/crt0-efi-x86_64.o

WARN := -Wall -Wextra -Wno-unused-parameter -Wstrict-prototypes -Wmissing-prototypes

# ---- sources --------------------------------------------------------------
MM_SRCS       := $(wildcard mm/*.c)
# base/: freestanding code both the loader and the kernel use (built like mm/;
# the host takes the string functions from its libc instead of base/string.c,
# and has no 16550 to drive with base/uart16550.c's port I/O). The ACPI table
# parser (base/acpitab.c) is the kernel's and the host's: the loader reads
# no tables.
BASE_SRCS     := $(wildcard base/*.c)
HOST_BASE_SRCS:= $(filter-out base/string.c base/uart16550.c,$(BASE_SRCS))
LOADER_BASE_SRCS:= $(filter-out base/acpitab.c,$(BASE_SRCS))
# kernel/bench/: the in-kernel benchmarks (kernel/bench.h); kernel/selftest/: the
# in-kernel self-tests (kernel/selftest/selftest.h).
KERNEL_SRCS   := $(wildcard kernel/*.c) $(wildcard kernel/bench/*.c) $(wildcard kernel/selftest/*.c) $(wildcard kernel/*.S)
LOADER_SRCS   := $(wildcard efi/loader/*.c) $(wildcard efi/loader/*.S)
MEMDUMP_SRCS  := $(wildcard efi/memdump/*.c)
# efi/common/: the EFI applications' helpers. Each binary links what it uses:
# the loader only the entry point and the memory-map reader.
EFICOMMON_SRCS:= $(wildcard efi/common/*.c) $(wildcard efi/common/*.S)
LOADER_COMMON := efi/common/entry.S efi/common/efiutil.c
TOOLS_LIB_SRCS:= $(filter-out tools/main.c tools/fuzz_%.c,$(wildcard tools/*.c))
HOST_TESTS    := $(patsubst tests/host/%.c,$(BUILD)/host/tests/%,$(wildcard tests/host/test_*.c))
HOST_BENCHES  := $(patsubst tests/bench/%.c,$(BUILD)/host/bench/%,$(wildcard tests/bench/bench_*.c))
# A console font from the Debian psf-unifont package, converted at build time.
FONT_PSF      := /usr/share/consolefonts/Unifont-APL8x16.psf.gz

# ---- kernel (freestanding) ---------------------------------------------------
KCFLAGS := -std=gnu11 -O2 -g $(WARN) -ffreestanding -fno-pic -fno-pie -mcmodel=kernel \
	-mno-red-zone -mno-mmx -mno-sse -mno-sse2 -mgeneral-regs-only \
	-fno-stack-protector -fno-omit-frame-pointer -fno-builtin -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) -Iinclude -Ikernel -DCARTO_KERNEL
KLDFLAGS := -nostdlib -static -z max-page-size=4096 -z noexecstack -T kernel/kernel.ld

KOBJS := $(patsubst %,$(BUILD)/kernel/%.o,$(KERNEL_SRCS) $(MM_SRCS) $(BASE_SRCS)) $(BUILD)/kernel/font.o

$(BUILD)/kernel/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(KCFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/kernel/%.S.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(KCFLAGS) -D__ASSEMBLER__ -MMD -MP -c $< -o $@

$(BUILD)/kernel/font.c: $(FONT_PSF) scripts/psf2c.py
	@mkdir -p $(dir $@)
	python3 scripts/psf2c.py $(FONT_PSF) $@
$(BUILD)/kernel/font.o: $(BUILD)/kernel/font.c
	$(CC) $(KCFLAGS) -c $< -o $@

# ---- user programs (user/): freestanding, static, at USER_LOAD_BASE ---------
# Embedded in the kernel by kernel/userprogs.S (which lists them).
USER_PROGS := $(patsubst user/%.c,%,$(wildcard user/*.c))
USER_ELFS  := $(patsubst %,$(BUILD)/user/%.elf,$(USER_PROGS))
UCFLAGS := -std=gnu11 -O2 $(WARN) -ffreestanding -fno-pic -fno-pie -static -nostdlib \
	-mgeneral-regs-only -fno-stack-protector -fno-builtin -nostdinc \
	-isystem $(shell $(CC) -print-file-name=include) -Iinclude -Iuser \
	-Wl,-z,max-page-size=4096 -Wl,-z,noexecstack -Wl,--build-id=none -T user/user.ld
$(BUILD)/user/%.elf: user/%.c user/crt0.S user/user.ld user/ulib.h include/sysabi.h
	@mkdir -p $(dir $@)
	$(CC) $(UCFLAGS) user/crt0.S $< -o $@
$(BUILD)/kernel/kernel/userprogs.S.o: $(USER_ELFS)

$(BUILD)/kernel/kernel.elf: $(KOBJS) kernel/kernel.ld
	$(LD) $(KLDFLAGS) -o $@ $(KOBJS)

# ---- EFI applications (gnu-efi) ------------------------------------------------
ECFLAGS := -std=gnu11 -O2 -g $(WARN) -Wno-missing-prototypes -Wno-strict-prototypes \
	-ffreestanding -fpic -fshort-wchar -mno-red-zone -fno-stack-protector \
	-fno-strict-aliasing -maccumulate-outgoing-args -DGNU_EFI_USE_MS_ABI -DCARTO_EFI \
	-iquote include -I$(GNUEFI_INC) -I$(GNUEFI_INC)/x86_64 -Iinclude -Iefi/common
# Entry point: efi/common/entry.S sets up SSE, then enters gnu-efi's _start
# (-e overrides the ENTRY(_start) of gnu-efi's linker script).
ELDFLAGS := -nostdlib -shared -Bsymbolic -znocombreloc -T $(GNUEFI_LDS) -L$(GNUEFI_LIB) \
	-e carto_efi_entry

$(BUILD)/efi/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ECFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/efi/%.S.o: %.S $(BUILD)/kernel/kernel.elf
	@mkdir -p $(dir $@)
	$(CC) $(ECFLAGS) -D__ASSEMBLER__ -DKERNEL_ELF='"$(BUILD)/kernel/kernel.elf"' -c $< -o $@

EFI_MM_OBJS := $(patsubst %,$(BUILD)/efi/%.o,$(MM_SRCS))
LOADER_OBJS := $(patsubst %,$(BUILD)/efi/%.o,$(LOADER_SRCS) $(LOADER_COMMON) $(LOADER_BASE_SRCS)) $(EFI_MM_OBJS)
MEMDUMP_OBJS:= $(patsubst %,$(BUILD)/efi/%.o,$(MEMDUMP_SRCS) $(EFICOMMON_SRCS) base/string.c base/fmt.c) $(EFI_MM_OBJS)

EFI_SECTIONS := -j .text -j .sdata -j .data -j .rodata -j .dynamic -j .dynsym \
	-j .rel -j .rela -j .rel.* -j .rela.* -j .reloc

$(BUILD)/efi/%.so:
	$(LD) $(ELDFLAGS) $(GNUEFI_CRT) $^ -o $@ -lefi -lgnuefi $(shell $(CC) -print-libgcc-file-name)
$(BUILD)/efi/loader.so: $(LOADER_OBJS)
$(BUILD)/efi/memdump.so: $(MEMDUMP_OBJS)

$(ESP)/EFI/BOOT/BOOTX64.EFI: $(BUILD)/efi/loader.so
	@mkdir -p $(dir $@)
	$(OBJCOPY) $(EFI_SECTIONS) --target efi-app-x86_64 --subsystem=10 $< $@
$(ESP)/EFI/carto/memmap.efi: $(BUILD)/efi/memdump.so
	@mkdir -p $(dir $@)
	$(OBJCOPY) $(EFI_SECTIONS) --target efi-app-x86_64 --subsystem=10 $< $@

# ---- host: tests and tools ---------------------------------------------------------
HCFLAGS := -std=gnu11 -O1 -g $(WARN) -Iinclude -Itools -Itests/host -DCARTO_HOST \
	-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
HBFLAGS := -std=gnu11 -O2 -g $(WARN) -Iinclude -Itools -Itests/host -DCARTO_HOST

HOST_LIB_OBJS := $(patsubst %,$(BUILD)/host/obj/%.o,$(MM_SRCS) $(HOST_BASE_SRCS) $(TOOLS_LIB_SRCS))
BENCH_LIB_OBJS:= $(patsubst %,$(BUILD)/host/bobj/%.o,$(MM_SRCS) $(TOOLS_LIB_SRCS))

$(BUILD)/host/obj/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HCFLAGS) -MMD -MP -c $< -o $@
$(BUILD)/host/bobj/%.c.o: %.c
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HBFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/host/tests/%: tests/host/%.c $(HOST_LIB_OBJS) $(wildcard tests/host/*.h)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HCFLAGS) -MMD -MP $< $(HOST_LIB_OBJS) -o $@
$(BUILD)/host/bench/%: tests/bench/%.c $(BENCH_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HBFLAGS) $< $(BENCH_LIB_OBJS) -o $@

$(BUILD)/host/carto-memmap: tools/main.c $(HOST_LIB_OBJS)
	@mkdir -p $(dir $@)
	$(HOSTCC) $(HCFLAGS) $< $(HOST_LIB_OBJS) -o $@

# ---- top-level targets ----------------------------------------------------------------
EFI_APPS := $(ESP)/EFI/BOOT/BOOTX64.EFI
ifneq ($(MEMDUMP_SRCS),)
EFI_APPS += $(ESP)/EFI/carto/memmap.efi
endif
HOST_TOOLS := $(if $(wildcard tools/main.c),$(BUILD)/host/carto-memmap)

.PHONY: all deps run debug test host-test boot-test bench clean
all: deps-check $(EFI_APPS) $(HOST_TOOLS)

deps-check:
	@scripts/deps.sh --check-or-install
deps:
	@scripts/deps.sh --install

host-tests-build: $(HOST_TESTS)

host-test: all $(HOST_TESTS)
	@tests/run-suite.sh host $(HOST_TESTS) $(wildcard tests/host/test_*.sh)

boot-test: all
	@tests/run-suite.sh boot $(wildcard tests/boot/test_*.sh)

test: all $(HOST_TESTS)
	@tests/run-all.sh $(HOST_TESTS)

bench: $(HOST_BENCHES)
	@for b in $(HOST_BENCHES); do $$b || exit 1; done

# Where the boot's time goes, phase by phase, under -icount (README).
.PHONY: bench-boot
bench-boot: all
	@scripts/bench-boot.sh

# Fuzz for FUZZ_SECONDS (clang with libFuzzer); crashes land in
# build/fuzz/crash-*. scripts/fuzz.sh --merge keeps the corpus small.
FUZZ_SECONDS ?= 300
.PHONY: bench-modes
# Boot every addressing mode under -icount and print the kernel benchmarks side by side.
bench-modes: all
	scripts/bench-modes.sh

.PHONY: fuzz fuzz-acpi
fuzz:
	scripts/fuzz.sh $(FUZZ_SECONDS)
fuzz-acpi:
	scripts/fuzz.sh --acpi $(FUZZ_SECONDS)

# make run USB=1: boot build/carto-usb.img (rebuilt first) as a USB stick.
# make run CMDLINE="memmap fwmap": the kernel command line (qemu.sh --cmdline).
# make run QEMU_ARGS="--mem 4G": any scripts/qemu.sh options (--help).
USB_IMG := $(BUILD)/carto-usb.img
run: all $(if $(filter 1 yes,$(USB)),usb)
	scripts/qemu.sh $(if $(filter 1 yes,$(USB)),--usb $(USB_IMG)) \
		$(if $(CMDLINE),--cmdline '$(subst ','\'',$(CMDLINE))') $(QEMU_ARGS)

debug: all
	scripts/debug.sh

# Boot the memory-map dump tool in QEMU/OVMF and print the dump it wrote,
# e.g. make memmap MEMMAP_ARGS="--mem 4G" (options: scripts/memmap-run.sh -h).
.PHONY: memmap
memmap: $(ESP)/EFI/carto/memmap.efi
	scripts/memmap-run.sh $(MEMMAP_ARGS)

# A GPT disk image with a FAT32 EFI System Partition, to write to a USB
# stick (README: "Booting a real PC from a USB stick"). Holds the signed
# binaries from `make sign` when those exist and are up to date.
.PHONY: usb sign
usb: all
	scripts/mkusb.sh --out $(USB_IMG)

# Sign both EFI binaries for Secure Boot into $(BUILD)/signed/ (the built
# ones stay unsigned): make sign KEY=db.key CERT=db.crt [KEY_PASS=file:PATH]
sign: all
	scripts/sign.sh --key "$(KEY)" --cert "$(CERT)" $(if $(KEY_PASS),--passin "$(KEY_PASS)") \
		--out $(BUILD)/signed

clean:
	rm -rf $(BUILD) $(ESP)/EFI

.PHONY: deps-check host-tests-build
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
