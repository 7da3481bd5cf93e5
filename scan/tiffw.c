/* TIFF / MTIFF virtual file: IFDs built on the fly, strips copied from the
 * page blobs (see tiffw.h). */
#include "tiffw.h"

#include <string.h>

#define TIFFW_HDR_SIZE 8
#define TIFFW_DIM_MAX 65535u

/* TIFF field types. */
#define TIFFW_SHORT 3
#define TIFFW_LONG 4
#define TIFFW_RATIONAL 5

/* Where an entry's value comes from. */
enum tiffw_src {
    TIFFW_K,         /* the constant k */
    TIFFW_WIDTH,     /* page width */
    TIFFW_HEIGHT,    /* page height (ImageLength, RowsPerStrip) */
    TIFFW_STRIP_OFF, /* the strip's file offset */
    TIFFW_STRIP_LEN, /* the strip's length */
    TIFFW_RES,       /* dpi / 1, out of line */
    TIFFW_PAGE_NO,   /* index, count (two SHORTs) */
    TIFFW_SUBFILE,   /* 2 (one page of many) when the file has several pages */
    TIFFW_BPS_888,   /* 8, 8, 8 out of line */
    TIFFW_SUB_22,    /* 2, 2 (two SHORTs): 4:2:0 */
    TIFFW_REF_BW,    /* 0 255 128 255 128 255 as RATIONALs, out of line */
};

struct tiffw_tag {
    uint16_t tag;
    uint8_t type;
    uint8_t count;
    uint8_t src;
    uint16_t k;
};

/* Entries in ascending tag order, as TIFF requires. */
static const struct tiffw_tag tiffw_tags_g4[] = {
    {254, TIFFW_LONG, 1, TIFFW_SUBFILE, 0},   {256, TIFFW_LONG, 1, TIFFW_WIDTH, 0},
    {257, TIFFW_LONG, 1, TIFFW_HEIGHT, 0},    {258, TIFFW_SHORT, 1, TIFFW_K, 1},
    {259, TIFFW_SHORT, 1, TIFFW_K, 4},        {262, TIFFW_SHORT, 1, TIFFW_K, 0},
    {266, TIFFW_SHORT, 1, TIFFW_K, 1},        {273, TIFFW_LONG, 1, TIFFW_STRIP_OFF, 0},
    {277, TIFFW_SHORT, 1, TIFFW_K, 1},        {278, TIFFW_LONG, 1, TIFFW_HEIGHT, 0},
    {279, TIFFW_LONG, 1, TIFFW_STRIP_LEN, 0}, {282, TIFFW_RATIONAL, 1, TIFFW_RES, 0},
    {283, TIFFW_RATIONAL, 1, TIFFW_RES, 0},   {284, TIFFW_SHORT, 1, TIFFW_K, 1},
    {293, TIFFW_LONG, 1, TIFFW_K, 0},         {296, TIFFW_SHORT, 1, TIFFW_K, 2},
    {297, TIFFW_SHORT, 2, TIFFW_PAGE_NO, 0},
};

static const struct tiffw_tag tiffw_tags_grey[] = {
    {254, TIFFW_LONG, 1, TIFFW_SUBFILE, 0},   {256, TIFFW_LONG, 1, TIFFW_WIDTH, 0},
    {257, TIFFW_LONG, 1, TIFFW_HEIGHT, 0},    {258, TIFFW_SHORT, 1, TIFFW_K, 8},
    {259, TIFFW_SHORT, 1, TIFFW_K, 7},        {262, TIFFW_SHORT, 1, TIFFW_K, 1},
    {273, TIFFW_LONG, 1, TIFFW_STRIP_OFF, 0}, {277, TIFFW_SHORT, 1, TIFFW_K, 1},
    {278, TIFFW_LONG, 1, TIFFW_HEIGHT, 0},    {279, TIFFW_LONG, 1, TIFFW_STRIP_LEN, 0},
    {282, TIFFW_RATIONAL, 1, TIFFW_RES, 0},   {283, TIFFW_RATIONAL, 1, TIFFW_RES, 0},
    {284, TIFFW_SHORT, 1, TIFFW_K, 1},        {296, TIFFW_SHORT, 1, TIFFW_K, 2},
    {297, TIFFW_SHORT, 2, TIFFW_PAGE_NO, 0},
};

