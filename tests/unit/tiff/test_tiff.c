/* scan_g4 (G4 page blobs through libtiff on the storage HAL) and tiffw (the
 * TIFF/MTIFF virtual file), checked by libtiff in-process and by the real
 * tools (tiffinfo, tiffdump, tiffcmp, tiff2rgba). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <tiffio.h>

#include "fake_scanner.h"
#include "fake_storage.h"
#include "jpeg_probe.h"
#include "scan_g4.h"
#include "scan_jpeg.h"
#include "spool.h"
#include "tiffw.h"

#define BW_W 203 /* not a multiple of 8: exercises the padded last byte */
#define BW_H 97
#define BW_DPI 300
#define BAND 16

struct fixture {
    struct fake_storage fs;
    struct hal_storage st;
    char dir[64];
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    fake_storage_init(&f->fs);
    fake_storage_hal(&f->fs, &f->st);
    strcpy(f->dir, "/tmp/test_tiff.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    fake_storage_free(&f->fs);
    free(f);
    return 0;
}

/* A text-like bilevel pattern: a frame, diagonal strokes, dots, one white
 * and one black row. 1 = black. */
static int bw_pixel(unsigned x, unsigned y, unsigned seed)
{
    if (y == 10)
        return 0;
    if (y == 11)
        return 1;
    if (x == 0 || y == 0 || x == BW_W - 1 || y == BW_H - 1)
        return 1;
    if ((x + 2 * y + seed) % 17 < 2)
        return 1;
    return ((x * 7 + y * 13 + seed) % 29) == 0;
}

static void bw_raster(uint8_t *rows, unsigned seed)
{
    size_t rb = (BW_W + 7) / 8;

    memset(rows, 0, rb * BW_H);
    for (unsigned y = 0; y < BW_H; y++)
        for (unsigned x = 0; x < BW_W; x++)
            if (bw_pixel(x, y, seed))
                rows[y * rb + x / 8] |= (uint8_t)(0x80 >> (x % 8));
}

static int spool_sink(void *arg, const uint8_t *buf, size_t len)
{
    return spool_writer_write(arg, buf, len);
}

/* Encodes the pattern as G4 page `name` through the spool, band by band. */
static void make_g4_page(struct fixture *f, const char *name, unsigned seed,
                         struct scan_g4_info *info)
{
    static const struct scan_g4_params p = {BW_W, BW_H, BW_DPI};
    size_t rb = (BW_W + 7) / 8;
    uint8_t *rows = malloc(rb * BW_H);
    struct spool_writer sw;
    struct scan_g4 *g = malloc(sizeof(*g));

    assert_non_null(rows);
    assert_non_null(g);
    bw_raster(rows, seed);
    assert_int_equal(spool_writer_open(&sw, &f->st, name), 0);
    assert_int_equal(scan_g4_init(g, &p, &f->st, "tmp.g4t"), 0);
    for (unsigned y = 0; y < BW_H; y += BAND) {
        unsigned n = BW_H - y < BAND ? BW_H - y : BAND;
        assert_int_equal(scan_g4_write_lines(g, rows + y * rb, n), 0);
    }
    assert_int_equal(scan_g4_finish(g, spool_sink, &sw), 0);
    assert_int_equal(spool_writer_commit(&sw), 0);
    assert_int_equal(scan_g4_strip(g, info), 0);
    assert_int_equal(scan_g4_file_size(g), spool_writer_length(&sw));
    free(g);
    free(rows);
}

static void make_jpeg_page(struct fixture *f, const char *name, unsigned components, unsigned index,
                           unsigned w, unsigned h)
{
    struct scan_jpeg_params p = {w, h, components, 200, 90};
    uint8_t *px = malloc((size_t)w * h * components);
    struct scan_jpeg *j = malloc(sizeof(*j));
    struct spool_writer sw;

    assert_non_null(px);
    assert_non_null(j);
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++)
            for (unsigned c = 0; c < components; c++)
                px[((size_t)y * w + x) * components + c] = fake_scanner_pixel(index, x, y, c);
    assert_int_equal(spool_writer_open(&sw, &f->st, name), 0);
    assert_int_equal(scan_jpeg_init(j, &p, spool_sink, &sw), 0);
    assert_int_equal(scan_jpeg_write_lines(j, px, h), 0);
    assert_int_equal(scan_jpeg_finish(j), 0);
    assert_int_equal(spool_writer_commit(&sw), 0);
    free(j);
    free(px);
}

static void write_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *fp = fopen(path, "wb");

    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
}

