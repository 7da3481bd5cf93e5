/* CCITT G4 bilevel pages: libtiff over the storage HAL (see scan_g4.h). */
#include "scan_g4.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <tiffio.h>

#define SCAN_G4_DIM_MAX 65535u

/* libtiff's view of a blob being read by scan_g4_probe(). */
struct scan_g4_reader {
    scan_g4_read_fn read;
    void *arg;
    uint64_t size;
    uint64_t pos;
};

static int scan_g4_fail(struct scan_g4 *g, int err);
static void scan_g4_release(struct scan_g4 *g);
static int scan_g4_from_storage(struct scan_g4 *g, int rc);
static int scan_g4_set_tags(TIFF *tif, const struct scan_g4_params *p);
static int scan_g4_emit(struct scan_g4 *g, scan_g4_sink_fn sink, void *sink_arg);
static TIFF *scan_g4_tiff_open(const char *mode, void *ctx, TIFFReadWriteProc rd,
                               TIFFReadWriteProc wr, TIFFSeekProc sk, TIFFSizeProc sz, int *failed);
static int scan_g4_on_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap);
static int scan_g4_on_warning(TIFF *tif, void *user, const char *module, const char *fmt,
                              va_list ap);
static tmsize_t scan_g4_w_read(thandle_t h, void *buf, tmsize_t size);
static int scan_g4_flush_tail(struct scan_g4 *g);
static int scan_g4_append(struct scan_g4 *g, const uint8_t *p, size_t n);
static tmsize_t scan_g4_w_write(thandle_t h, void *buf, tmsize_t size);
static toff_t scan_g4_w_seek(thandle_t h, toff_t off, int whence);
static toff_t scan_g4_w_size(thandle_t h);
static tmsize_t scan_g4_r_read(thandle_t h, void *buf, tmsize_t size);
static tmsize_t scan_g4_r_write(thandle_t h, void *buf, tmsize_t size);
static toff_t scan_g4_r_seek(thandle_t h, toff_t off, int whence);
static toff_t scan_g4_r_size(thandle_t h);
static int scan_g4_close_proc(thandle_t h);
static int scan_g4_map_proc(thandle_t h, void **base, toff_t *size);
static void scan_g4_unmap_proc(thandle_t h, void *base, toff_t size);
static int scan_g4_seek_to(uint64_t *pos, uint64_t end, toff_t off, int whence);

int scan_g4_init(struct scan_g4 *g, const struct scan_g4_params *p, const struct hal_storage *st,
                 const char *tmp_name)
{
    TIFF *tif;
    int h;

    if (g == NULL)
        return SCAN_G4_ERR_BAD_ARG;
    memset(g, 0, sizeof(*g));
    if (p == NULL || st == NULL || tmp_name == NULL || p->width == 0 ||
        p->width > SCAN_G4_DIM_MAX || p->height == 0 || p->height > SCAN_G4_DIM_MAX ||
        p->dpi == 0 || p->dpi > 65535 || strlen(tmp_name) > HAL_STORAGE_NAME_MAX)
        return SCAN_G4_ERR_BAD_ARG;
    strcpy(g->tmp_name, tmp_name);
    g->st = st;
    g->info.width = p->width;
    g->info.height = p->height;
    g->info.dpi = p->dpi;
    g->row_bytes = (p->width + 7) / 8;
    g->tail_base = SCAN_G4_HDR_SIZE;

    h = hal_storage_open(st, tmp_name, HAL_STORAGE_WRITE);
    if (h < 0)
        return h == HAL_STORAGE_ERR_BAD_ARG ? SCAN_G4_ERR_BAD_ARG : scan_g4_from_storage(g, h);
    g->tmp_h = h;
    g->tmp_open = 1;
    g->state = SCAN_G4_RUNNING;

    /* "l": little-endian whatever the host, as the MTIFF writer assumes. */
    tif = scan_g4_tiff_open("wl", g, scan_g4_w_read, scan_g4_w_write, scan_g4_w_seek,
                            scan_g4_w_size, &g->lib_failed);
    if (tif == NULL)
        return scan_g4_fail(g, g->storage_error != 0 ? scan_g4_from_storage(g, g->storage_error)
                                                     : SCAN_G4_ERR_LIB);
    g->tif = tif;
    /* Our buffer instead of libtiff's default: one whole uncompressed strip,
     * i.e. the whole page (1 MiB at 300 dpi Letter). */
    if (!scan_g4_set_tags(tif, p) || !TIFFWriteBufferSetup(tif, g->raw, sizeof(g->raw)))
        return scan_g4_fail(g, SCAN_G4_ERR_LIB);
    return 0;
}

