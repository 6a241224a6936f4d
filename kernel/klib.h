/*
 * klib.h - the kernel's small string and formatting library, gathered in
 * one include.
 *
 * The string functions are declared in include/lib.h (base/string.c), the
 * formatter (kvformat, ksnprintf, kfmt_size) in include/fmt.h (base/fmt.c),
 * the command line's grammar in include/cmdline.h (base/cmdline.c); all
 * three are shared with the loader and the EFI applications.
 */
#ifndef CARTO_KLIB_H
#define CARTO_KLIB_H

#include <stdarg.h>

#include "cmdline.h"
#include "fmt.h"
#include "lib.h"
#include "types.h"

#endif