/* Checks the directory tif is on against the pattern, bit for bit. */
static void check_bw_directory(TIFF *tif, unsigned seed)
{
    size_t rb = (BW_W + 7) / 8;
    uint8_t *want = malloc(rb * BW_H);
    uint8_t *row = malloc((size_t)TIFFScanlineSize(tif));
    uint32_t w = 0, h = 0, rps = 0;
    uint16_t bps = 0, comp = 0, photo = 0, fill = 0, unit = 0;
    float xres = 0, yres = 0;

    assert_non_null(want);
    assert_non_null(row);
    assert_true(TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &w));
    assert_true(TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &h));
    assert_true(TIFFGetField(tif, TIFFTAG_BITSPERSAMPLE, &bps));
    assert_true(TIFFGetField(tif, TIFFTAG_COMPRESSION, &comp));
    assert_true(TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photo));
    assert_true(TIFFGetField(tif, TIFFTAG_FILLORDER, &fill));
    assert_true(TIFFGetField(tif, TIFFTAG_ROWSPERSTRIP, &rps));
    assert_true(TIFFGetField(tif, TIFFTAG_XRESOLUTION, &xres));
    assert_true(TIFFGetField(tif, TIFFTAG_YRESOLUTION, &yres));
    assert_true(TIFFGetField(tif, TIFFTAG_RESOLUTIONUNIT, &unit));
    assert_int_equal(w, BW_W);
    assert_int_equal(h, BW_H);
    assert_int_equal(bps, 1);
    assert_int_equal(comp, COMPRESSION_CCITTFAX4);
    assert_int_equal(photo, PHOTOMETRIC_MINISWHITE);
    assert_int_equal(fill, FILLORDER_MSB2LSB);
    assert_int_equal(rps, BW_H);
    assert_int_equal((int)xres, BW_DPI);
    assert_int_equal((int)yres, BW_DPI);
    assert_int_equal(unit, RESUNIT_INCH);
    assert_int_equal(TIFFNumberOfStrips(tif), 1);
    assert_int_equal((size_t)TIFFScanlineSize(tif), rb);

    /* The bits past the width in a row's last byte are padding: libtiff's
     * decoder may fill a run up to the byte's end there, so they are masked. */
    bw_raster(want, seed);
    for (uint32_t y = 0; y < h; y++) {
        assert_int_equal(TIFFReadScanline(tif, row, y, 0), 1);
        row[rb - 1] &= (uint8_t)(0xff00 >> (BW_W % 8 != 0 ? BW_W % 8 : 8));
        assert_memory_equal(row, want + y * rb, rb);
    }
    free(row);
    free(want);
}

static void test_g4_page_blob_is_a_tiff_that_libtiff_decodes_bit_exact(void **state)
{
    struct fixture *f = *state;
    struct scan_g4_info info;
    char path[128];
    size_t len = 0;
    uint8_t *blob;
    uint32_t diroff;
    TIFF *tif;

    make_g4_page(f, "p0001.tif", 0, &info);
    assert_int_equal(spool_page_verify(&f->st, "p0001.tif", NULL), 0);
    blob = fake_storage_blob(&f->fs, "p0001.tif", &len);
    assert_non_null(blob);
    assert_memory_equal(blob, "II*\0", 4);

    /* Layout: header, strip at 8, IFD right after the (word-aligned) strip. */
    assert_int_equal(info.strip_off, SCAN_G4_HDR_SIZE);
    assert_true(info.strip_len > 0);
    assert_int_equal(info.width, BW_W);
    assert_int_equal(info.height, BW_H);
    assert_int_equal(info.dpi, BW_DPI);
    diroff = (uint32_t)blob[4] | (uint32_t)blob[5] << 8 | (uint32_t)blob[6] << 16 |
             (uint32_t)blob[7] << 24;
    assert_int_equal(diroff, (info.strip_off + info.strip_len + 1) & ~1u);

    snprintf(path, sizeof(path), "%s/page.tif", f->dir);
    write_file(path, blob, len);
    tif = TIFFOpen(path, "r");
    assert_non_null(tif);
    assert_int_equal(TIFFNumberOfDirectories(tif), 1);
    assert_int_equal(TIFFGetStrileOffset(tif, 0), info.strip_off);
    assert_int_equal(TIFFGetStrileByteCount(tif, 0), info.strip_len);
    check_bw_directory(tif, 0);
    TIFFClose(tif);
}

/* Noise compresses badly: the strip spans many raw-buffer flushes, which take
 * the direct path past the RAM window, and the IFD lands after an odd or
 * even strip alike. */