int scan_g4_write_lines(struct scan_g4 *g, const uint8_t *band, unsigned rows)
{
    if (g == NULL || (band == NULL && rows > 0))
        return SCAN_G4_ERR_BAD_ARG;
    if (g->state != SCAN_G4_RUNNING)
        return SCAN_G4_ERR_STATE;
    if (rows > g->info.height - g->rows)
        return scan_g4_fail(g, SCAN_G4_ERR_STATE);
    for (unsigned i = 0; i < rows; i++) {
        /* The G4 encoder only reads the row (FillOrder 1: no bit reversal
         * of the input); libtiff's API lacks const. */
        void *row = (void *)(uintptr_t)(band + (size_t)i * g->row_bytes);
        if (TIFFWriteScanline(g->tif, row, g->rows, 0) < 0)
            return scan_g4_fail(g, g->storage_error != 0 ? scan_g4_from_storage(g, g->storage_error)
                                                         : SCAN_G4_ERR_LIB);
        g->rows++;
    }
    return 0;
}

int scan_g4_finish(struct scan_g4 *g, scan_g4_sink_fn sink, void *sink_arg)
{
    TIFF *tif;
    int rc;

    if (g == NULL || sink == NULL)
        return SCAN_G4_ERR_BAD_ARG;
    if (g->state != SCAN_G4_RUNNING)
        return SCAN_G4_ERR_STATE;
    if (g->rows != g->info.height)
        return scan_g4_fail(g, SCAN_G4_ERR_STATE);
    tif = g->tif;
    if (!TIFFFlushData(tif))
        goto lib_error;
    g->info.strip_off = (uint32_t)TIFFGetStrileOffset(tif, 0);
    g->info.strip_len = (uint32_t)TIFFGetStrileByteCount(tif, 0);
    /* Writes the IFD after the strip and patches the header's IFD offset
     * (in g->hdr). TIFFClose() would then flush the fresh empty directory
     * libtiff creates after writing one; TIFFCleanup() only frees. */
    if (!TIFFWriteDirectory(tif))
        goto lib_error;
    TIFFCleanup(tif);
    g->tif = NULL;
    if (scan_g4_flush_tail(g) != 0)
        return scan_g4_fail(g, scan_g4_from_storage(g, g->storage_error));
    if (g->lib_failed || g->end > UINT32_MAX)
        return scan_g4_fail(g, SCAN_G4_ERR_LIB);
    /* The layout the header promises (and the PDF writer relies on). */
    if (g->info.strip_off != SCAN_G4_HDR_SIZE || g->info.strip_len == 0 ||
        (uint64_t)g->info.strip_off + g->info.strip_len > g->end)
        return scan_g4_fail(g, SCAN_G4_ERR_LIB);

    rc = hal_storage_commit(g->st, g->tmp_h);
    g->tmp_open = 0;
    if (rc != 0)
        return scan_g4_fail(g, scan_g4_from_storage(g, rc));
    rc = scan_g4_emit(g, sink, sink_arg);
    (void)hal_storage_remove(g->st, g->tmp_name);
    if (rc != 0)
        return scan_g4_fail(g, rc);
    g->state = SCAN_G4_DONE;
    return 0;

lib_error:
    return scan_g4_fail(g, g->storage_error != 0 ? scan_g4_from_storage(g, g->storage_error)
                                                 : SCAN_G4_ERR_LIB);
}

void scan_g4_abort(struct scan_g4 *g)
{
    if (g != NULL && g->state == SCAN_G4_RUNNING) {
        scan_g4_release(g);
        g->state = SCAN_G4_FAILED;
    }
}

int scan_g4_strip(const struct scan_g4 *g, struct scan_g4_info *info)
{
    if (g == NULL || info == NULL)
        return SCAN_G4_ERR_BAD_ARG;
    if (g->state != SCAN_G4_DONE)
        return SCAN_G4_ERR_STATE;
    *info = g->info;
    return 0;
}

uint32_t scan_g4_file_size(const struct scan_g4 *g)
{
    return g->state == SCAN_G4_DONE ? (uint32_t)g->end : 0;
}

