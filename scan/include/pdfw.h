/* pdfw: a PDF 1.4 file assembled on the fly from spooled page blobs.
 *
 * The PDF is never written anywhere: it is a "virtual file" whose exact size
 * is known after pdfw_init(), before the first byte, and whose bytes come out
 * of pdfw_read() (the MIME attachment reader shape) at any offset. Page data
 * is pulled from each page's own read callback while the PDF is read; the
 * context holds no page data and allocates nothing.
 *
 * Layout (objects are numbered in file order):
 *   %PDF-1.4 and a binary comment line
 *   1 Catalog, 2 Pages (Kids, Count), 3 Info (Producer, CreationDate, Title)
 *   per page i (0-based): 4+3i Page, 5+3i content stream, 6+3i image XObject
 *   cross-reference table (20-byte entries), trailer (/Size /Root /Info), startxref
 *
 * Page kinds:
 *   PDFW_PAGE_JPEG  a complete baseline JFIF, embedded as it is (/DCTDecode),
 *                   /DeviceRGB for 3 components, /DeviceGray for 1.
 *   PDFW_PAGE_G4    raw CCITT Group 4 data (the strip of a single-strip G4
 *                   TIFF) embedded as it is (/CCITTFaxDecode /K -1), 1 bit,
 *                   /DeviceGray. The data must code black runs for black
 *                   pixels, which is what libtiff's encoder produces for a
 *                   PHOTOMETRIC_MINISWHITE image (bit 1 = black); PDF's
 *                   default /BlackIs1 false then decodes black runs to 0,
 *                   and 0 is black in /DeviceGray.
 *
 * MediaBox: [0 0 width*72/xdpi height*72/ydpi] in points, computed in integer
 * arithmetic (no floating point on the target) and written with at most four
 * decimals, trailing zeros dropped: 2480 px at 300 dpi is 595.2, 3508 px is
 * 841.92. Exact for every dpi that divides 720000 (75, 100, 150, 200, 240,
 * 300, 400, 600, 1200 ...); otherwise rounded to the nearest 1/10000 point.
 * The image is drawn over the whole page (q W 0 0 H 0 0 cm /Im0 Do Q).
 *
 * Strings in the Info dictionary: printable ASCII is written as a literal
 * string with '(' ')' '\' escaped; anything else (non-ASCII or control
 * characters) as UTF-16BE with a byte order mark in a hex string. */
#ifndef PDFW_H
#define PDFW_H

#include <stddef.h>
#include <stdint.h>

#define PDFW_ERR_BAD_ARG (-1)  /* NULL pointer, no pages, bad page descriptor, date past 9999 */
#define PDFW_ERR_STRING (-2)   /* title or producer is not valid UTF-8 */
#define PDFW_ERR_TOO_BIG (-3)  /* the PDF would not fit in 4 GiB - 1 bytes (uint32_t offsets) */
#define PDFW_ERR_READ (-4)     /* a page's read callback failed (see pdfw.read_error) */
#define PDFW_ERR_SHORT (-5)    /* a page's read callback ended before the declared data */
#define PDFW_ERR_INTERNAL (-6) /* a generated line overflowed its buffer: a bug in pdfw */

/* Bytes of the buffer in the context where one generated piece of PDF text
 * is formatted (the longest is an image dictionary with ten-digit numbers,
 * about 260 bytes). A property of the format, not a tunable. */
#define PDFW_PIECE_MAX 320

/* Reads up to cap bytes of a page blob at off into buf. Returns the bytes
 * read (1..cap; fewer is fine, pdfw calls again), 0 at the end of the blob,
 * or a negative number on error. Same shape as mime_read_fn and
 * spool_page_read(). */
typedef long (*pdfw_read_fn)(void *arg, uint32_t off, uint8_t *buf, size_t cap);

enum pdfw_kind { PDFW_PAGE_JPEG = 1, PDFW_PAGE_G4 = 2 };

/* One page. data_off/data_len locate the bytes to embed inside the blob:
 * (0, blob size) for a JPEG page, the strip's offset and byte count for a
 * G4 page. */
struct pdfw_page {
    enum pdfw_kind kind;
    uint32_t width, height; /* pixels, >= 1 */
    uint32_t xdpi, ydpi;    /* >= 1 */
    unsigned components;    /* JPEG: 1 (grey) or 3 (colour); ignored for G4 */
    uint32_t data_off;      /* first byte to embed, in blob offsets */
    uint32_t data_len;      /* bytes to embed, >= 1 */
    pdfw_read_fn read;
    void *read_arg;
};

/* The document. Caller-owned: it, the strings and the pages array must stay
 * valid and unchanged from pdfw_init() until the last pdfw_read(). */
struct pdfw_doc {
    const char *title;    /* UTF-8, NUL-terminated: the file name */
    const char *producer; /* UTF-8, NUL-terminated, e.g. "MFP firmware 1.0" */
    uint64_t created;     /* creation time, Unix seconds (UTC), <= 9999-12-31 23:59:59 */
    const struct pdfw_page *pages;
    uint32_t page_count; /* >= 1 */
};

/* Position in the sequence of pieces the PDF is made of. Opaque. */
struct pdfw_cursor {
    uint32_t sec; /* section: header, catalog, kids, ..., xref, trailer */
    uint32_t idx; /* piece within the section */
    uint64_t pos; /* file offset of the piece's first byte */
};

/* The writer. Caller-owned; the fields are here only so the caller can own
 * the memory (440 bytes on a 64-bit host). Holds no resources, so
 * there is nothing to free. */
struct pdfw {
    const struct pdfw_doc *doc;
    uint32_t size;       /* total bytes of the PDF */
    size_t title_len;    /* strlen(doc->title) */
    size_t producer_len; /* strlen(doc->producer) */
    uint8_t title_hex;   /* 1: title written as UTF-16BE hex string */
    uint8_t producer_hex;
    char date[24];          /* "D:YYYYMMDDHHmmSSZ" */
    struct pdfw_cursor cur; /* the piece the next read starts in */
    struct pdfw_cursor obj; /* cross-reference: the piece that starts the entry's object */
    uint64_t xref_pos;      /* file offset of "xref", once the cursor has passed it */
    int ready;              /* pdfw_init() succeeded */
    long read_error;        /* last negative value a page callback returned, 0 if none */
    char piece[PDFW_PIECE_MAX];
};

/* Checks doc, encodes the creation date and computes the exact size of the
 * PDF by walking the same generator pdfw_read() uses (so the size cannot
 * drift from the bytes). Reads no page data. Returns 0 or PDFW_ERR_BAD_ARG,
 * PDFW_ERR_STRING, PDFW_ERR_TOO_BIG; on error reads return PDFW_ERR_BAD_ARG. */
int pdfw_init(struct pdfw *w, const struct pdfw_doc *doc);

/* The exact size in bytes of the PDF (0 before a successful pdfw_init()). */
uint32_t pdfw_size(const struct pdfw *w);

/* Reads up to cap bytes of the PDF at off into buf; arg is the struct pdfw.
 * Matches mime_read_fn. Sequential reads are cheap at any cap (the position
 * is kept between calls); a read before the previous one restarts the walk
 * from the top of the file, so random access works but costs more.
 * Returns bytes produced (1..cap, fewer when a page callback gives fewer),
 * 0 at or past the end, or PDFW_ERR_BAD_ARG, PDFW_ERR_READ, PDFW_ERR_SHORT,
 * PDFW_ERR_INTERNAL. */
long pdfw_read(void *arg, uint32_t off, uint8_t *buf, size_t cap);

#endif