static void test_g4_large_noisy_page_round_trips_bit_exact(void **state)
{
    enum { NW = 1001, NH = 120, NRB = (NW + 7) / 8 };
    struct fixture *f = *state;
    static const struct scan_g4_params p = {NW, NH, 600};
    uint8_t *rows = malloc((size_t)NRB * NH);
    uint8_t row[NRB];
    struct scan_g4 *g = malloc(sizeof(*g));
    struct scan_g4_info info;
    struct spool_writer sw;
    char path[128];
    size_t len = 0;
    uint32_t seed = 12345;
    uint8_t *blob;
    TIFF *tif;

    assert_non_null(rows);
    assert_non_null(g);
    for (size_t i = 0; i < (size_t)NRB * NH; i++) {
        seed = seed * 1103515245u + 12345u;
        rows[i] = (uint8_t)(seed >> 16);
    }
    for (unsigned y = 0; y < NH; y++)
        rows[y * NRB + NRB - 1] &= (uint8_t)(0xff00 >> (NW % 8));
    assert_int_equal(spool_writer_open(&sw, &f->st, "p0009.tif"), 0);
    assert_int_equal(scan_g4_init(g, &p, &f->st, "tmp.g4t"), 0);
    for (unsigned y = 0; y < NH; y += 7) {
        unsigned n = NH - y < 7 ? NH - y : 7;
        assert_int_equal(scan_g4_write_lines(g, rows + y * NRB, n), 0);
    }
    assert_int_equal(scan_g4_finish(g, spool_sink, &sw), 0);
    assert_int_equal(spool_writer_commit(&sw), 0);
    assert_int_equal(scan_g4_strip(g, &info), 0);
    assert_true(info.strip_len > 4 * SCAN_G4_RAWBUF_SIZE);

    snprintf(path, sizeof(path), "%s/noise.tif", f->dir);
    blob = fake_storage_blob(&f->fs, "p0009.tif", &len);
    assert_non_null(blob);
    write_file(path, blob, len);
    assert_int_equal(len, scan_g4_file_size(g));
    tif = TIFFOpen(path, "r");
    assert_non_null(tif);
    assert_int_equal(TIFFGetStrileByteCount(tif, 0), info.strip_len);
    for (uint32_t y = 0; y < NH; y++) {
        assert_int_equal(TIFFReadScanline(tif, row, y, 0), 1);
        row[NRB - 1] &= (uint8_t)(0xff00 >> (NW % 8));
        assert_memory_equal(row, rows + y * NRB, NRB);
    }
    TIFFClose(tif);
    free(g);
    free(rows);
}

static void test_g4_leaves_no_temporary_blob_and_no_open_handle(void **state)
{
    struct fixture *f = *state;
    struct scan_g4_info info;

    make_g4_page(f, "p0001.tif", 0, &info);
    assert_null(fake_storage_blob(&f->fs, "tmp.g4t", NULL));
    assert_int_equal(fake_storage_count(&f->fs), 2); /* data + spool header */
    assert_int_equal(fake_storage_open_handles(&f->fs), 0);
}

static void test_g4_probe_reads_the_strip_back_through_libtiff(void **state)
{
    struct fixture *f = *state;
    struct scan_g4_info made, probed;
    struct spool_page pg;

    make_g4_page(f, "p0001.tif", 3, &made);
    assert_int_equal(spool_page_open(&pg, &f->st, "p0001.tif"), 0);
    assert_int_equal(scan_g4_probe(spool_page_read, &pg, spool_page_size(&pg), &probed), 0);
    spool_page_close(&pg);
    assert_memory_equal(&made, &probed, sizeof(made));
}

static long mem_read(void *arg, uint32_t off, uint8_t *buf, size_t cap)
{
    const uint8_t *data = ((const uint8_t **)arg)[0];
    size_t len = (size_t)(uintptr_t)((const uint8_t **)arg)[1];

    if (off >= len)
        return 0;
    if (cap > len - off)
        cap = len - off;
    memcpy(buf, data + off, cap);
    return (long)cap;
}

