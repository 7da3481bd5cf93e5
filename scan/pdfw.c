/* pdfw: PDF 1.4 as a virtual file over spooled page blobs.
 *
 * The file is a fixed sequence of "pieces", addressed by a cursor (section,
 * index). A piece is either a short text formatted on demand into the
 * context's buffer, or a span of a page blob read through its callback.
 * pdfw_init() walks every piece once to add up the size; pdfw_read() walks
 * the same pieces and copies bytes out. Both go through piece() and
 * advance(), so the announced size and the bytes cannot disagree.
 *
 * The cross-reference table needs the offset of every object, which would be
 * O(pages) memory if remembered. Instead a second cursor (w->obj) walks the
 * body again in step with the xref entries: entry k is written when w->obj
 * stands on the piece that starts object k, and the next entry moves it on to
 * the next object. Objects are numbered in file order, so one forward pass
 * suffices and the state stays bounded. */
#include "pdfw.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Sections of the file, in file order. */
enum {
    S_HEADER,
    S_CATALOG,
    S_PAGES_HEAD,
    S_KIDS, /* one piece per page: " 4 0 R" */
    S_PAGES_TAIL,
    S_INFO_HEAD,
    S_PRODUCER, /* string pieces: open, one per byte, close */
    S_INFO_MID,
    S_TITLE,
    S_INFO_TAIL,
    S_PAGE, /* PAGE_PIECES per page */
    S_XREF_HEAD,
    S_XREF, /* one 20-byte entry per object 1..3N+3 */
    S_TRAILER,
    S_END
};

/* Pieces of one page: page object, content stream object, image dictionary,
 * image data, end of the image stream. */
enum { P_PAGE, P_CONTENT, P_IMAGE_HEAD, P_IMAGE_DATA, P_IMAGE_TAIL, PAGE_PIECES };

#define OBJ_CATALOG 1u
#define OBJ_PAGES 2u
#define OBJ_INFO 3u
#define OBJ_FIRST_PAGE 4u
#define OBJS_PER_PAGE 3u

/* Every page costs well over this many bytes of PDF text, so more pages than
 * UINT32_MAX / this cannot fit 4 GiB: refused before walking them. */
#define MIN_PAGE_BYTES 256u

/* Latest time a four-digit year can write: 9999-12-31 23:59:59 UTC. */
#define LAST_UNIX_SECOND 253402300799ull

static const char header_text[] = "%PDF-1.4\n%\xE2\xE3\xCF\xD3\n";

struct piece {
    const char *text;             /* text pieces: the bytes */
    const struct pdfw_page *page; /* data pieces: the page to read, else NULL */
    uint32_t data_off;            /* data pieces: blob offset of the first byte */
    uint32_t len;
    uint32_t obj; /* number of the object this piece starts, 0 if none */
};

static void rewind_cursors(struct pdfw *w);
static uint32_t section_pieces(const struct pdfw *w, uint32_t sec);
static int piece(struct pdfw *w, const struct pdfw_cursor *c, struct piece *p);
static int advance(struct pdfw *w, uint32_t len);
static void step(const struct pdfw *w, struct pdfw_cursor *c, uint32_t len);
static int string_piece(struct pdfw *w, const char *s, size_t len, int hex, uint32_t idx,
                        struct piece *p);
static int page_piece(struct pdfw *w, uint32_t idx, struct piece *p);
static int fmt(struct pdfw *w, struct piece *p, const char *f, ...);
static void format_points(char out[24], uint32_t px, uint32_t dpi);
static void format_date(char out[24], uint64_t unix_s);
static int check_string(const char *s, size_t *len, uint8_t *hex);
static unsigned utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);
static int check_page(const struct pdfw_page *pg);

/* ---- Public functions ---------------------------------------------------- */

