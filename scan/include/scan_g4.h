/* Band-by-band CCITT G4 (T.6) bilevel page encoder on libtiff.
 *
 * Input: 1-bit rows packed MSB first, (width + 7) / 8 bytes per row, no
 * padding between rows, 1 = black (what scan_bilevel produces).
 * Output: a complete single-page, single-strip TIFF (classic, little-endian)
 * with Compression 4, Photometric WhiteIsZero, FillOrder 1, RowsPerStrip =
 * height, T6Options 0, X/YResolution = dpi per inch. Its layout is fixed:
 *   0  8-byte header      8  the G4 strip      then the IFD written by libtiff
 * The strip's offset and length are recorded (scan_g4_strip()) so that the
 * PDF and MTIFF writers can copy the raw G4 data out of the page blob.
 *
 * Why a temporary blob: libtiff 4.5 writes the TIFF header at open time,
 * appends the strip, and only at TIFFWriteDirectory() writes the header's
 * first-IFD offset (bytes 4..7), which depends on the compressed size; then
 * the IFD's values, then the IFD into a hole before them (see scan_g4.c).
 * The storage HAL and the spool are append-only, and holding the compressed
 * page in RAM would break the memory bound. So while the page is encoded,
 * libtiff's bytes from offset 8 on are appended to a temporary blob
 * (`tmp_name`) through a small RAM window that absorbs the IFD's hole, and
 * the 8-byte header is kept in the context; scan_g4_finish() then streams
 * header + temporary blob to the caller's sink (the spool writer) and
 * removes the temporary blob. Cost: the compressed page is written to flash
 * twice (G4 pages are small: ~140 KB for a dense 300 dpi Letter page). A
 * temporary blob left behind by a power cut is an orphan the job's cleanup
 * removes. (libtiff's "deferred strile" writing puts the IFD first but still
 * patches StripByteCounts inside it at the end, so it does not avoid this.)
 *
 * Pixels past the width in a row's last byte are padding; decoders (libtiff
 * included) may set them, so compare rows masked to the width.
 *
 * Memory: the raw (compressed) output buffer libtiff fills is
 * SCAN_G4_RAWBUF_SIZE bytes inside the context (handed to libtiff with
 * TIFFWriteBufferSetup, so libtiff does not malloc its default: one whole
 * uncompressed strip, i.e. the whole page, 1 MiB at 300 dpi Letter). The
 * context is about 4.8 KiB. libtiff's own heap, measured with the counting
 * allocator (tests/bench/count_alloc.c): 2.7 KiB after init, peak 24 KiB
 * (150 dpi Letter), 45 KiB (300 dpi), 86 KiB (600 dpi): the G4 run arrays and
 * reference row grow with the width, not the height; 20 mallocs per page, 13
 * of them at init and the first row, none per band afterwards; all freed by
 * scan_g4_finish() and scan_g4_abort().
 *
 * libtiff errors and warnings go to per-file handlers (TIFFClientOpenExt),
 * never to stderr and never to libtiff's global handlers. */
#ifndef SCAN_G4_H
#define SCAN_G4_H

#include <stddef.h>
#include <stdint.h>

#include "hal/hal_storage.h"

/* Compressed bytes libtiff gathers before a write to the temporary blob, and
 * the copy buffer of scan_g4_finish(). */
#ifndef SCAN_G4_RAWBUF_SIZE
#define SCAN_G4_RAWBUF_SIZE 4096
#endif

/* The last bytes of libtiff's output kept in RAM before they are appended:
 * libtiff writes an IFD's values before the IFD itself, into a hole before
 * them, so the window must hold the IFD and its values (about 200 bytes for
 * the tags set here) plus the odd bytes before them. */
#ifndef SCAN_G4_TAIL_SIZE
#define SCAN_G4_TAIL_SIZE 512
#endif

#if SCAN_G4_TAIL_SIZE < 384
#error "SCAN_G4_TAIL_SIZE must be at least 384 bytes (one IFD and its values)"
#endif
#if SCAN_G4_RAWBUF_SIZE < 512
#error "SCAN_G4_RAWBUF_SIZE must be at least 512 bytes"
#endif

#define SCAN_G4_HDR_SIZE 8 /* the TIFF header; also the strip's offset */

#define SCAN_G4_ERR_BAD_ARG (-1) /* NULL pointer, size out of range, bad name */
#define SCAN_G4_ERR_STATE (-2)   /* call out of order (not started, too many lines) */
#define SCAN_G4_ERR_LIB (-3)     /* libtiff failed (includes its out-of-memory) */
#define SCAN_G4_ERR_IO (-4)      /* the storage HAL failed; see scan_g4_storage_error() */
#define SCAN_G4_ERR_FULL (-5)    /* the storage is full */
#define SCAN_G4_ERR_SINK (-6)    /* the sink failed; see scan_g4_sink_error() */
#define SCAN_G4_ERR_FORMAT (-7)  /* scan_g4_probe(): not a G4 single-strip TIFF */

/* Receives the finished TIFF's bytes in order (same shape as scan_jpeg's
 * sink). Returns 0 or a negative code of the sink's module. */
