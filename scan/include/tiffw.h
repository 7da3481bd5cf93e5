/* TIFF / multi-page TIFF ("MTIFF") as a virtual file assembled from spooled
 * page blobs at send time.
 *
 * Nothing is written to storage and nothing is allocated: tiffw_init()
 * computes the exact file size from the page descriptors, and tiffw_read()
 * produces the bytes at any offset, building each page's IFD on the fly and
 * copying strip data from the page blobs through their read callbacks.
 *
 * File layout (classic TIFF, little-endian "II*\0"):
 *   header (8)  then per page:  IFD  out-of-line values  strip  [pad byte]
 * The first IFD is at 8; each IFD links to the next; the strip is padded to
 * an even length so that the next IFD starts on a word boundary.
 *
 * Page kinds and their tags (one strip per page, RowsPerStrip = height,
 * X/YResolution = dpi, ResolutionUnit inch, PageNumber = index, count):
 *   TIFFW_G4    Compression 4 (CCITT T.6), BitsPerSample 1, Photometric
 *               WhiteIsZero, FillOrder 1, T6Options 0; the strip is the raw
 *               G4 data at strip_off/strip_len inside the page blob (the
 *               scan_g4 page blob, see scan_g4_strip()).
 *   TIFFW_JPEG  Compression 7 with the whole page blob (a complete baseline
 *               JPEG interchange stream, as scan_jpeg writes it) as the strip,
 *               as TIFF Technical Note 2 allows (no JPEGTables needed).
 *               components 3: Photometric YCbCr, YCbCrSubsampling 2 2
 *               (scan_jpeg's 4:2:0; the JPEG must use it), ReferenceBlackWhite
 *               0 255 128 255 128 255, BitsPerSample 8 8 8.
 *               components 1: Photometric MinIsBlack, BitsPerSample 8.
 * libtiff (tiffinfo -D, tiff2rgba, TIFFReadRGBAImage) decodes both kinds;
 * see tests/unit/tiff. */
#ifndef TIFFW_H
#define TIFFW_H

#include <stddef.h>
#include <stdint.h>

#define TIFFW_ERR_BAD_ARG (-1) /* NULL pointer, no pages, bad descriptor */
#define TIFFW_ERR_TOO_BIG (-2) /* the file would reach 4 GiB */
#define TIFFW_ERR_READ (-3)    /* a page's read callback failed; see tiffw_read_error() */
#define TIFFW_ERR_SHORT (-4)   /* a page blob ended before its declared size */

/* Largest IFD plus out-of-line values of one page (bytes, on the stack of
 * tiffw_read()). */
#define TIFFW_IFD_MAX 320

/* Reads up to cap bytes of a page blob at off: bytes read (0 at the end) or
 * a negative code of the callback's module. Same shape as spool_page_read()
 * and the MIME attachment reader. */
typedef long (*tiffw_read_fn)(void *arg, uint32_t off, uint8_t *buf, size_t cap);

enum tiffw_kind { TIFFW_G4 = 1, TIFFW_JPEG = 2 };

/* One page. Caller-owned; must stay valid and unchanged while the writer is
 * in use. */
struct tiffw_page {
    enum tiffw_kind kind;
    unsigned width, height; /* pixels, 1..65535 */
    unsigned dpi;           /* 1..65535 */
    unsigned components;    /* JPEG: 1 (grey) or 3 (colour); G4: 1 */
    uint32_t data_size;     /* the page blob's size in bytes */
    uint32_t strip_off;     /* G4: the strip's offset in the blob; JPEG: ignored (0) */
    uint32_t strip_len;     /* G4: the strip's length; JPEG: ignored (data_size) */
    tiffw_read_fn read;     /* reads the page blob */
    void *arg;
};

/* The writer. Caller-owned, fixed size; fields are private. The cursor makes
 * sequential reads O(1); a backwards read rescans from page 0. */
struct tiffw {
    const struct tiffw_page *pages;
    unsigned n;
    uint32_t size;
    unsigned cur;       /* page the cursor is on */
    uint32_t cur_start; /* file offset of that page's IFD */
    int read_error;     /* last negative code of a page callback, 0 if none */
};

/* Checks the n descriptors (n >= 1; pages[] is kept, not copied) and
 * computes the file's exact size into *size (may be NULL).
 * Returns 0, TIFFW_ERR_BAD_ARG or TIFFW_ERR_TOO_BIG. */
int tiffw_init(struct tiffw *w, const struct tiffw_page *pages, unsigned n, uint32_t *size);

/* Fills buf with up to cap bytes of the file at off; arg is the struct
 * tiffw. Returns the bytes produced (cap, or fewer only at the end of the
 * file), 0 at or past the end, or TIFFW_ERR_*. Any offsets, any cap. */
long tiffw_read(void *arg, uint32_t off, uint8_t *buf, size_t cap);

/* The file's size, as tiffw_init() computed it. */
uint32_t tiffw_size(const struct tiffw *w);

/* Bytes of the file taken by page i (its IFD, values, strip and pad), so a
 * packer can group pages by size without building the writer. 0 on a bad
 * descriptor. The file size is 8 + the sum over its pages. */
uint32_t tiffw_page_span(const struct tiffw_page *page);

/* The callback's code behind the last TIFFW_ERR_READ, else 0. */
int tiffw_read_error(const struct tiffw *w);

#endif