unsigned scan_g4_rows(const struct scan_g4 *g)
{
    return g->rows;
}
int scan_g4_storage_error(const struct scan_g4 *g)
{
    return g->storage_error;
}
int scan_g4_sink_error(const struct scan_g4 *g)
{
    return g->sink_error;
}

int scan_g4_probe(scan_g4_read_fn read, void *arg, uint32_t size, struct scan_g4_info *info)
{
    struct scan_g4_reader r = {read, arg, size, 0};
    uint32_t w = 0, h = 0, rps = 0;
    uint16_t comp = 0, bps = 0, spp = 0, unit = 0;
    float xres = 0;
    int failed = 0;
    int rc = SCAN_G4_ERR_FORMAT;
    TIFF *tif;

    if (read == NULL || info == NULL)
        return SCAN_G4_ERR_BAD_ARG;
    memset(info, 0, sizeof(*info));
    /* "m": no memory mapping (our procs have nothing to map). */
    tif = scan_g4_tiff_open("rm", &r, scan_g4_r_read, scan_g4_r_write, scan_g4_r_seek,
                            scan_g4_r_size, &failed);
    if (tif == NULL)
        return SCAN_G4_ERR_FORMAT;
    if (!TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w) || !TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h) ||
        !TIFFGetField(tif, TIFFTAG_COMPRESSION, &comp) || comp != COMPRESSION_CCITTFAX4 ||
        !TIFFGetFieldDefaulted(tif, TIFFTAG_BITSPERSAMPLE, &bps) || bps != 1 ||
        !TIFFGetFieldDefaulted(tif, TIFFTAG_SAMPLESPERPIXEL, &spp) || spp != 1 ||
        !TIFFGetFieldDefaulted(tif, TIFFTAG_ROWSPERSTRIP, &rps) || rps < h ||
        TIFFNumberOfStrips(tif) != 1 || !TIFFGetField(tif, TIFFTAG_XRESOLUTION, &xres) ||
        !TIFFGetFieldDefaulted(tif, TIFFTAG_RESOLUTIONUNIT, &unit) || unit != RESUNIT_INCH ||
        w == 0 || w > SCAN_G4_DIM_MAX || h == 0 || h > SCAN_G4_DIM_MAX || xres < 0.5f ||
        xres > 65535.5f)
        goto exit;
    {
        uint64_t off = TIFFGetStrileOffset(tif, 0);
        uint64_t len = TIFFGetStrileByteCount(tif, 0);
        if (len == 0 || off + len > size || TIFFReadDirectory(tif))
            goto exit; /* truncated strip, or more than one page */
        info->width = w;
        info->height = h;
        info->dpi = (unsigned)(xres + 0.5f);
        info->strip_off = (uint32_t)off;
        info->strip_len = (uint32_t)len;
    }
    rc = 0;
exit:
    TIFFClose(tif);
    return rc;
}

/* Emits header + the committed temporary blob to the sink, reusing the raw
 * buffer (libtiff is gone by now). */
static int scan_g4_emit(struct scan_g4 *g, scan_g4_sink_fn sink, void *sink_arg)
{
    uint32_t body = (uint32_t)(g->end - SCAN_G4_HDR_SIZE);
    uint32_t off = 0;
    int h, rc;

    h = hal_storage_open(g->st, g->tmp_name, HAL_STORAGE_READ);
    if (h < 0)
        return scan_g4_from_storage(g, h);
    rc = sink(sink_arg, g->hdr, sizeof(g->hdr));
    while (rc == 0 && off < body) {
        size_t want = body - off < sizeof(g->raw) ? body - off : sizeof(g->raw);
        long n = hal_storage_read(g->st, h, off, g->raw, want);
        if (n <= 0) {
            hal_storage_close(g->st, h);
            return scan_g4_from_storage(g, n < 0 ? (int)n : HAL_STORAGE_ERR_IO);
        }
        rc = sink(sink_arg, g->raw, (size_t)n);
        off += (uint32_t)n;
    }
    hal_storage_close(g->st, h);
    if (rc != 0) {
        g->sink_error = rc < 0 ? rc : -rc;
        return SCAN_G4_ERR_SINK;
    }
    return 0;
}