typedef int (*scan_g4_sink_fn)(void *arg, const uint8_t *buf, size_t len);

/* Reads up to cap bytes at off; bytes read, 0 at the end, or negative. The
 * shape of spool_page_read() and of MIME attachment readers. */
typedef long (*scan_g4_read_fn)(void *arg, uint32_t off, uint8_t *buf, size_t cap);

struct scan_g4_params {
    unsigned width;  /* pixels per row, 1..65535 */
    unsigned height; /* rows, 1..65535 */
    unsigned dpi;    /* both resolutions, 1..65535 */
};

/* Where the G4 data sits inside a page blob, and the page's geometry. */
struct scan_g4_info {
    unsigned width, height, dpi;
    uint32_t strip_off; /* byte offset of the raw G4 data in the blob */
    uint32_t strip_len; /* its length in bytes */
};

enum scan_g4_state { SCAN_G4_IDLE = 0, SCAN_G4_RUNNING, SCAN_G4_DONE, SCAN_G4_FAILED };

/* Caller-owned; fields are private. */
struct scan_g4 {
    void *tif; /* TIFF * while RUNNING */
    const struct hal_storage *st;
    int tmp_h;    /* temporary blob's write handle */
    int tmp_open; /* tmp_h is valid */
    enum scan_g4_state state;
    struct scan_g4_info info;
    unsigned rows;      /* rows written so far */
    size_t row_bytes;   /* (width + 7) / 8 */
    uint64_t pos;       /* libtiff's file position */
    uint64_t end;       /* libtiff's file size (header + temporary blob + tail) */
    uint64_t tail_base; /* file offset of tail[0]; bytes below it are appended */
    int storage_error;  /* last HAL_STORAGE_ERR_* seen, 0 if none */
    int sink_error;     /* last sink code, 0 if none */
    int lib_failed;     /* libtiff's error handler was called */
    char tmp_name[HAL_STORAGE_NAME_MAX + 1];
    uint8_t hdr[SCAN_G4_HDR_SIZE];
    uint8_t tail[SCAN_G4_TAIL_SIZE];
    uint8_t raw[SCAN_G4_RAWBUF_SIZE];
};

/* Starts a page: opens the temporary blob tmp_name for writing (replacing
 * any older blob of that name) and libtiff on it, sets the tags. On failure
 * nothing is left open and no abort is needed. Returns 0 or SCAN_G4_ERR_*. */
int scan_g4_init(struct scan_g4 *g, const struct scan_g4_params *p, const struct hal_storage *st,
                 const char *tmp_name);

/* Encodes `rows` rows of band ((width + 7) / 8 bytes each, 1 = black). The
 * band is only read. Writing more rows than the height is SCAN_G4_ERR_STATE.
 * On any error the page is dropped (as by scan_g4_abort()).
 * Returns 0 or SCAN_G4_ERR_*. */
int scan_g4_write_lines(struct scan_g4 *g, const uint8_t *band, unsigned rows);

/* Completes the TIFF (libtiff writes the IFD), then streams the whole file,
 * header first, to sink (e.g. spool_writer_write on an open spool writer,
 * which the caller commits afterwards), and removes the temporary blob. All
 * rows must have been written. Releases libtiff whatever the result.
 * Returns 0 or SCAN_G4_ERR_*. */
int scan_g4_finish(struct scan_g4 *g, scan_g4_sink_fn sink, void *sink_arg);

/* Drops the page in progress: frees libtiff, discards the temporary blob.
 * Safe on a zeroed, failed, finished or already aborted context. */
void scan_g4_abort(struct scan_g4 *g);

/* After a successful scan_g4_finish(): the geometry and the strip's offset
 * and length inside the TIFF (offset SCAN_G4_HDR_SIZE by construction).
 * Returns 0, or SCAN_G4_ERR_STATE before that. */
int scan_g4_strip(const struct scan_g4 *g, struct scan_g4_info *info);

/* TIFF bytes given to the sink by scan_g4_finish() (the page blob's size). */
uint32_t scan_g4_file_size(const struct scan_g4 *g);

/* Rows written so far. */
unsigned scan_g4_rows(const struct scan_g4 *g);
/* The storage HAL's code behind the last SCAN_G4_ERR_IO / _FULL, else 0. */
int scan_g4_storage_error(const struct scan_g4 *g);
/* The sink's code behind the last SCAN_G4_ERR_SINK, else 0. */
int scan_g4_sink_error(const struct scan_g4 *g);

/* Reads an existing page blob (size bytes through read/arg, e.g.
 * spool_page_read on an open spool page) with libtiff in read mode and
 * fills *info: for the PDF and MTIFF writers when they only have the spool.
 * Requires one G4 strip and a single page. libtiff mallocs its directory
 * (about 3 KiB) for the duration of the call.
 * Returns 0, SCAN_G4_ERR_FORMAT, SCAN_G4_ERR_LIB or SCAN_G4_ERR_BAD_ARG. */
int scan_g4_probe(scan_g4_read_fn read, void *arg, uint32_t size, struct scan_g4_info *info);

#endif