static void test_g4_probe_rejects_a_jpeg_and_a_truncated_tiff(void **state)
{
    struct fixture *f = *state;
    struct scan_g4_info info;
    const uint8_t *mem[2];
    size_t len = 0;

    make_jpeg_page(f, "p0002.jpg", 3, 0, 32, 16);
    mem[0] = fake_storage_blob(&f->fs, "p0002.jpg", &len);
    mem[1] = (const uint8_t *)(uintptr_t)len;
    assert_int_equal(scan_g4_probe(mem_read, mem, (uint32_t)len, &info), SCAN_G4_ERR_FORMAT);

    make_g4_page(f, "p0001.tif", 0, &info);
    mem[0] = fake_storage_blob(&f->fs, "p0001.tif", &len);
    /* Cut inside the IFD: libtiff cannot read the directory. */
    mem[1] = (const uint8_t *)(uintptr_t)(len - 20);
    assert_int_equal(scan_g4_probe(mem_read, mem, (uint32_t)(len - 20), &info), SCAN_G4_ERR_FORMAT);
}

static void test_g4_finish_before_the_last_row_is_a_state_error(void **state)
{
    struct fixture *f = *state;
    static const struct scan_g4_params p = {BW_W, BW_H, BW_DPI};
    uint8_t rows[(BW_W + 7) / 8 * BAND] = {0};
    struct spool_writer sw;
    struct scan_g4 *g = malloc(sizeof(*g));

    assert_non_null(g);
    assert_int_equal(spool_writer_open(&sw, &f->st, "p0001.tif"), 0);
    assert_int_equal(scan_g4_init(g, &p, &f->st, "tmp.g4t"), 0);
    assert_int_equal(scan_g4_write_lines(g, rows, BAND), 0);
    assert_int_equal(scan_g4_finish(g, spool_sink, &sw), SCAN_G4_ERR_STATE);
    assert_int_equal(spool_writer_length(&sw), 0);
    scan_g4_abort(g); /* a no-op now, and safe */
    spool_writer_abort(&sw);
    assert_int_equal(fake_storage_open_handles(&f->fs), 0);
    assert_int_equal(fake_storage_count(&f->fs), 0);
    free(g);
}

static void test_g4_more_rows_than_the_height_is_a_state_error(void **state)
{
    struct fixture *f = *state;
    static const struct scan_g4_params p = {16, 4, 100};
    uint8_t rows[2 * 5] = {0};
    struct scan_g4 *g = malloc(sizeof(*g));

    assert_non_null(g);
    assert_int_equal(scan_g4_init(g, &p, &f->st, "tmp.g4t"), 0);
    assert_int_equal(scan_g4_write_lines(g, rows, 5), SCAN_G4_ERR_STATE);
    assert_int_equal(fake_storage_open_handles(&f->fs), 0);
    free(g);
}

static void test_g4_init_rejects_zero_width_and_null_storage(void **state)
{
    struct fixture *f = *state;
    struct scan_g4_params p = {0, 10, 300};
    struct scan_g4 *g = malloc(sizeof(*g));

    assert_non_null(g);
    assert_int_equal(scan_g4_init(g, &p, &f->st, "tmp.g4t"), SCAN_G4_ERR_BAD_ARG);
    p.width = 10;
    assert_int_equal(scan_g4_init(g, &p, NULL, "tmp.g4t"), SCAN_G4_ERR_BAD_ARG);
    assert_int_equal(fake_storage_open_handles(&f->fs), 0);
    free(g);
}

static void test_g4_storage_failure_is_reported_and_nothing_is_left(void **state)
{
    struct fixture *f = *state;
    static const struct scan_g4_params p = {BW_W, BW_H, BW_DPI};
    size_t rb = (BW_W + 7) / 8;
    uint8_t *rows = malloc(rb * BW_H);
    struct spool_writer sw;
    struct scan_g4 *g = malloc(sizeof(*g));
    int rc = 0;

    assert_non_null(rows);
    assert_non_null(g);
    bw_raster(rows, 0);
    fake_storage_fail_after(&f->fs, 100);
    assert_int_equal(spool_writer_open(&sw, &f->st, "p0001.tif"), 0);
    assert_int_equal(scan_g4_init(g, &p, &f->st, "tmp.g4t"), 0);
    for (unsigned y = 0; y < BW_H && rc == 0; y += BAND) {
        unsigned n = BW_H - y < BAND ? BW_H - y : BAND;
        rc = scan_g4_write_lines(g, rows + y * rb, n);
    }
    if (rc == 0)
        rc = scan_g4_finish(g, spool_sink, &sw);
    assert_int_equal(rc, SCAN_G4_ERR_IO);
    assert_int_equal(scan_g4_storage_error(g), HAL_STORAGE_ERR_IO);
    scan_g4_abort(g);
    spool_writer_abort(&sw);
    assert_int_equal(fake_storage_open_handles(&f->fs), 0);
    assert_null(fake_storage_blob(&f->fs, "tmp.g4t", NULL));
    free(g);
    free(rows);
}