static const struct tiffw_tag tiffw_tags_colour[] = {
    {254, TIFFW_LONG, 1, TIFFW_SUBFILE, 0},    {256, TIFFW_LONG, 1, TIFFW_WIDTH, 0},
    {257, TIFFW_LONG, 1, TIFFW_HEIGHT, 0},     {258, TIFFW_SHORT, 3, TIFFW_BPS_888, 0},
    {259, TIFFW_SHORT, 1, TIFFW_K, 7},         {262, TIFFW_SHORT, 1, TIFFW_K, 6},
    {273, TIFFW_LONG, 1, TIFFW_STRIP_OFF, 0},  {277, TIFFW_SHORT, 1, TIFFW_K, 3},
    {278, TIFFW_LONG, 1, TIFFW_HEIGHT, 0},     {279, TIFFW_LONG, 1, TIFFW_STRIP_LEN, 0},
    {282, TIFFW_RATIONAL, 1, TIFFW_RES, 0},    {283, TIFFW_RATIONAL, 1, TIFFW_RES, 0},
    {284, TIFFW_SHORT, 1, TIFFW_K, 1},         {296, TIFFW_SHORT, 1, TIFFW_K, 2},
    {297, TIFFW_SHORT, 2, TIFFW_PAGE_NO, 0},   {530, TIFFW_SHORT, 2, TIFFW_SUB_22, 0},
    {532, TIFFW_RATIONAL, 6, TIFFW_REF_BW, 0},
};

/* Where one page sits in the file. */
struct tiffw_where {
    unsigned index;
    uint32_t start;     /* its IFD's offset */
    uint32_t ifd_len;   /* IFD + out-of-line values */
    uint32_t strip_len; /* strip bytes */
    uint32_t span;      /* ifd_len + strip_len + pad */
};

static const struct tiffw_tag *tiffw_tags(const struct tiffw_page *pg, unsigned *count);
static uint32_t tiffw_ifd_len(const struct tiffw_page *pg);
static int tiffw_page_ok(const struct tiffw_page *pg);
static uint32_t tiffw_strip_len(const struct tiffw_page *pg);
static uint32_t tiffw_strip_src(const struct tiffw_page *pg);
static int tiffw_locate(struct tiffw *w, uint32_t pos, struct tiffw_where *at);
static uint32_t tiffw_build_ifd(const struct tiffw *w, const struct tiffw_where *at, uint8_t *out);
static uint32_t tiffw_value(const struct tiffw *w, const struct tiffw_where *at,
                            const struct tiffw_tag *t, uint8_t *ext, uint32_t ext_base,
                            uint32_t *ext_len);
static long tiffw_copy_strip(struct tiffw *w, const struct tiffw_where *at, uint32_t rel,
                             uint8_t *buf, size_t cap);
static void tiffw_put16(uint8_t *p, uint32_t v);
static void tiffw_put32(uint8_t *p, uint32_t v);

int tiffw_init(struct tiffw *w, const struct tiffw_page *pages, unsigned n, uint32_t *size)
{
    uint64_t total = TIFFW_HDR_SIZE;

    if (w == NULL)
        return TIFFW_ERR_BAD_ARG;
    memset(w, 0, sizeof(*w));
    if (pages == NULL || n == 0 || n > 65535)
        return TIFFW_ERR_BAD_ARG;
    for (unsigned i = 0; i < n; i++) {
        uint32_t span = tiffw_page_span(&pages[i]);
        if (span == 0)
            return TIFFW_ERR_BAD_ARG;
        total += span;
        if (total > UINT32_MAX)
            return TIFFW_ERR_TOO_BIG;
    }
    w->pages = pages;
    w->n = n;
    w->size = (uint32_t)total;
    w->cur_start = TIFFW_HDR_SIZE;
    if (size != NULL)
        *size = w->size;
    return 0;
}

