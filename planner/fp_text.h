/* fp_text.h - UTF-8 checks and escaping for text a file or a user gives
 * (prefix fp_text_): what fp_fail, the JSON front end and the tool's tables
 * share. Pure C, no other module. */
#ifndef FUSEPLAN_FP_TEXT_H
#define FUSEPLAN_FP_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/* Length (1..4) of the well-formed UTF-8 sequence at p, or 0 (overlong forms,
 * surrogates and code points above U+10FFFF are not well formed). */
size_t fp_text_utf8_len(const unsigned char *p);
/* The code point of the well-formed sequence of length n at p. */
unsigned fp_text_cp(const unsigned char *p, size_t n);
/* Whether a code point must not be shown raw: C0 and C1 controls, DEL and
 * the bidirectional formatting characters (U+061C, U+200E/F, U+202A..E,
 * U+2066..9), which can make a terminal show text other than what it is. */
bool fp_text_unsafe_cp(unsigned cp);
/* s with unsafe code points escaped (\u202E) and bytes that are not UTF-8
 * escaped (\xFF), into buf (cut at a character boundary); returns buf. */
const char *fp_text_sanitize(const char *s, char *buf, size_t len);

#endif