static int scan_g4_set_tags(TIFF *tif, const struct scan_g4_params *p)
{
    return TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, (uint32_t)p->width) &&
           TIFFSetField(tif, TIFFTAG_IMAGELENGTH, (uint32_t)p->height) &&
           TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, 1) &&
           TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, 1) &&
           TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4) &&
           TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE) &&
           TIFFSetField(tif, TIFFTAG_FILLORDER, FILLORDER_MSB2LSB) &&
           TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG) &&
           TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, (uint32_t)p->height) &&
           TIFFSetField(tif, TIFFTAG_XRESOLUTION, (double)p->dpi) &&
           TIFFSetField(tif, TIFFTAG_YRESOLUTION, (double)p->dpi) &&
           TIFFSetField(tif, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH) &&
           TIFFSetField(tif, TIFFTAG_GROUP4OPTIONS, (uint32_t)0);
}

static int scan_g4_fail(struct scan_g4 *g, int err)
{
    scan_g4_release(g);
    g->state = SCAN_G4_FAILED;
    return err;
}

static void scan_g4_release(struct scan_g4 *g)
{
    if (g->tif != NULL) {
        TIFFCleanup(g->tif); /* frees without flushing a half-written file */
        g->tif = NULL;
    }
    if (g->tmp_open) {
        hal_storage_close(g->st, g->tmp_h); /* uncommitted: discarded */
        g->tmp_open = 0;
    }
}

static int scan_g4_from_storage(struct scan_g4 *g, int rc)
{
    g->storage_error = rc;
    return rc == HAL_STORAGE_ERR_FULL ? SCAN_G4_ERR_FULL : SCAN_G4_ERR_IO;
}

static TIFF *scan_g4_tiff_open(const char *mode, void *ctx, TIFFReadWriteProc rd,
                               TIFFReadWriteProc wr, TIFFSeekProc sk, TIFFSizeProc sz, int *failed)
{
    TIFFOpenOptions *opts = TIFFOpenOptionsAlloc();
    TIFF *tif;

    if (opts == NULL)
        return NULL;
    TIFFOpenOptionsSetErrorHandlerExtR(opts, scan_g4_on_error, failed);
    TIFFOpenOptionsSetWarningHandlerExtR(opts, scan_g4_on_warning, NULL);
    tif = TIFFClientOpenExt("scan_g4", mode, ctx, rd, wr, sk, scan_g4_close_proc, sz,
                            scan_g4_map_proc, scan_g4_unmap_proc, opts);
    TIFFOpenOptionsFree(opts);
    return tif;
}

/* Returning 1 keeps libtiff's global handler (stderr) out of it. */
static int scan_g4_on_error(TIFF *tif, void *user, const char *module, const char *fmt, va_list ap)
{
    (void)tif;
    (void)module;
    (void)fmt;
    (void)ap;
    if (user != NULL)
        *(int *)user = 1;
    return 1;
}

static int scan_g4_on_warning(TIFF *tif, void *user, const char *module, const char *fmt,
                              va_list ap)
{
    (void)tif;
    (void)user;
    (void)module;
    (void)fmt;
    (void)ap;
    return 1;
}

/* Write mode. What libtiff 4.5.0 does here (traced through these procs):
 *   open:               write 8 at 0 (the header, IFD offset 0)
 *   TIFFWriteScanline:  write the strip at 8, in raw-buffer pieces
 *   TIFFWriteDirectory: seek end; write 4 at 4 (the IFD offset, end rounded
 *                       up to even); write the out-of-line values (the two
 *                       resolutions) at IFD offset + IFD size; then the IFD
 *                       itself at the IFD offset, into the hole left before
 *                       the values (and one byte past an odd strip).
 * It never reads in write mode. So bytes 0..7 stay in RAM, and the last
 * SCAN_G4_TAIL_SIZE bytes stay in a RAM window where the hole is filled
 * before they are appended. A write below the window would be a rewrite the
 * append-only blob cannot do, and fails (libtiff then reports an error). */
static tmsize_t scan_g4_w_write(thandle_t h, void *buf, tmsize_t size)
{
    struct scan_g4 *g = (struct scan_g4 *)h;
    const uint8_t *p = buf;
    uint64_t pos = g->pos;
    size_t n = (size_t)size;

    if (size < 0)
        return -1;
    for (; n > 0 && pos < SCAN_G4_HDR_SIZE; n--)
        g->hdr[pos++] = *p++;
    if (n > 0) {
        if (pos < g->tail_base)
            return -1;
        if (pos + n > g->tail_base + sizeof(g->tail)) {
            if (scan_g4_flush_tail(g) != 0)
                return -1;
            if (pos < g->tail_base)
                return -1;
        }
        if (pos + n > g->tail_base + sizeof(g->tail)) {
            /* Larger than the window (the strip's pieces): the window was
             * just flushed, so zero-fill up to pos and append directly. */
            if (pos - g->tail_base > sizeof(g->tail))
                return -1; /* a gap larger than the window: never from libtiff */
            if (pos > g->tail_base) {
                g->end = pos;
                if (scan_g4_flush_tail(g) != 0)
                    return -1;
            }
            if (scan_g4_append(g, p, n) != 0)
                return -1;
            g->tail_base = pos + n;
        } else {
            memcpy(g->tail + (pos - g->tail_base), p, n);
        }
        pos += n;
    }
    g->pos = pos;
    if (pos > g->end)
        g->end = pos;
    return size;
}