int pdfw_init(struct pdfw *w, const struct pdfw_doc *doc)
{
    int rc;

    if (w == NULL)
        return PDFW_ERR_BAD_ARG;
    memset(w, 0, sizeof(*w));
    if (doc == NULL || doc->pages == NULL || doc->page_count == 0 ||
        doc->created > LAST_UNIX_SECOND)
        return PDFW_ERR_BAD_ARG;
    if (doc->page_count > UINT32_MAX / MIN_PAGE_BYTES)
        return PDFW_ERR_TOO_BIG;
    for (uint32_t i = 0; i < doc->page_count; i++) {
        if (check_page(&doc->pages[i]) != 0)
            return PDFW_ERR_BAD_ARG;
    }
    rc = check_string(doc->title, &w->title_len, &w->title_hex);
    if (rc == 0)
        rc = check_string(doc->producer, &w->producer_len, &w->producer_hex);
    if (rc != 0)
        return rc;
    w->doc = doc;
    format_date(w->date, doc->created);

    /* The size is whatever the reader's walk produces. */
    rewind_cursors(w);
    while (w->cur.sec < S_END) {
        struct piece p;

        rc = piece(w, &w->cur, &p);
        if (rc == 0)
            rc = advance(w, p.len);
        if (rc != 0)
            return rc;
        if (w->cur.pos > UINT32_MAX)
            return PDFW_ERR_TOO_BIG;
    }
    w->size = (uint32_t)w->cur.pos;
    rewind_cursors(w);
    w->ready = 1;
    return 0;
}

uint32_t pdfw_size(const struct pdfw *w)
{
    return w != NULL && w->ready ? w->size : 0;
}

long pdfw_read(void *arg, uint32_t off, uint8_t *buf, size_t cap)
{
    struct pdfw *w = arg;
    size_t done = 0;

    if (w == NULL || !w->ready || (buf == NULL && cap != 0))
        return PDFW_ERR_BAD_ARG;
    if (off < w->cur.pos)
        rewind_cursors(w);
    while (done < cap && (uint64_t)off + done < w->size) {
        uint64_t at = (uint64_t)off + done;
        struct piece p;
        uint32_t in;
        size_t n;
        long got;
        int rc = piece(w, &w->cur, &p);

        if (rc != 0)
            return rc;
        if (at >= w->cur.pos + p.len) {
            rc = advance(w, p.len);
            if (rc != 0)
                return rc;
            continue;
        }
        in = (uint32_t)(at - w->cur.pos);
        n = p.len - in < cap - done ? p.len - in : cap - done;
        if (p.page == NULL) {
            memcpy(buf + done, p.text + in, n);
            done += n;
            continue;
        }
        got = p.page->read(p.page->read_arg, p.data_off + in, buf + done, n);
        if (got < 0) {
            w->read_error = got;
            return PDFW_ERR_READ;
        }
        if (got == 0 || (size_t)got > n)
            return PDFW_ERR_SHORT;
        done += (size_t)got;
        if ((size_t)got < n)
            break; /* the caller asks again; the cursor is still right */
    }
    return (long)done;
}

/* ---- The walk ------------------------------------------------------------- */

static void rewind_cursors(struct pdfw *w)
{
    memset(&w->cur, 0, sizeof(w->cur));
    memset(&w->obj, 0, sizeof(w->obj));
    w->xref_pos = 0;
}

static uint32_t section_pieces(const struct pdfw *w, uint32_t sec)
{
    uint32_t n = w->doc->page_count;

    switch (sec) {
    case S_KIDS:
        return n;
    case S_PRODUCER:
        return (uint32_t)w->producer_len + 2;
    case S_TITLE:
        return (uint32_t)w->title_len + 2;
    case S_PAGE:
        return n * PAGE_PIECES;
    case S_XREF:
        return OBJ_INFO + n * OBJS_PER_PAGE;
    case S_END:
        return 0;
    default:
        return 1;
    }
}

/* Moves a cursor past its current piece (len bytes long). */
static void step(const struct pdfw *w, struct pdfw_cursor *c, uint32_t len)
{
    c->pos += len;
    c->idx++;
    while (c->sec < S_END && c->idx >= section_pieces(w, c->sec)) {
        c->sec++;
        c->idx = 0;
    }
}

/* Moves the read cursor past its current piece and keeps what later pieces
 * depend on: the offset of "xref" (for startxref) and the object cursor
 * (for each xref entry). */
