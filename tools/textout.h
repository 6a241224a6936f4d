/*
 * textout.h - small formatting helpers shared by the analyzer's outputs:
 * human sizes, attribute and type names, JSON and XML string escaping.
 */
#ifndef CARTO_TEXTOUT_H
#define CARTO_TEXTOUT_H

#include <stdio.h>

#include "types.h"

#define HUMAN_SIZE_LEN 48
#define TYPE_NAME_LEN  32
#define ATTR_TEXT_LEN  160

/* "4 KiB", "1.5 MiB", "2.9 GiB": binary units, one decimal unless exact. */
const char *human_size(char buf[HUMAN_SIZE_LEN], uint64_t bytes);

/* "Conventional", or "type 0x70000000" for a type past the spec. */
const char *type_name(char buf[TYPE_NAME_LEN], uint32_t type);

/* "UC WC WT WB RUNTIME" plus any unknown bits as hex; "-" for none. */
const char *attr_text(char buf[ATTR_TEXT_LEN], uint64_t attr);

/* Write s as a JSON string (quotes included). Bytes >= 0x80 are written
 * as \u00XX, so the output is valid JSON whatever the input. */
void json_string(FILE *f, const char *s);

/* Write s escaped for XML text or attribute values; bytes >= 0x80 become
 * '?', so the output is valid XML whatever the input. */
void xml_text(FILE *f, const char *s);

#endif
