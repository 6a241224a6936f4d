/*
 * svg.h - a picture of a physical address space (`carto-memmap svg`).
 *
 * Each entry of the clean map is a coloured block (one colour per type,
 * RAM types in greens and blues, reserved/MMIO kinds each its own), from
 * low addresses at the top to high at the bottom, with its start address
 * on the left and its type and size on the right. Block heights grow with
 * the logarithm of the size, so a 4 KiB runtime page and 128 GiB of RAM
 * are both visible; holes the map does not describe are drawn as short
 * hatched bands labelled with their real size ("gap of 1.0 GiB"). Long
 * maps wrap into several columns; a legend lists the types present.
 */
#ifndef CARTO_SVG_H
#define CARTO_SVG_H

#include <stdio.h>

#include "analyze.h"

/* Write the picture of @a's clean map to @f. @name labels the input. */
void svg_write(FILE *f, const char *name, const struct analysis *a);

#endif