static int advance(struct pdfw *w, uint32_t len)
{
    struct piece p;
    int rc;

    step(w, &w->cur, len);
    if (w->cur.sec == S_XREF_HEAD)
        w->xref_pos = w->cur.pos;
    if (w->cur.sec != S_XREF)
        return 0;
    /* Entry idx describes object idx + 1: move w->obj to the piece that
     * starts it (from the top of the file for the first entry). */
    if (w->cur.idx == 0)
        memset(&w->obj, 0, sizeof(w->obj));
    for (;;) {
        rc = piece(w, &w->obj, &p);
        if (rc != 0)
            return rc;
        if (p.obj == w->cur.idx + 1)
            return 0;
        if (w->obj.sec >= S_XREF_HEAD)
            return PDFW_ERR_INTERNAL; /* an object was never started */
        step(w, &w->obj, p.len);
    }
}

/* Produces the piece under cursor c (text in w->piece). */
static int piece(struct pdfw *w, const struct pdfw_cursor *c, struct piece *p)
{
    const struct pdfw_doc *d = w->doc;
    uint32_t objs = OBJ_INFO + d->page_count * OBJS_PER_PAGE + 1; /* /Size: 0..last */

    memset(p, 0, sizeof(*p));
    switch (c->sec) {
    case S_HEADER:
        p->text = header_text;
        p->len = sizeof(header_text) - 1;
        return 0;
    case S_CATALOG:
        p->obj = OBJ_CATALOG;
        return fmt(w, p, "%u 0 obj\n<< /Type /Catalog /Pages %u 0 R >>\nendobj\n", OBJ_CATALOG,
                   OBJ_PAGES);
    case S_PAGES_HEAD:
        p->obj = OBJ_PAGES;
        return fmt(w, p, "%u 0 obj\n<< /Type /Pages /Count %lu /Kids [", OBJ_PAGES,
                   (unsigned long)d->page_count);
    case S_KIDS:
        return fmt(w, p, " %lu 0 R", (unsigned long)OBJ_FIRST_PAGE + c->idx * OBJS_PER_PAGE);
    case S_PAGES_TAIL:
        return fmt(w, p, " ] >>\nendobj\n");
    case S_INFO_HEAD:
        p->obj = OBJ_INFO;
        return fmt(w, p, "%u 0 obj\n<< /Producer ", OBJ_INFO);
    case S_PRODUCER:
        return string_piece(w, d->producer, w->producer_len, w->producer_hex, c->idx, p);
    case S_INFO_MID:
        return fmt(w, p, " /CreationDate (%s) /Title ", w->date);
    case S_TITLE:
        return string_piece(w, d->title, w->title_len, w->title_hex, c->idx, p);
    case S_INFO_TAIL:
        return fmt(w, p, " >>\nendobj\n");
    case S_PAGE:
        return page_piece(w, c->idx, p);
    case S_XREF_HEAD:
        return fmt(w, p, "xref\n0 %lu\n0000000000 65535 f \n", (unsigned long)objs);
    case S_XREF:
        /* Exactly 20 bytes: 10-digit offset, generation, 'n', space, LF.
         * %lu, not %llu: newlib-nano's printf has no long long (a PDF that
         * outgrows unsigned long cannot be spooled on a 32-bit board). */
        return fmt(w, p, "%010lu 00000 n \n", (unsigned long)w->obj.pos);
    case S_TRAILER:
        return fmt(w, p,
                   "trailer\n<< /Size %lu /Root %u 0 R /Info %u 0 R >>\nstartxref\n%lu\n%%%%EOF\n",
                   (unsigned long)objs, OBJ_CATALOG, OBJ_INFO, (unsigned long)w->xref_pos);
    default:
        return 0; /* S_END: empty */
    }
}

/* Piece idx of a PDF string: the opening delimiter, one piece per byte of s,
 * the closing delimiter. In hex form a character's UTF-16BE code units come
 * with its first byte and its continuation bytes give nothing. */
static int string_piece(struct pdfw *w, const char *s, size_t len, int hex, uint32_t idx,
                        struct piece *p)
{
    const uint8_t *u = (const uint8_t *)s;
    uint8_t ch;
    uint32_t cp = 0;