static int failing_sink(void *arg, const uint8_t *buf, size_t len)
{
    (void)arg;
    (void)buf;
    (void)len;
    return -77;
}

static void test_g4_sink_failure_keeps_the_sinks_code(void **state)
{
    struct fixture *f = *state;
    static const struct scan_g4_params p = {16, 2, 100};
    uint8_t rows[4] = {0xff, 0x00, 0x0f, 0xf0};
    struct scan_g4 *g = malloc(sizeof(*g));

    assert_non_null(g);
    assert_int_equal(scan_g4_init(g, &p, &f->st, "tmp.g4t"), 0);
    assert_int_equal(scan_g4_write_lines(g, rows, 2), 0);
    assert_int_equal(scan_g4_finish(g, failing_sink, NULL), SCAN_G4_ERR_SINK);
    assert_int_equal(scan_g4_sink_error(g), -77);
    assert_null(fake_storage_blob(&f->fs, "tmp.g4t", NULL));
    assert_int_equal(fake_storage_open_handles(&f->fs), 0);
    free(g);
}

/* ---- tiffw ---- */

struct mtiff {
    struct spool_page pg[3];
    struct tiffw_page pages[3];
    struct tiffw w;
    uint32_t size;
};

#define J_W 120
#define J_H 72

/* Page 1: G4, page 2: colour JPEG, page 3: grey JPEG. */
static void make_mtiff(struct fixture *f, struct mtiff *m)
{
    struct scan_g4_info info;

    make_g4_page(f, "p0001.tif", 5, &info);
    make_jpeg_page(f, "p0002.jpg", 3, 1, J_W, J_H);
    make_jpeg_page(f, "p0003.jpg", 1, 2, J_W + 1, J_H + 3);
    assert_int_equal(spool_page_open(&m->pg[0], &f->st, "p0001.tif"), 0);
    assert_int_equal(spool_page_open(&m->pg[1], &f->st, "p0002.jpg"), 0);
    assert_int_equal(spool_page_open(&m->pg[2], &f->st, "p0003.jpg"), 0);
    m->pages[0] = (struct tiffw_page){TIFFW_G4,
                                      BW_W,
                                      BW_H,
                                      BW_DPI,
                                      1,
                                      spool_page_size(&m->pg[0]),
                                      info.strip_off,
                                      info.strip_len,
                                      spool_page_read,
                                      &m->pg[0]};
    m->pages[1] = (struct tiffw_page){
        TIFFW_JPEG, J_W, J_H, 200, 3, spool_page_size(&m->pg[1]), 0, 0, spool_page_read, &m->pg[1]};
    m->pages[2] = (struct tiffw_page){
        TIFFW_JPEG, J_W + 1, J_H + 3,         200,      1, spool_page_size(&m->pg[2]),
        0,          0,       spool_page_read, &m->pg[2]};
    assert_int_equal(tiffw_init(&m->w, m->pages, 3, &m->size), 0);
}

static void close_mtiff(struct mtiff *m)
{
    for (unsigned i = 0; i < 3; i++)
        spool_page_close(&m->pg[i]);
}

/* Reads the whole virtual file with reads of `cap` bytes at increasing offsets. */
static uint8_t *read_all(struct tiffw *w, uint32_t size, size_t cap)
{
    uint8_t *out = malloc(size + 1);
    uint32_t off = 0;

    assert_non_null(out);
    while (off < size) {
        long n = tiffw_read(w, off, out + off, cap);
        assert_true(n > 0);
        assert_true((size_t)n <= cap);
        off += (uint32_t)n;
    }
    assert_int_equal(off, size);
    assert_int_equal(tiffw_read(w, size, out, 1), 0); /* the end */
    return out;
}

static void test_mtiff_size_is_exact_and_reads_of_any_cap_agree(void **state)
{
    struct fixture *f = *state;
    struct mtiff m;
    uint8_t *a, *b, *c;
    uint32_t sum = 8;

    make_mtiff(f, &m);
    for (unsigned i = 0; i < 3; i++)
        sum += tiffw_page_span(&m.pages[i]);
    assert_int_equal(m.size, sum);
    assert_int_equal(tiffw_size(&m.w), m.size);
    a = read_all(&m.w, m.size, 4096);
    b = read_all(&m.w, m.size, 1);
    c = read_all(&m.w, m.size, 7);
    assert_memory_equal(a, b, m.size);
    assert_memory_equal(a, c, m.size);
    /* Random access: backwards and across page boundaries. */
    for (uint32_t off = m.size - 1; off > 0; off = off > 997 ? off - 997 : 0) {
        uint8_t buf[300];
        long n = tiffw_read(&m.w, off, buf, sizeof(buf));
        uint32_t want = m.size - off < sizeof(buf) ? m.size - off : sizeof(buf);
        assert_int_equal(n, want);
        assert_memory_equal(buf, a + off, want);
    }
    /* An over-large cap stops at the end of the file. */
    assert_int_equal(tiffw_read(&m.w, m.size - 3, c, 4096), 3);
    free(a);
    free(b);
    free(c);
    close_mtiff(&m);
}