long tiffw_read(void *arg, uint32_t off, uint8_t *buf, size_t cap)
{
    uint8_t ifd[TIFFW_IFD_MAX];
    struct tiffw *w = arg;
    size_t done = 0;

    if (w == NULL || w->pages == NULL || (buf == NULL && cap > 0))
        return TIFFW_ERR_BAD_ARG;
    if (off >= w->size)
        return 0;
    if (cap > w->size - off)
        cap = w->size - off;
    while (done < cap) {
        uint32_t pos = off + (uint32_t)done;
        size_t left = cap - done;
        struct tiffw_where at;
        uint32_t rel, len;
        long n;

        if (pos < TIFFW_HDR_SIZE) {
            uint8_t hdr[TIFFW_HDR_SIZE] = {'I', 'I', 42, 0};
            tiffw_put32(hdr + 4, TIFFW_HDR_SIZE);
            len = TIFFW_HDR_SIZE - pos;
            n = (long)(left < len ? left : len);
            memcpy(buf + done, hdr + pos, (size_t)n);
        } else if (tiffw_locate(w, pos, &at) != 0) {
            return TIFFW_ERR_BAD_ARG; /* cannot happen below w->size */
        } else if ((rel = pos - at.start) < at.ifd_len) {
            len = tiffw_build_ifd(w, &at, ifd) - rel;
            n = (long)(left < len ? left : len);
            memcpy(buf + done, ifd + rel, (size_t)n);
        } else if (rel - at.ifd_len < at.strip_len) {
            n = tiffw_copy_strip(w, &at, rel - at.ifd_len, buf + done, left);
            if (n < 0)
                return n;
        } else {
            buf[done] = 0; /* the pad byte after an odd strip */
            n = 1;
        }
        done += (size_t)n;
    }
    return (long)done;
}

uint32_t tiffw_size(const struct tiffw *w)
{
    return w->size;
}
int tiffw_read_error(const struct tiffw *w)
{
    return w->read_error;
}

uint32_t tiffw_page_span(const struct tiffw_page *page)
{
    uint32_t strip;

    if (page == NULL || !tiffw_page_ok(page))
        return 0;
    strip = tiffw_strip_len(page);
    if (strip > UINT32_MAX - TIFFW_IFD_MAX - 1)
        return 0;
    return tiffw_ifd_len(page) + strip + (strip & 1u);
}

static int tiffw_page_ok(const struct tiffw_page *pg)
{
    if (pg->read == NULL || pg->width == 0 || pg->width > TIFFW_DIM_MAX || pg->height == 0 ||
        pg->height > TIFFW_DIM_MAX || pg->dpi == 0 || pg->dpi > 65535)
        return 0;
    switch (pg->kind) {
    case TIFFW_G4:
        return pg->components == 1 && pg->strip_len > 0 && pg->strip_off <= pg->data_size &&
               pg->strip_len <= pg->data_size - pg->strip_off;
    case TIFFW_JPEG:
        return (pg->components == 1 || pg->components == 3) && pg->data_size > 0;
    default:
        return 0;
    }
}

static const struct tiffw_tag *tiffw_tags(const struct tiffw_page *pg, unsigned *count)
{
    if (pg->kind == TIFFW_G4) {
        *count = sizeof(tiffw_tags_g4) / sizeof(tiffw_tags_g4[0]);
        return tiffw_tags_g4;
    }
    if (pg->components == 1) {
        *count = sizeof(tiffw_tags_grey) / sizeof(tiffw_tags_grey[0]);
        return tiffw_tags_grey;
    }
    *count = sizeof(tiffw_tags_colour) / sizeof(tiffw_tags_colour[0]);
    return tiffw_tags_colour;
}

/* IFD (count, entries, next offset) plus the values that do not fit in an
 * entry's 4 bytes; every such value has an even length, so the IFD that
 * follows the strip and the values stay word-aligned. */
static uint32_t tiffw_ifd_len(const struct tiffw_page *pg)
{
    static const uint8_t type_size[] = {0, 1, 1, 2, 4, 8};
    unsigned count;
    const struct tiffw_tag *t = tiffw_tags(pg, &count);
    uint32_t len = 2 + 12 * count + 4;

    for (unsigned i = 0; i < count; i++) {
        uint32_t bytes = (uint32_t)type_size[t[i].type] * t[i].count;
        if (bytes > 4)
            len += bytes;
    }
    return len;
}

static uint32_t tiffw_strip_len(const struct tiffw_page *pg)
{
    return pg->kind == TIFFW_G4 ? pg->strip_len : pg->data_size;
}

static uint32_t tiffw_strip_src(const struct tiffw_page *pg)
{
    return pg->kind == TIFFW_G4 ? pg->strip_off : 0;
}

/* Moves the cursor to the page holding pos (>= the header); sequential
 * reads never rescan. */