    if (idx == 0)
        return fmt(w, p, hex ? "<FEFF" : "(");
    if (idx == len + 1)
        return fmt(w, p, hex ? ">" : ")");
    ch = u[idx - 1];
    if (!hex)
        return fmt(w, p, ch == '(' || ch == ')' || ch == '\\' ? "\\%c" : "%c", ch);
    if (ch >= 0x80 && ch < 0xC0)
        return fmt(w, p, ""); /* continuation byte: written with its lead byte */
    if (utf8_decode(u + idx - 1, len - (idx - 1), &cp) == 0)
        return PDFW_ERR_INTERNAL; /* pdfw_init() checked it: the string changed under us */
    if (cp < 0x10000)
        return fmt(w, p, "%04lX", (unsigned long)cp);
    cp -= 0x10000;
    return fmt(w, p, "%04lX%04lX", (unsigned long)(0xD800 + (cp >> 10)),
               (unsigned long)(0xDC00 + (cp & 0x3FF)));
}

static int page_piece(struct pdfw *w, uint32_t idx, struct piece *p)
{
    const struct pdfw_page *pg = &w->doc->pages[idx / PAGE_PIECES];
    unsigned long obj = OBJ_FIRST_PAGE + (idx / PAGE_PIECES) * OBJS_PER_PAGE;
    char wpt[24], hpt[24], ops[80];
    int n;

    switch (idx % PAGE_PIECES) {
    case P_PAGE:
        p->obj = (uint32_t)obj;
        format_points(wpt, pg->width, pg->xdpi);
        format_points(hpt, pg->height, pg->ydpi);
        return fmt(w, p,
                   "%lu 0 obj\n<< /Type /Page /Parent %u 0 R /MediaBox [0 0 %s %s]"
                   " /Resources << /XObject << /Im0 %lu 0 R >> >> /Contents %lu 0 R >>\n"
                   "endobj\n",
                   obj, OBJ_PAGES, wpt, hpt, obj + 2, obj + 1);
    case P_CONTENT:
        p->obj = (uint32_t)obj + 1;
        format_points(wpt, pg->width, pg->xdpi);
        format_points(hpt, pg->height, pg->ydpi);
        /* Scale the unit-square image to the whole MediaBox. */
        n = snprintf(ops, sizeof(ops), "q %s 0 0 %s 0 0 cm /Im0 Do Q", wpt, hpt);
        if (n < 0 || (size_t)n >= sizeof(ops))
            return PDFW_ERR_INTERNAL;
        return fmt(w, p, "%lu 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n", obj + 1, n,
                   ops);
    case P_IMAGE_HEAD:
        p->obj = (uint32_t)obj + 2;
        if (pg->kind == PDFW_PAGE_JPEG)
            return fmt(w, p,
                       "%lu 0 obj\n<< /Type /XObject /Subtype /Image /Width %lu /Height %lu"
                       " /ColorSpace /%s /BitsPerComponent 8 /Filter /DCTDecode"
                       " /Length %lu >>\nstream\n",
                       obj + 2, (unsigned long)pg->width, (unsigned long)pg->height,
                       pg->components == 3 ? "DeviceRGB" : "DeviceGray",
                       (unsigned long)pg->data_len);
        /* BlackIs1 false: the G4 data codes black pixels as black runs (see
         * pdfw.h), which then decode to 0, and 0 is black in DeviceGray. */
        return fmt(w, p,
                   "%lu 0 obj\n<< /Type /XObject /Subtype /Image /Width %lu /Height %lu"
                   " /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode"
                   " /DecodeParms << /K -1 /Columns %lu /Rows %lu /BlackIs1 false >>"
                   " /Length %lu >>\nstream\n",
                   obj + 2, (unsigned long)pg->width, (unsigned long)pg->height,
                   (unsigned long)pg->width, (unsigned long)pg->height,
                   (unsigned long)pg->data_len);
    case P_IMAGE_DATA:
        p->page = pg;
        p->data_off = pg->data_off;
        p->len = pg->data_len;
        return 0;
    default: /* P_IMAGE_TAIL: the EOL before endstream is not part of /Length */
        return fmt(w, p, "\nendstream\nendobj\n");
    }
}

/* Formats a text piece into w->piece. */
static int fmt(struct pdfw *w, struct piece *p, const char *f, ...)
{
    va_list ap;
    int n;

    va_start(ap, f);
    n = vsnprintf(w->piece, sizeof(w->piece), f, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(w->piece))
        return PDFW_ERR_INTERNAL;
    p->text = w->piece;
    p->len = (uint32_t)n;
    return 0;
}