/* Appends the window [tail_base, end) (holes read as zeros) and empties it. */
static int scan_g4_flush_tail(struct scan_g4 *g)
{
    size_t len = g->end > g->tail_base ? (size_t)(g->end - g->tail_base) : 0;

    if (len > 0 && scan_g4_append(g, g->tail, len) != 0)
        return -1;
    memset(g->tail, 0, len);
    g->tail_base += len;
    return 0;
}

static int scan_g4_append(struct scan_g4 *g, const uint8_t *p, size_t n)
{
    int rc = hal_storage_write(g->st, g->tmp_h, p, n);

    if (rc != 0) {
        g->storage_error = rc;
        return -1;
    }
    return 0;
}

static tmsize_t scan_g4_w_read(thandle_t h, void *buf, tmsize_t size)
{
    struct scan_g4 *g = (struct scan_g4 *)h;

    if (size < 0 || g->pos + (uint64_t)size > SCAN_G4_HDR_SIZE)
        return -1;
    memcpy(buf, g->hdr + g->pos, (size_t)size);
    g->pos += (uint64_t)size;
    return size;
}

static toff_t scan_g4_w_seek(thandle_t h, toff_t off, int whence)
{
    struct scan_g4 *g = (struct scan_g4 *)h;

    if (scan_g4_seek_to(&g->pos, g->end, off, whence) != 0)
        return (toff_t)-1;
    return g->pos;
}

static toff_t scan_g4_w_size(thandle_t h)
{
    return ((struct scan_g4 *)h)->end;
}

static tmsize_t scan_g4_r_read(thandle_t h, void *buf, tmsize_t size)
{
    struct scan_g4_reader *r = (struct scan_g4_reader *)h;
    uint8_t *p = buf;
    tmsize_t done = 0;

    while (done < size && r->pos < r->size) {
        uint64_t left = r->size - r->pos;
        size_t want = (uint64_t)(size - done) < left ? (size_t)(size - done) : (size_t)left;
        long n = r->read(r->arg, (uint32_t)r->pos, p + done, want);
        if (n < 0)
            return -1;
        if (n == 0)
            break;
        done += n;
        r->pos += (uint64_t)n;
    }
    return done;
}

static tmsize_t scan_g4_r_write(thandle_t h, void *buf, tmsize_t size)
{
    (void)h;
    (void)buf;
    (void)size;
    return -1;
}

static toff_t scan_g4_r_seek(thandle_t h, toff_t off, int whence)
{
    struct scan_g4_reader *r = (struct scan_g4_reader *)h;

    if (scan_g4_seek_to(&r->pos, r->size, off, whence) != 0)
        return (toff_t)-1;
    return r->pos;
}

static toff_t scan_g4_r_size(thandle_t h)
{
    return ((struct scan_g4_reader *)h)->size;
}

static int scan_g4_close_proc(thandle_t h)
{
    (void)h;
    return 0;
}

/* No mapping: libtiff falls back to read/seek. */
static int scan_g4_map_proc(thandle_t h, void **base, toff_t *size)
{
    (void)h;
    (void)base;
    (void)size;
    return 0;
}

static void scan_g4_unmap_proc(thandle_t h, void *base, toff_t size)
{
    (void)h;
    (void)base;
    (void)size;
}

/* Positions stay below 4 GiB: classic TIFF and the storage HAL's offsets. */
static int scan_g4_seek_to(uint64_t *pos, uint64_t end, toff_t off, int whence)
{
    uint64_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? *pos : end;

    if (whence != SEEK_SET && whence != SEEK_CUR && whence != SEEK_END)
        return -1;
    if (off > UINT32_MAX || base + off > UINT32_MAX)
        return -1;
    *pos = base + off;
    return 0;
}
