/* UTF-8 decoding and glyph lookup for the renderer and the keyboard. */
#include <string.h>

#include "ui_font.h"
#include "ui_str.h"

#define UI_CP_REPLACEMENT 0xFFFDu

const ui_glyph_t *ui_font_glyph(const ui_font_t *f, uint32_t cp)
{
    unsigned lo = 0, hi = f->count;

    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;

        if (f->glyph[mid].cp == cp)
            return &f->glyph[mid];
        if (f->glyph[mid].cp < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (cp != UI_CP_REPLACEMENT && cp != '?')
        return ui_font_glyph(f, UI_CP_REPLACEMENT);
    if (cp == UI_CP_REPLACEMENT)
        return ui_font_glyph(f, '?');
    /* A face without '?' still has glyph 0 (the baker always emits ASCII). */
    return &f->glyph[0];
}

unsigned ui_utf8_decode(const char *s, size_t len, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned need;
    uint32_t c, min;

    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        need = 1, c = p[0] & 0x1Fu, min = 0x80;
    } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        need = 2, c = p[0] & 0x0Fu, min = 0x800;
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        need = 3, c = p[0] & 0x07u, min = 0x10000;
    } else {
        goto bad; /* continuation byte, C0/C1 overlong lead, F5..FF */
    }
    if (need >= len)
        goto bad;
    for (unsigned i = 1; i <= need; i++) {
        if ((p[i] & 0xC0u) != 0x80u)
            goto bad;
        c = c << 6 | (p[i] & 0x3Fu);
    }
    if (c < min || c > 0x10FFFFu || (c >= 0xD800u && c <= 0xDFFFu))
        goto bad;
    *cp = c;
    return need + 1;
bad:
    *cp = UI_CP_REPLACEMENT;
    return 1;
}

/* ---- bounded strings (ui_str.h) ---- */
void ui_sb_init(ui_sb_t *sb, char *buf, size_t cap)
{
    sb->p = buf;
    sb->cap = cap;
    sb->len = 0;
    sb->truncated = 0;
    buf[0] = '\0';
}

void ui_sb_putn(ui_sb_t *sb, const char *s, size_t n)
{
    size_t room = sb->cap - 1 - sb->len;

    if (n > room) {
        n = room;
        /* Back off to a character boundary: never half a UTF-8 sequence. */
        while (n > 0 && ((unsigned char)s[n] & 0xC0u) == 0x80u)
            n--;
        sb->truncated = 1;
    }
    memcpy(sb->p + sb->len, s, n);
    sb->len += n;
    sb->p[sb->len] = '\0';
}

void ui_sb_put(ui_sb_t *sb, const char *s)
{
    if (s != NULL)
        ui_sb_putn(sb, s, strlen(s));
}

void ui_sb_put_u64(ui_sb_t *sb, uint64_t v)
{
    char d[20];
    size_t n = 0;

    do {
        d[sizeof(d) - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    ui_sb_putn(sb, d + sizeof(d) - n, n);
}

void ui_sb_put_size(ui_sb_t *sb, uint64_t bytes)
{
    if (bytes < 1024) {
        ui_sb_put_u64(sb, bytes);
        ui_sb_put(sb, " bytes");
    } else if (bytes < 1024 * 1024) {
        ui_sb_put_u64(sb, (bytes + 512) / 1024);
        ui_sb_put(sb, " KB");
    } else {
        uint64_t tenths = (bytes * 10 + 512 * 1024) / (1024 * 1024);

        ui_sb_put_u64(sb, tenths / 10);
        ui_sb_putn(sb, ".", 1);
        ui_sb_put_u64(sb, tenths % 10);
        ui_sb_put(sb, " MB");
    }
}

void ui_strlcpy(char *dst, size_t cap, const char *s, size_t n)
{
    ui_sb_t sb;

    ui_sb_init(&sb, dst, cap);
    ui_sb_putn(&sb, s, n);
}

int ui_prefix_icase(const char *s, size_t slen, const char *p, size_t plen)
{
    if (plen > slen)
        return 0;
    for (size_t i = 0; i < plen; i++) {
        unsigned char a = (unsigned char)s[i], b = (unsigned char)p[i];

        if (a >= 'A' && a <= 'Z')
            a = (unsigned char)(a + 32);
        if (b >= 'A' && b <= 'Z')
            b = (unsigned char)(b + 32);
        if (a != b)
            return 0;
    }
    return 1;
}