/* ---- Numbers and strings ---------------------------------------------------- */

/* px * 72 / dpi points with up to four decimals, rounded half up, trailing
 * zeros dropped. Integer arithmetic only: no float printf on the target, and
 * no %llu either (newlib-nano); the points fit an unsigned long. */
static void format_points(char out[24], uint32_t px, uint32_t dpi)
{
    uint64_t v = ((uint64_t)px * 720000u + dpi / 2) / dpi; /* 1/10000 pt */
    unsigned long frac = (unsigned long)(v % 10000);
    int digits = 4;

    if (frac == 0) {
        snprintf(out, 24, "%lu", (unsigned long)(v / 10000));
        return;
    }
    while (frac % 10 == 0) {
        frac /= 10;
        digits--;
    }
    snprintf(out, 24, "%lu.%0*lu", (unsigned long)(v / 10000), digits, frac);
}

/* "D:YYYYMMDDHHmmSSZ" from Unix seconds without gmtime() (not available
 * bare-metal): days to civil date after H. Hinnant's days_from_civil
 * inverse, valid for the proleptic Gregorian calendar from 1970 on. */
static void format_date(char out[24], uint64_t unix_s)
{
    uint64_t days = unix_s / 86400, sod = unix_s % 86400;
    uint64_t z = days + 719468; /* days since 0000-03-01 */
    uint64_t era = z / 146097, doe = z % 146097;
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    uint64_t mp = (5 * doy + 2) / 153;
    unsigned d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    unsigned m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    unsigned y = (unsigned)(yoe + era * 400 + (m <= 2));

    const unsigned field[6] = {
        y, m, d, (unsigned)(sod / 3600), (unsigned)(sod / 60 % 60), (unsigned)(sod % 60)};
    char *o = out;

    *o++ = 'D';
    *o++ = ':';
    for (int f = 0; f < 6; f++) {
        for (unsigned div = f == 0 ? 1000 : 10; div != 0; div /= 10)
            *o++ = (char)('0' + field[f] / div % 10);
    }
    *o++ = 'Z';
    *o = '\0';
}

/* Checks that s is valid UTF-8; *hex is set when it has anything but
 * printable ASCII (then it is written as UTF-16BE). */
static int check_string(const char *s, size_t *len, uint8_t *hex)
{
    const uint8_t *u = (const uint8_t *)s;
    size_t n, i = 0;
    uint32_t cp;

    if (s == NULL)
        return PDFW_ERR_BAD_ARG;
    n = strlen(s);
    *hex = 0;
    while (i < n) {
        unsigned k = utf8_decode(u + i, n - i, &cp);

        if (k == 0)
            return PDFW_ERR_STRING;
        if (cp < 0x20 || cp > 0x7E)
            *hex = 1;
        i += k;
    }
    *len = n;
    return 0;
}

/* Decodes one UTF-8 character from s (n bytes available). Returns its length
 * (1..4) or 0 when it is malformed, overlong, a surrogate or past U+10FFFF. */
static unsigned utf8_decode(const uint8_t *s, size_t n, uint32_t *cp)
{
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    unsigned k;
    uint32_t c = s[0];

    if (c < 0x80)
        k = 1;
    else if ((c & 0xE0) == 0xC0)
        k = 2, c &= 0x1F;
    else if ((c & 0xF0) == 0xE0)
        k = 3, c &= 0x0F;
    else if ((c & 0xF8) == 0xF0)
        k = 4, c &= 0x07;
    else
        return 0;
    if (k > n)
        return 0;
    for (unsigned i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min_cp[k] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return k;
}

static int check_page(const struct pdfw_page *pg)
{
    if (pg->read == NULL || pg->width == 0 || pg->height == 0 || pg->xdpi == 0 || pg->ydpi == 0 ||
        pg->data_len == 0 || pg->data_len > UINT32_MAX - pg->data_off)
        return PDFW_ERR_BAD_ARG;
    if (pg->kind == PDFW_PAGE_JPEG)
        return pg->components == 1 || pg->components == 3 ? 0 : PDFW_ERR_BAD_ARG;
    return pg->kind == PDFW_PAGE_G4 ? 0 : PDFW_ERR_BAD_ARG;
}