static int tiffw_locate(struct tiffw *w, uint32_t pos, struct tiffw_where *at)
{
    if (pos < w->cur_start) {
        w->cur = 0;
        w->cur_start = TIFFW_HDR_SIZE;
    }
    while (w->cur < w->n) {
        const struct tiffw_page *pg = &w->pages[w->cur];
        uint32_t span = tiffw_page_span(pg);
        if (pos - w->cur_start < span) {
            at->index = w->cur;
            at->start = w->cur_start;
            at->ifd_len = tiffw_ifd_len(pg);
            at->strip_len = tiffw_strip_len(pg);
            at->span = span;
            return 0;
        }
        w->cur_start += span;
        w->cur++;
    }
    w->cur = 0;
    w->cur_start = TIFFW_HDR_SIZE;
    return -1;
}

static uint32_t tiffw_build_ifd(const struct tiffw *w, const struct tiffw_where *at, uint8_t *out)
{
    const struct tiffw_page *pg = &w->pages[at->index];
    unsigned count;
    const struct tiffw_tag *t = tiffw_tags(pg, &count);
    uint32_t ext_len = 0;
    uint8_t *ext = out + 2 + 12 * count + 4;
    uint32_t ext_base = at->start + 2 + 12 * count + 4;
    uint32_t next = at->index + 1 < w->n ? at->start + at->span : 0;

    tiffw_put16(out, count);
    for (unsigned i = 0; i < count; i++) {
        uint8_t *e = out + 2 + 12 * i;
        tiffw_put16(e, t[i].tag);
        tiffw_put16(e + 2, t[i].type);
        tiffw_put32(e + 4, t[i].count);
        tiffw_put32(e + 8, tiffw_value(w, at, &t[i], ext, ext_base, &ext_len));
    }
    tiffw_put32(out + 2 + 12 * count, next);
    return (uint32_t)(ext - out) + ext_len;
}

/* The 4 bytes of an entry's value field (little-endian, SHORTs packed from
 * the left); out-of-line values are appended at ext + *ext_len and the
 * field holds their file offset (ext_base is the file offset of ext). */
static uint32_t tiffw_value(const struct tiffw *w, const struct tiffw_where *at,
                            const struct tiffw_tag *t, uint8_t *ext, uint32_t ext_base,
                            uint32_t *ext_len)
{
    static const uint16_t ref_bw[6] = {0, 255, 128, 255, 128, 255};
    const struct tiffw_page *pg = &w->pages[at->index];
    uint32_t ext_off = ext_base + *ext_len;
    uint8_t *p = ext + *ext_len;

    switch (t->src) {
    case TIFFW_WIDTH:
        return pg->width;
    case TIFFW_HEIGHT:
        return pg->height;
    case TIFFW_STRIP_OFF:
        return at->start + at->ifd_len;
    case TIFFW_STRIP_LEN:
        return at->strip_len;
    case TIFFW_PAGE_NO:
        return at->index | ((uint32_t)w->n << 16);
    case TIFFW_SUBFILE:
        return w->n > 1 ? 2 : 0;
    case TIFFW_SUB_22:
        return 2 | (2u << 16);
    case TIFFW_RES:
        tiffw_put32(p, pg->dpi);
        tiffw_put32(p + 4, 1);
        *ext_len += 8;
        return ext_off;
    case TIFFW_BPS_888:
        tiffw_put16(p, 8);
        tiffw_put16(p + 2, 8);
        tiffw_put16(p + 4, 8);
        *ext_len += 6;
        return ext_off;
    case TIFFW_REF_BW:
        for (unsigned i = 0; i < 6; i++) {
            tiffw_put32(p + 8 * i, ref_bw[i]);
            tiffw_put32(p + 8 * i + 4, 1);
        }
        *ext_len += 48;
        return ext_off;
    case TIFFW_K:
    default:
        return t->k;
    }
}

static long tiffw_copy_strip(struct tiffw *w, const struct tiffw_where *at, uint32_t rel,
                             uint8_t *buf, size_t cap)
{
    const struct tiffw_page *pg = &w->pages[at->index];
    uint32_t left = at->strip_len - rel;
    long n;

    if (cap > left)
        cap = left;
    n = pg->read(pg->arg, tiffw_strip_src(pg) + rel, buf, cap);
    if (n < 0) {
        w->read_error = (int)n;
        return TIFFW_ERR_READ;
    }
    if (n == 0 || (size_t)n > cap)
        return TIFFW_ERR_SHORT;
    return n;
}

static void tiffw_put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void tiffw_put32(uint8_t *p, uint32_t v)
{
    tiffw_put16(p, v);
    tiffw_put16(p + 2, v >> 16);
}