/* The JPEG page decoded by libtiff (RGBA, top-left) against libjpeg's own
 * decoding of the page blob: libtiff hands the strip to libjpeg with the same
 * colour conversion, so the pixels must be identical. */
static void check_jpeg_directory(struct fixture *f, TIFF *tif, const char *blob_name,
                                 unsigned components, unsigned w, unsigned h)
{
    struct jpeg_probe d;
    uint32_t tw = 0, th = 0;
    uint16_t comp = 0, photo = 0, spp = 0;
    size_t len = 0;
    const uint8_t *blob = fake_storage_blob(&f->fs, blob_name, &len);
    uint32_t *rgba = malloc((size_t)w * h * 4);

    assert_non_null(blob);
    assert_non_null(rgba);
    assert_true(TIFFGetField(tif, TIFFTAG_IMAGEWIDTH, &tw));
    assert_true(TIFFGetField(tif, TIFFTAG_IMAGELENGTH, &th));
    assert_true(TIFFGetField(tif, TIFFTAG_COMPRESSION, &comp));
    assert_true(TIFFGetField(tif, TIFFTAG_PHOTOMETRIC, &photo));
    assert_true(TIFFGetField(tif, TIFFTAG_SAMPLESPERPIXEL, &spp));
    assert_int_equal(tw, w);
    assert_int_equal(th, h);
    assert_int_equal(comp, COMPRESSION_JPEG);
    assert_int_equal(photo, components == 3 ? PHOTOMETRIC_YCBCR : PHOTOMETRIC_MINISBLACK);
    assert_int_equal(spp, components);
    assert_int_equal(TIFFGetStrileByteCount(tif, 0), len);

    assert_int_equal(jpeg_probe_decode(blob, len, &d), 0);
    assert_int_equal(d.components, components);
    assert_int_equal(TIFFReadRGBAImageOriented(tif, w, h, rgba, ORIENTATION_TOPLEFT, 0), 1);
    for (size_t i = 0; i < (size_t)w * h; i++) {
        const uint8_t *px = d.px + i * components;
        assert_int_equal(TIFFGetR(rgba[i]), px[0]);
        assert_int_equal(TIFFGetG(rgba[i]), px[components == 3 ? 1 : 0]);
        assert_int_equal(TIFFGetB(rgba[i]), px[components == 3 ? 2 : 0]);
    }
    free(d.px);
    free(rgba);
}

static void test_mtiff_of_g4_and_jpeg_pages_decodes_with_libtiff(void **state)
{
    struct fixture *f = *state;
    struct mtiff m;
    char path[128];
    uint8_t *data;
    uint16_t pno = 0, pcount = 0;
    TIFF *tif;

    make_mtiff(f, &m);
    data = read_all(&m.w, m.size, 4096);
    snprintf(path, sizeof(path), "%s/scan.tif", f->dir);
    write_file(path, data, m.size);
    free(data);

    tif = TIFFOpen(path, "r");
    assert_non_null(tif);
    assert_int_equal(TIFFNumberOfDirectories(tif), 3);
    check_bw_directory(tif, 5);
    assert_true(TIFFGetField(tif, TIFFTAG_PAGENUMBER, &pno, &pcount));
    assert_int_equal(pno, 0);
    assert_int_equal(pcount, 3);
    assert_int_equal(TIFFReadDirectory(tif), 1);
    check_jpeg_directory(f, tif, "p0002.jpg", 3, J_W, J_H);
    assert_int_equal(TIFFReadDirectory(tif), 1);
    check_jpeg_directory(f, tif, "p0003.jpg", 1, J_W + 1, J_H + 3);
    assert_true(TIFFGetField(tif, TIFFTAG_PAGENUMBER, &pno, &pcount));
    assert_int_equal(pno, 2);
    assert_int_equal(TIFFReadDirectory(tif), 0);
    TIFFClose(tif);
    close_mtiff(&m);
}

