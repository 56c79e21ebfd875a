/* fp_text.c - UTF-8 checks and the escaping of text shown in messages and
 * tables (fp_text.h). */
#include "fp_text.h"

#include <stdio.h>
#include <string.h>

/* Length of the UTF-8 sequence at p (1..4), or 0 when it is not well formed
 * (overlong forms, surrogates and code points above U+10FFFF included). */
size_t fp_text_utf8_len(const unsigned char *p) {
    unsigned c = p[0];
    if (c < 0x80) return 1;
    int n;
    unsigned cp;
    if (c >= 0xC2 && c <= 0xDF) n = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF) n = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4) n = 4, cp = c & 0x07;
    else return 0;
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return (size_t)n;
}

unsigned fp_text_cp(const unsigned char *p, size_t n) {
    if (n == 1) return p[0];
    unsigned cp = p[0] & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
    for (size_t i = 1; i < n; i++) cp = (cp << 6) | (p[i] & 0x3F);
    return cp;
}

bool fp_text_unsafe_cp(unsigned cp) {
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x061C || cp == 0x200E ||
           cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

const char *fp_text_sanitize(const char *s, char *buf, size_t len) {
    size_t o = 0;
    if (!len) return buf;
    const unsigned char *p = (const unsigned char *)s;
    while (*p && o + 1 < len) {
        size_t n = fp_text_utf8_len(p);
        char esc[16] = "";
        if (n == 0) snprintf(esc, sizeof esc, "\\x%02X", *p), n = 1;
        else if (fp_text_unsafe_cp(fp_text_cp(p, n))) snprintf(esc, sizeof esc, "\\u%04X", fp_text_cp(p, n));
        if (esc[0]) {
            size_t el = strlen(esc);
            if (o + el >= len) break;
            memcpy(buf + o, esc, el);
            o += el;
        } else {
            if (o + n >= len) break;
            memcpy(buf + o, p, n);
            o += n;
        }
        p += n;
    }
    buf[o] = '\0';
    return buf;
}