/* Runs a shell command; returns its exit status and keeps its stderr in err. */
static int run(const char *cmd, char *err, size_t cap, const char *err_path)
{
    char full[1024];
    FILE *fp;
    size_t n = 0;
    int rc;

    snprintf(full, sizeof(full), "%s >/dev/null 2>'%s'", cmd, err_path);
    rc = system(full);
    fp = fopen(err_path, "rb");
    if (fp != NULL) {
        n = fread(err, 1, cap - 1, fp);
        fclose(fp);
    }
    err[n] = '\0';
    if (rc != 0 || n != 0)
        print_message("%s -> %d: %s\n", cmd, rc, err);
    return rc;
}

static unsigned count_of(const char *text, const char *needle)
{
    unsigned n = 0;

    for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

static void test_mtiff_passes_tiffinfo_tiffdump_tiff2rgba_and_tiffcmp(void **state)
{
    struct fixture *f = *state;
    struct mtiff m;
    struct tiffw one;
    char path[128], single[128], cmd[512], err[1024], err_path[128], info[8192];
    uint8_t *data;
    FILE *fp;
    size_t len = 0;
    uint32_t size1 = 0;

    make_mtiff(f, &m);
    data = read_all(&m.w, m.size, 7);
    snprintf(path, sizeof(path), "%s/scan.tif", f->dir);
    snprintf(err_path, sizeof(err_path), "%s/err.txt", f->dir);
    write_file(path, data, m.size);
    free(data);

    /* -D decodes every strip; a decoding error or warning goes to stderr. */
    snprintf(cmd, sizeof(cmd), "tiffinfo -D '%s'", path);
    assert_int_equal(run(cmd, err, sizeof(err), err_path), 0);
    assert_string_equal(err, "");
    snprintf(cmd, sizeof(cmd), "tiffdump '%s'", path);
    assert_int_equal(run(cmd, err, sizeof(err), err_path), 0);
    assert_string_equal(err, "");
    snprintf(cmd, sizeof(cmd), "tiff2rgba '%s' '%s/rgba.tif'", path, f->dir);
    assert_int_equal(run(cmd, err, sizeof(err), err_path), 0);
    assert_string_equal(err, "");
    /* tiff2rgba wrote one RGBA directory per page. */
    snprintf(cmd, sizeof(cmd), "test $(tiffinfo '%s/rgba.tif' | grep -c 'Image Width') = 3",
             f->dir);
    assert_int_equal(run(cmd, err, sizeof(err), err_path), 0);

    /* The tags as tiffinfo names them, page by page. */
    snprintf(cmd, sizeof(cmd), "{ tiffinfo '%s' > '%s/info.txt'; }", path, f->dir);
    assert_int_equal(run(cmd, err, sizeof(err), err_path), 0);
    snprintf(cmd, sizeof(cmd), "%s/info.txt", f->dir);
    fp = fopen(cmd, "rb");
    assert_non_null(fp);
    info[fread(info, 1, sizeof(info) - 1, fp)] = '\0';
    fclose(fp);
    assert_int_equal(count_of(info, "Compression Scheme: CCITT Group 4"), 1);
    assert_int_equal(count_of(info, "Compression Scheme: JPEG"), 2);
    assert_int_equal(count_of(info, "Photometric Interpretation: min-is-white"), 1);
    assert_int_equal(count_of(info, "Photometric Interpretation: YCbCr"), 1);
    assert_int_equal(count_of(info, "Photometric Interpretation: min-is-black"), 1);
    assert_int_equal(count_of(info, "YCbCr Subsampling: 2, 2"), 1);
    assert_int_equal(count_of(info, "Resolution: 300, 300 pixels/inch"), 1);
    assert_int_equal(count_of(info, "Resolution: 200, 200 pixels/inch"), 2);
    assert_int_equal(count_of(info, "Image Width: 203 Image Length: 97"), 1);
    assert_int_equal(count_of(info, "Page Number: 2-3"), 1);

    /* A one-page TIFF from tiffw holds the same G4 page as the blob libtiff
     * wrote: tiffcmp compares their tags and decoded rows. */
    assert_int_equal(tiffw_init(&one, m.pages, 1, &size1), 0);
    data = read_all(&one, size1, 4096);
    snprintf(single, sizeof(single), "%s/one.tif", f->dir);
    write_file(single, data, size1);
    free(data);
    data = fake_storage_blob(&f->fs, "p0001.tif", &len);
    snprintf(path, sizeof(path), "%s/blob.tif", f->dir);
    write_file(path, data, len);
    snprintf(cmd, sizeof(cmd), "tiffcmp '%s' '%s'", path, single);
    assert_int_equal(run(cmd, err, sizeof(err), err_path), 0);
    close_mtiff(&m);
}

static long failing_read(void *arg, uint32_t off, uint8_t *buf, size_t cap)
{
    (void)arg;
    (void)off;
    (void)buf;
    (void)cap;
    return -9;
}

static void test_tiffw_reports_a_failing_page_reader_and_a_short_blob(void **state)
{
    struct tiffw w;
    struct tiffw_page pg = {TIFFW_JPEG, 10, 10, 100, 3, 50, 0, 0, failing_read, NULL};
    static const uint8_t five[5] = {1, 2, 3, 4, 5};
    const uint8_t *mem[2] = {five, (const uint8_t *)(uintptr_t)5};
    uint8_t buf[512];
    uint32_t size;

    (void)state;
    assert_int_equal(tiffw_init(&w, &pg, 1, &size), 0);
    assert_int_equal(tiffw_read(&w, 0, buf, sizeof(buf)), TIFFW_ERR_READ);
    assert_int_equal(tiffw_read_error(&w), -9);
    /* Declared 50 bytes, the blob holds 5. */
    pg.read = mem_read;
    pg.arg = mem;
    assert_int_equal(tiffw_init(&w, &pg, 1, &size), 0);
    assert_int_equal(tiffw_read(&w, 0, buf, sizeof(buf)), TIFFW_ERR_SHORT);
}

static void test_tiffw_rejects_bad_descriptors(void **state)
{
    struct tiffw w;
    struct tiffw_page pg = {TIFFW_G4, 10, 10, 100, 1, 100, 8, 93, failing_read, NULL};

    (void)state;
    assert_int_equal(tiffw_init(&w, &pg, 1, NULL), TIFFW_ERR_BAD_ARG); /* strip past the blob */
    pg.strip_len = 92;
    assert_int_equal(tiffw_init(&w, &pg, 1, NULL), 0);
    assert_int_equal(tiffw_init(&w, &pg, 0, NULL), TIFFW_ERR_BAD_ARG);
    pg.kind = TIFFW_JPEG;
    pg.components = 2;
    assert_int_equal(tiffw_init(&w, &pg, 1, NULL), TIFFW_ERR_BAD_ARG);
    pg.components = 3;
    pg.read = NULL;
    assert_int_equal(tiffw_init(&w, &pg, 1, NULL), TIFFW_ERR_BAD_ARG);
}

static void test_tiffw_ifd_fits_its_buffer_for_every_kind(void **state)
{
    struct tiffw_page pg = {TIFFW_JPEG, 10, 10, 100, 3, 2, 0, 0, failing_read, NULL};

    (void)state;
    /* span = IFD + values + strip (2 bytes, even: no pad) */
    assert_true(tiffw_page_span(&pg) - 2 <= TIFFW_IFD_MAX);
    pg.components = 1;
    assert_true(tiffw_page_span(&pg) - 2 <= TIFFW_IFD_MAX);
    pg.kind = TIFFW_G4;
    pg.strip_len = 2;
    assert_true(tiffw_page_span(&pg) - 2 <= TIFFW_IFD_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_g4_page_blob_is_a_tiff_that_libtiff_decodes_bit_exact,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_g4_large_noisy_page_round_trips_bit_exact, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_g4_leaves_no_temporary_blob_and_no_open_handle, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_g4_probe_reads_the_strip_back_through_libtiff, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_g4_probe_rejects_a_jpeg_and_a_truncated_tiff, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_g4_finish_before_the_last_row_is_a_state_error, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_g4_more_rows_than_the_height_is_a_state_error, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_g4_init_rejects_zero_width_and_null_storage, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_g4_storage_failure_is_reported_and_nothing_is_left,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_g4_sink_failure_keeps_the_sinks_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mtiff_size_is_exact_and_reads_of_any_cap_agree, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_mtiff_of_g4_and_jpeg_pages_decodes_with_libtiff, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_mtiff_passes_tiffinfo_tiffdump_tiff2rgba_and_tiffcmp,
                                        setup, teardown),
        cmocka_unit_test(test_tiffw_reports_a_failing_page_reader_and_a_short_blob),
        cmocka_unit_test(test_tiffw_rejects_bad_descriptors),
        cmocka_unit_test(test_tiffw_ifd_fits_its_buffer_for_every_kind),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
