/* pdfw: the virtual PDF is written to a file and checked by real tools
 * (qpdf --check, pdfinfo, pdftoppm, pdfimages) and by walking its own
 * cross-reference table. JPEG pages come from our encoder (scan_jpeg on
 * libjpeg-turbo), G4 pages from libtiff's encoder (a single-strip
 * PHOTOMETRIC_MINISWHITE TIFF, as the spool keeps them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <tiffio.h>

#include "pdfw.h"
#include "scan_jpeg.h"

#define PRODUCER "MFP scan firmware test"
#define CREATED 1735689599ull /* 2024-12-31 23:59:59 UTC */

/* A page blob in RAM, read through the page callback. */
struct blob {
    uint8_t *data;
    uint32_t len;
    long fail_with;    /* nonzero: every read returns this */
    uint32_t max_read; /* nonzero: reads give at most this many bytes */
};

static long blob_read(void *arg, uint32_t off, uint8_t *buf, size_t cap)
{
    struct blob *b = arg;

    if (b->fail_with != 0)
        return b->fail_with;
    if (off >= b->len)
        return 0;
    if (cap > b->len - off)
        cap = b->len - off;
    if (b->max_read != 0 && cap > b->max_read)
        cap = b->max_read;
    memcpy(buf, b->data + off, cap);
    return (long)cap;
}

static char tmpdir[64];

static int make_tmpdir(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/test_pdfw_XXXXXX");
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int remove_tmpdir(void **state)
{
    char cmd[128];

    (void)state;
    if (getenv("TEST_PDFW_KEEP") != NULL) { /* to look at the files by hand */
        printf("files kept in %s\n", tmpdir);
        return 0;
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void tmp_path(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", tmpdir, name);
}

/* ---- Page blobs ------------------------------------------------------------ */

static int sink_collect(void *arg, const uint8_t *buf, size_t len)
{
    struct blob *b = arg;

    b->data = realloc(b->data, b->len + len);
    assert_non_null(b->data);
    memcpy(b->data + b->len, buf, len);
    b->len += (uint32_t)len;
    return 0;
}

/* A smooth picture with an edge, encoded band by band by scan_jpeg. */
static struct blob make_jpeg(unsigned width, unsigned height, unsigned comp, unsigned dpi)
{
    struct scan_jpeg_params p = {width, height, comp, dpi, 80};
    struct blob b = {0};
    struct scan_jpeg *j = calloc(1, sizeof(*j));
    uint8_t *band = malloc((size_t)width * comp * 16);

    assert_non_null(j);
    assert_non_null(band);
    assert_int_equal(scan_jpeg_init(j, &p, sink_collect, &b), 0);
    for (unsigned y = 0; y < height; y += 16) {
        unsigned n = height - y < 16 ? height - y : 16;

        for (unsigned l = 0; l < n; l++)
            for (unsigned x = 0; x < width; x++)
                for (unsigned c = 0; c < comp; c++)
                    band[((size_t)l * width + x) * comp + c] =
                        (uint8_t)(x < width / 2 ? (x + (y + l) * (c + 1)) : 255 - c * 60);
        assert_int_equal(scan_jpeg_write_lines(j, band, n), 0);
    }
    assert_int_equal(scan_jpeg_finish(j), 0);
    free(band);
    free(j);
    return b;
}

/* The bilevel test raster, 1 = black: a large block near the top left, a
 * block in the bottom right corner (so a flipped or shifted image shows),
 * white elsewhere. */
static int bw_black(unsigned x, unsigned y, unsigned w, unsigned h)
{
    return (x >= w / 16 && x < w / 2 && y >= h / 16 && y < h / 3) ||
           (x >= w - w / 8 && y >= h - h / 10);
}

static uint8_t *make_bw_raster(unsigned w, unsigned h)
{
    size_t row = (w + 7) / 8;
    uint8_t *r = calloc(row * h, 1);

    assert_non_null(r);
    for (unsigned y = 0; y < h; y++)
        for (unsigned x = 0; x < w; x++)
            if (bw_black(x, y, w, h))
                r[y * row + x / 8] |= (uint8_t)(0x80 >> (x % 8));
    return r;
}

static uint8_t *read_file_all(const char *path, uint32_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *d;
    long n;

    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    d = malloc((size_t)n);
    assert_non_null(d);
    assert_int_equal(fread(d, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (uint32_t)n;
    return d;
}

/* A single-strip G4 TIFF of the raster, WhiteIsZero, written by libtiff;
 * *strip_off / *strip_len locate the raw G4 data inside the blob. */
static struct blob make_g4(const uint8_t *raster, unsigned w, unsigned h, unsigned dpi,
                           uint32_t *strip_off, uint32_t *strip_len)
{
    char path[128];
    size_t row = (w + 7) / 8;
    TIFF *t;
    struct blob b = {0};
    uint64_t *offs = NULL, *counts = NULL;

    tmp_path(path, sizeof(path), "page.tif");
    t = TIFFOpen(path, "w");
    assert_non_null(t);
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, w);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, h);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 1);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISWHITE);
    TIFFSetField(t, TIFFTAG_COMPRESSION, COMPRESSION_CCITTFAX4);
    TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, h);
    TIFFSetField(t, TIFFTAG_XRESOLUTION, (float)dpi);
    TIFFSetField(t, TIFFTAG_YRESOLUTION, (float)dpi);
    TIFFSetField(t, TIFFTAG_RESOLUTIONUNIT, RESUNIT_INCH);
    for (unsigned y = 0; y < h; y++)
        assert_int_equal(TIFFWriteScanline(t, (void *)(raster + y * row), y, 0), 1);
    TIFFClose(t);

    t = TIFFOpen(path, "r");
    assert_non_null(t);
    assert_int_equal(TIFFNumberOfStrips(t), 1);
    assert_int_equal(TIFFGetField(t, TIFFTAG_STRIPOFFSETS, &offs), 1);
    assert_int_equal(TIFFGetField(t, TIFFTAG_STRIPBYTECOUNTS, &counts), 1);
    *strip_off = (uint32_t)offs[0];
    *strip_len = (uint32_t)counts[0];
    TIFFClose(t);
    b.data = read_file_all(path, &b.len);
    assert_true(*strip_off + *strip_len <= b.len);
    unlink(path);
    return b;
}

static struct pdfw_page jpeg_page(struct blob *b, unsigned w, unsigned h, unsigned comp,
                                  unsigned dpi)
{
    struct pdfw_page p = {PDFW_PAGE_JPEG, w, h, dpi, dpi, comp, 0, b->len, blob_read, b};

    return p;
}

/* ---- Reading the virtual file ------------------------------------------------ */

/* Reads the whole PDF with reads of at most cap bytes; checks that the
 * bytes produced are exactly pdfw_size() and that the end reads as 0. */
static uint8_t *read_pdf(struct pdfw *w, size_t cap)
{
    uint32_t size = pdfw_size(w);
    uint8_t *d = malloc(size + 1);
    uint32_t off = 0;

    assert_non_null(d);
    assert_true(size > 0);
    while (off < size) {
        long n = pdfw_read(w, off, d + off, size - off < cap ? size - off : cap);

        assert_true(n > 0);
        off += (uint32_t)n;
    }
    assert_int_equal(off, size);
    assert_int_equal(pdfw_read(w, off, d, cap), 0);
    d[size] = 0;
    return d;
}

static void write_pdf(struct pdfw *w, const char *path)
{
    uint8_t *d = read_pdf(w, 4096);
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(d, 1, pdfw_size(w), f), pdfw_size(w));
    assert_int_equal(fclose(f), 0);
    free(d);
}

/* Runs a shell command; returns its exit status and its stdout in out. */
static int run(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    size_t n = 0;
    int st;

    assert_non_null(p);
    while (n + 1 < cap) {
        size_t k = fread(out + n, 1, cap - 1 - n, p);
        if (k == 0)
            break;
        n += k;
    }
    out[n] = 0;
    st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Asserts that pdfinfo's output has "key:" followed by spaces and value,
 * then a newline (the column width varies between poppler versions). */
static void assert_info(const char *out, const char *key, const char *value)
{
    const char *p = out;
    size_t kl = strlen(key), vl = strlen(value);

    while ((p = strstr(p, key)) != NULL) {
        const char *v = p + kl;

        if ((p == out || p[-1] == '\n') && *v == ':') {
            v++;
            while (*v == ' ')
                v++;
            if (strncmp(v, value, vl) == 0 && v[vl] == '\n')
                return;
        }
        p += kl;
    }
    fail_msg("pdfinfo: no \"%s: %s\" in\n%s", key, value, out);
}

/* memmem for a C string in the PDF's bytes (which hold NULs). */
static int contains(const uint8_t *d, size_t len, const char *s)
{
    return memmem(d, len, s, strlen(s)) != NULL;
}

static void assert_qpdf_ok(const char *path)
{
    char cmd[256], out[4096];

    snprintf(cmd, sizeof(cmd), "qpdf --check '%s' 2>&1", path);
    if (run(cmd, out, sizeof(out)) != 0)
        fail_msg("qpdf --check failed:\n%s", out);
    assert_non_null(strstr(out, "No syntax or stream encoding errors"));
}

/* Follows startxref to the table and checks that every in-use entry points
 * at "k 0 obj" for its own k, and that /Size counts the entries. */
static void assert_xref_points_at_objects(const uint8_t *d, uint32_t size, unsigned objs)
{
    const char *s = (const char *)d;
    const char *sx = memmem(s, size, "startxref\n", 10);
    unsigned long xref, first, count;
    const char *e;
    char want[32];

    assert_non_null(sx);
    assert_int_equal(sscanf(sx, "startxref\n%lu", &xref), 1);
    assert_true(xref < size);
    assert_int_equal(sscanf(s + xref, "xref\n%lu %lu\n", &first, &count), 2);
    assert_int_equal(first, 0);
    assert_int_equal(count, objs);
    e = strchr(strchr(s + xref, '\n') + 1, '\n') + 1;
    assert_memory_equal(e, "0000000000 65535 f \n", 20);
    for (unsigned k = 1; k < objs; k++) {
        unsigned long off;

        e += 20;
        assert_int_equal(e[10], ' ');
        assert_memory_equal(e + 10, " 00000 n \n", 10);
        assert_int_equal(sscanf(e, "%10lu", &off), 1);
        assert_true(off < xref);
        snprintf(want, sizeof(want), "%u 0 obj\n", k);
        assert_memory_equal(s + off, want, strlen(want));
    }
    assert_memory_equal(e + 20, "trailer\n", 8);
    snprintf(want, sizeof(want), "/Size %u ", objs);
    assert_non_null(strstr(e, want));
    assert_memory_equal(d + size - 6, "%%EOF\n", 6);
}

/* Reads a binary PNM (P4 or P5) written by pdftoppm. */
static uint8_t *read_pnm(const char *path, char magic, unsigned *w, unsigned *h)
{
    uint32_t len;
    uint8_t *d = read_file_all(path, &len);
    unsigned maxval = 1;
    int hdr = 0;
    char m[3] = {0};
    uint8_t *px;

    if (magic == '5')
        assert_int_equal(sscanf((char *)d, "%2s %u %u %u%n", m, w, h, &maxval, &hdr), 4);
    else
        assert_int_equal(sscanf((char *)d, "%2s %u %u%n", m, w, h, &hdr), 3);
    assert_int_equal(m[0], 'P');
    assert_int_equal(m[1], magic);
    hdr++; /* the single whitespace after the header */
    px = malloc(len - (uint32_t)hdr);
    assert_non_null(px);
    memcpy(px, d + hdr, len - (uint32_t)hdr);
    free(d);
    return px;
}

/* ---- A mixed document: JPEG colour and grey, G4, 300/200/150 dpi -------------- */

#define A4_W 2480 /* 300 dpi */
#define A4_H 3508
#define A5_W 1166 /* 200 dpi, grey */
#define A5_H 1654
#define LT_W 1700 /* Letter at 200 dpi, black and white */
#define LT_H 2200
#define SM_W 300 /* 150 dpi colour, landscape */
#define SM_H 200

struct mixed {
    struct blob b[4];
    struct pdfw_page pages[4];
    struct pdfw_doc doc;
    uint8_t *raster; /* the G4 page's bilevel raster */
    struct pdfw w;
    char path[128];
};

static int mixed_setup(void **state)
{
    struct mixed *m = calloc(1, sizeof(*m));
    uint32_t off, len;

    if (m == NULL)
        return -1;
    m->b[0] = make_jpeg(A4_W, A4_H, 3, 300);
    m->pages[0] = jpeg_page(&m->b[0], A4_W, A4_H, 3, 300);
    m->b[1] = make_jpeg(A5_W, A5_H, 1, 200);
    m->pages[1] = jpeg_page(&m->b[1], A5_W, A5_H, 1, 200);
    m->raster = make_bw_raster(LT_W, LT_H);
    m->b[2] = make_g4(m->raster, LT_W, LT_H, 200, &off, &len);
    m->pages[2] =
        (struct pdfw_page){PDFW_PAGE_G4, LT_W, LT_H, 200, 200, 0, off, len, blob_read, &m->b[2]};
    m->b[3] = make_jpeg(SM_W, SM_H, 3, 150);
    m->pages[3] = jpeg_page(&m->b[3], SM_W, SM_H, 3, 150);
    m->doc = (struct pdfw_doc){"scan.pdf", PRODUCER, CREATED, m->pages, 4};
    if (pdfw_init(&m->w, &m->doc) != 0)
        return -1;
    tmp_path(m->path, sizeof(m->path), "mixed.pdf");
    write_pdf(&m->w, m->path);
    *state = m;
    return 0;
}

static int mixed_teardown(void **state)
{
    struct mixed *m = *state;

    for (int i = 0; i < 4; i++)
        free(m->b[i].data);
    free(m->raster);
    free(m);
    return 0;
}

static void test_mixed_document_passes_qpdf_check(void **state)
{
    struct mixed *m = *state;

    assert_qpdf_ok(m->path);
}

static void test_mixed_document_has_a_correct_xref_table(void **state)
{
    struct mixed *m = *state;
    uint8_t *d = read_pdf(&m->w, 4096);

    assert_xref_points_at_objects(d, pdfw_size(&m->w), 4 + 3 * 4);
    free(d);
}

static void test_pdfinfo_shows_page_count_and_page_sizes_in_points(void **state)
{
    struct mixed *m = *state;
    char cmd[256], out[4096];

    snprintf(cmd, sizeof(cmd), "pdfinfo -f 1 -l 4 '%s'", m->path);
    assert_int_equal(run(cmd, out, sizeof(out)), 0);
    assert_info(out, "Pages", "4");
    assert_info(out, "PDF version", "1.4");
    /* 2480 x 3508 px at 300 dpi is A4: 595.2 x 841.92 pt exactly. */
    assert_info(out, "Page    1 size", "595.2 x 841.92 pts (A4)");
    /* 1166 x 1654 px at 200 dpi: 419.76 x 595.44 pt. */
    assert_info(out, "Page    2 size", "419.76 x 595.44 pts (A5)");
    assert_info(out, "Page    3 size", "612 x 792 pts (letter)");
    assert_info(out, "Page    4 size", "144 x 96 pts");
    assert_info(out, "Producer", PRODUCER);
    assert_info(out, "CreationDate", "Tue Dec 31 23:59:59 2024 UTC");
    assert_info(out, "Title", "scan.pdf");
}

static void test_pdfimages_lists_dct_and_ccitt_images_with_their_sizes_and_dpi(void **state)
{
    struct mixed *m = *state;
    static const struct {
        unsigned w, h, dpi;
        const char *color, *enc;
        unsigned bpc;
    } want[4] = {{A4_W, A4_H, 300, "rgb", "jpeg", 8},
                 {A5_W, A5_H, 200, "gray", "jpeg", 8},
                 {LT_W, LT_H, 200, "gray", "ccitt", 1},
                 {SM_W, SM_H, 150, "rgb", "jpeg", 8}};
    char cmd[256], out[4096];
    char *line;
    unsigned seen = 0;

    snprintf(cmd, sizeof(cmd), "pdfimages -list '%s'", m->path);
    assert_int_equal(run(cmd, out, sizeof(out)), 0);
    line = strstr(out, "\n---");
    assert_non_null(line);
    for (line = strchr(line + 1, '\n'); line != NULL && line[1] != 0;
         line = strchr(line + 1, '\n')) {
        unsigned page, num, w, h, comp, bpc, xppi, yppi;
        char type[16], color[16], enc[16];

        assert_int_equal(sscanf(line + 1, "%u %u %15s %u %u %15s %u %u %15s %*s %*s %*s %u %u",
                                &page, &num, type, &w, &h, color, &comp, &bpc, enc, &xppi, &yppi),
                         11);
        assert_true(page >= 1 && page <= 4);
        assert_int_equal(num, page - 1);
        assert_string_equal(type, "image");
        assert_int_equal(w, want[page - 1].w);
        assert_int_equal(h, want[page - 1].h);
        assert_string_equal(color, want[page - 1].color);
        assert_int_equal(bpc, want[page - 1].bpc);
        assert_string_equal(enc, want[page - 1].enc);
        assert_int_equal(xppi, want[page - 1].dpi);
        assert_int_equal(yppi, want[page - 1].dpi);
        seen++;
    }
    assert_int_equal(seen, 4);
}

static void test_pdftoppm_renders_every_page_to_png(void **state)
{
    struct mixed *m = *state;
    char cmd[512], out[4096], png[160];

    snprintf(cmd, sizeof(cmd), "pdftoppm -r 75 -png '%s' '%s/render' 2>&1", m->path, tmpdir);
    if (run(cmd, out, sizeof(out)) != 0)
        fail_msg("pdftoppm failed:\n%s", out);
    assert_string_equal(out, ""); /* poppler prints syntax errors and warnings here */
    for (int p = 1; p <= 4; p++) {
        uint32_t len;
        uint8_t *d;

        snprintf(png, sizeof(png), "%s/render-%d.png", tmpdir, p);
        d = read_file_all(png, &len);
        assert_true(len > 33);
        assert_memory_equal(d, "\x89PNG\r\n\x1a\n", 8);
        if (p == 1) { /* IHDR: 595.2 x 841.92 pt at 75 dpi is 620 x 877 px */
            assert_int_equal((d[16] << 24) | (d[17] << 16) | (d[18] << 8) | d[19], 620);
            assert_int_equal((d[20] << 24) | (d[21] << 16) | (d[22] << 8) | d[23], 877);
        }
        free(d);
    }
}

/* Polarity and placement: at 75 dpi, black where the raster is black, white
 * where it is white, including the corner block (not flipped, full page). */
static void test_g4_page_renders_black_on_white_the_right_way_up(void **state)
{
    struct mixed *m = *state;
    char cmd[512], out[4096], pgm[160];
    unsigned w, h;
    uint8_t *px;
    static const struct {
        unsigned x, y; /* in 200 dpi raster pixels */
    } probe[] = {{400, 400}, {150, 200}, {1650, 2150}, {1200, 400}, {400, 1500}, {1600, 100}};

    snprintf(cmd, sizeof(cmd), "pdftoppm -r 75 -gray -f 3 -l 3 -singlefile '%s' '%s/g4' 2>&1",
             m->path, tmpdir);
    assert_int_equal(run(cmd, out, sizeof(out)), 0);
    snprintf(pgm, sizeof(pgm), "%s/g4.pgm", tmpdir);
    px = read_pnm(pgm, '5', &w, &h);
    assert_int_equal(w, 638); /* 612 pt at 75 dpi = 637.5 */
    assert_int_equal(h, 825);
    for (size_t i = 0; i < sizeof(probe) / sizeof(probe[0]); i++) {
        unsigned x = probe[i].x * 75 / 200, y = probe[i].y * 75 / 200;
        uint8_t v = px[(size_t)y * w + x];

        if (bw_black(probe[i].x, probe[i].y, LT_W, LT_H))
            assert_true(v < 64);
        else
            assert_true(v > 192);
    }
    free(px);
}

/* The G4 image, decoded by poppler with our /DecodeParms (pdfimages writes
 * 1-bit images as PBM, 1 = black), is the raster that was encoded, bit for
 * bit. (Rendering at 200 dpi is not: the rasteriser moves block edges by a
 * pixel.) Polarity on screen is the render test above. */
static void test_g4_image_decodes_bit_exact_to_the_encoded_raster(void **state)
{
    struct mixed *m = *state;
    char cmd[512], out[4096], pbm[160];
    unsigned w, h;
    size_t row = (LT_W + 7) / 8;
    uint8_t *px;

    snprintf(cmd, sizeof(cmd), "pdfimages -f 3 -l 3 '%s' '%s/g4img' 2>&1", m->path, tmpdir);
    assert_int_equal(run(cmd, out, sizeof(out)), 0);
    snprintf(pbm, sizeof(pbm), "%s/g4img-000.pbm", tmpdir);
    px = read_pnm(pbm, '4', &w, &h);
    assert_int_equal(w, LT_W);
    assert_int_equal(h, LT_H);
    for (unsigned y = 0; y < LT_H; y++) {
        px[y * row + row - 1] &= (uint8_t)(0xFF << (row * 8 - LT_W));
        if (memcmp(px + y * row, m->raster + y * row, row) != 0)
            fail_msg("row %u differs", y);
    }
    free(px);
}

static void test_jpeg_pages_are_embedded_byte_for_byte(void **state)
{
    struct mixed *m = *state;
    uint8_t *d = read_pdf(&m->w, 65536);
    size_t size = pdfw_size(&m->w);

    for (int i = 0; i < 4; i++) {
        struct blob *b = &m->b[i];
        const uint8_t *embedded = m->pages[i].data_off + b->data;

        assert_non_null(memmem(d, size, embedded, m->pages[i].data_len));
    }
    free(d);
}

/* ---- Reading ------------------------------------------------------------------ */

struct small {
    struct blob jpg, grey, g4;
    struct pdfw_page pages[3];
    struct pdfw_doc doc;
    struct pdfw w;
};

static struct small *small_doc(void)
{
    struct small *s = calloc(1, sizeof(*s));
    uint8_t *r = make_bw_raster(200, 100);
    uint32_t off, len;

    assert_non_null(s);
    s->jpg = make_jpeg(64, 48, 3, 300);
    s->grey = make_jpeg(40, 30, 1, 200);
    s->g4 = make_g4(r, 200, 100, 200, &off, &len);
    free(r);
    s->pages[0] = jpeg_page(&s->jpg, 64, 48, 3, 300);
    s->pages[1] = jpeg_page(&s->grey, 40, 30, 1, 200);
    s->pages[2] =
        (struct pdfw_page){PDFW_PAGE_G4, 200, 100, 200, 200, 0, off, len, blob_read, &s->g4};
    s->doc = (struct pdfw_doc){"small.pdf", PRODUCER, CREATED, s->pages, 3};
    assert_int_equal(pdfw_init(&s->w, &s->doc), 0);
    return s;
}

static void small_free(struct small *s)
{
    free(s->jpg.data);
    free(s->grey.data);
    free(s->g4.data);
    free(s);
}

static void test_reads_of_1_13_and_4096_bytes_give_the_same_exact_size_file(void **state)
{
    struct small *s = small_doc();
    uint8_t *a = read_pdf(&s->w, 1);
    uint8_t *b = read_pdf(&s->w, 13);
    uint8_t *c = read_pdf(&s->w, 4096);
    uint32_t size = pdfw_size(&s->w);

    (void)state;
    assert_memory_equal(a, b, size);
    assert_memory_equal(a, c, size);
    assert_xref_points_at_objects(c, size, 4 + 3 * 3);
    free(a);
    free(b);
    free(c);
    small_free(s);
}

static void test_short_page_reads_and_backward_reads_give_the_same_bytes(void **state)
{
    struct small *s = small_doc();
    uint8_t *ref = read_pdf(&s->w, 4096);
    uint32_t size = pdfw_size(&s->w);
    uint8_t buf[257];

    (void)state;
    s->jpg.max_read = 7; /* a page callback that gives less than asked */
    s->g4.max_read = 3;
    uint8_t *shortr = read_pdf(&s->w, 4096);
    assert_memory_equal(ref, shortr, size);
    free(shortr);
    s->jpg.max_read = s->g4.max_read = 0;
    /* Random access, moving backwards and forwards. */
    for (uint32_t off = size - 1, i = 0; i < 200; i++, off = (off * 7919u + 13u) % size) {
        long n = pdfw_read(&s->w, off, buf, sizeof(buf));

        assert_true(n > 0);
        assert_memory_equal(buf, ref + off, (size_t)n);
    }
    free(ref);
    small_free(s);
}

static void test_a_failing_page_read_stops_the_pdf_with_the_page_error_kept(void **state)
{
    struct small *s = small_doc();
    uint8_t *d = malloc(pdfw_size(&s->w));
    uint32_t off = 0;
    long n;

    (void)state;
    assert_non_null(d);
    s->g4.fail_with = -77;
    while ((n = pdfw_read(&s->w, off, d + off, 512)) > 0)
        off += (uint32_t)n;
    assert_int_equal(n, PDFW_ERR_READ);
    assert_int_equal(s->w.read_error, -77);
    assert_true(off < pdfw_size(&s->w));
    free(d);
    small_free(s);
}

static void test_a_page_blob_shorter_than_declared_is_a_short_read(void **state)
{
    struct small *s = small_doc();
    uint8_t buf[4096];
    uint32_t off = 0;
    long n;

    (void)state;
    s->pages[0].data_len += 10; /* the blob ends 10 bytes early */
    assert_int_equal(pdfw_init(&s->w, &s->doc), 0);
    while ((n = pdfw_read(&s->w, off, buf, sizeof(buf))) > 0)
        off += (uint32_t)n;
    assert_int_equal(n, PDFW_ERR_SHORT);
    small_free(s);
}

/* ---- Document information ----------------------------------------------------- */

/* Makes a one-page PDF with title and date, returns its bytes (NUL-ended). */
static uint8_t *one_page_pdf(const char *title, uint64_t created, int *rc, const char *path,
                             uint32_t *size)
{
    struct blob *b = calloc(1, sizeof(*b));
    struct pdfw_page p;
    struct pdfw_doc doc = {title, PRODUCER, created, &p, 1};
    struct pdfw w;
    uint8_t *d = NULL;

    assert_non_null(b);
    *b = make_jpeg(32, 32, 3, 300);
    p = jpeg_page(b, 32, 32, 3, 300);
    *rc = pdfw_init(&w, &doc);
    if (*rc == 0) {
        d = read_pdf(&w, 4096);
        *size = pdfw_size(&w);
        if (path != NULL)
            write_pdf(&w, path);
    }
    free(b->data);
    free(b);
    return d;
}

static void test_title_parentheses_and_backslashes_are_escaped(void **state)
{
    char path[128], cmd[256], out[4096];
    uint32_t size = 0;
    int rc;
    uint8_t *d;

    (void)state;
    tmp_path(path, sizeof(path), "escaped.pdf");
    d = one_page_pdf("scan(1) a\\b).pdf", CREATED, &rc, path, &size);
    assert_int_equal(rc, 0);
    assert_true(contains(d, size, "/Title (scan\\(1\\) a\\\\b\\).pdf) >>"));
    assert_qpdf_ok(path);
    snprintf(cmd, sizeof(cmd), "pdfinfo '%s'", path);
    assert_int_equal(run(cmd, out, sizeof(out)), 0);
    assert_info(out, "Title", "scan(1) a\\b).pdf");
    free(d);
}

static void test_non_ascii_title_is_utf16be_with_bom_in_a_hex_string(void **state)
{
    /* U+00DC, U+65E5 U+672C, U+1F600 (a surrogate pair). */
    const char *title = "\xC3\x9C"
                        "ber \xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80.pdf";
    char path[128], cmd[256], out[4096];
    uint32_t size = 0;
    int rc;
    uint8_t *d;

    (void)state;
    tmp_path(path, sizeof(path), "utf16.pdf");
    d = one_page_pdf(title, CREATED, &rc, path, &size);
    assert_int_equal(rc, 0);
    assert_true(contains(d, size,
                         "/Title <FEFF00DC0062006500720020"
                         "65E5672C0020D83DDE00"
                         "002E007000640066> >>"));
    assert_qpdf_ok(path);
    snprintf(cmd, sizeof(cmd), "pdfinfo -enc UTF-8 '%s'", path);
    assert_int_equal(run(cmd, out, sizeof(out)), 0);
    assert_info(out, "Title", title);
    free(d);
}

static void test_invalid_utf8_in_the_title_is_refused(void **state)
{
    static const char *bad[] = {"a\xC3(.pdf", "\xC0\xAF.pdf", "\xED\xA0\x80.pdf",
                                "\xF4\x90\x80\x80.pdf", "end\xE6\x97"};
    uint32_t size = 0;
    int rc;

    (void)state;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_null(one_page_pdf(bad[i], CREATED, &rc, NULL, &size));
        assert_int_equal(rc, PDFW_ERR_STRING);
    }
}

static void test_creation_date_is_utc_in_pdf_date_format(void **state)
{
    static const struct {
        uint64_t t;
        const char *want;
    } cases[] = {{0, "/CreationDate (D:19700101000000Z)"},
                 {951827696, "/CreationDate (D:20000229123456Z)"},
                 {CREATED, "/CreationDate (D:20241231235959Z)"},
                 {4107542400ull, "/CreationDate (D:21000301000000Z)"},
                 {253402300799ull, "/CreationDate (D:99991231235959Z)"}};
    uint32_t size = 0;
    int rc;

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t *d = one_page_pdf("t.pdf", cases[i].t, &rc, NULL, &size);

        assert_int_equal(rc, 0);
        if (!contains(d, size, cases[i].want))
            fail_msg("missing %s", cases[i].want);
        free(d);
    }
    assert_null(one_page_pdf("t.pdf", 253402300800ull, &rc, NULL, &size));
    assert_int_equal(rc, PDFW_ERR_BAD_ARG);
}

/* ---- Geometry and arguments --------------------------------------------------- */

static void test_media_box_is_exact_or_rounded_to_four_decimals(void **state)
{
    struct blob b = make_jpeg(16, 16, 1, 300);
    struct pdfw_page p[2] = {jpeg_page(&b, 2550, 3300, 1, 300), jpeg_page(&b, 1000, 10, 1, 7)};
    struct pdfw_doc doc = {"g.pdf", PRODUCER, CREATED, p, 2};
    struct pdfw w;
    uint32_t size;
    uint8_t *d;

    (void)state;
    p[1].ydpi = 3; /* 10 px at 3 dpi = 240 pt */
    assert_int_equal(pdfw_init(&w, &doc), 0);
    d = read_pdf(&w, 4096);
    size = pdfw_size(&w);
    assert_true(contains(d, size, "/MediaBox [0 0 612 792]"));
    assert_true(contains(d, size, "q 612 0 0 792 0 0 cm /Im0 Do Q\nendstream"));
    /* 1000 * 72 / 7 = 10285.714285... */
    assert_true(contains(d, size, "/MediaBox [0 0 10285.7143 240]"));
    free(d);
    free(b.data);
}

static void test_bad_arguments_are_refused_and_reads_fail_after(void **state)
{
    struct blob b = make_jpeg(16, 16, 1, 300);
    struct pdfw_page p = jpeg_page(&b, 16, 16, 1, 300);
    struct pdfw_doc doc = {"x.pdf", PRODUCER, CREATED, &p, 1};
    struct pdfw w;
    uint8_t buf[16];

    (void)state;
    assert_int_equal(pdfw_init(NULL, &doc), PDFW_ERR_BAD_ARG);
    assert_int_equal(pdfw_init(&w, NULL), PDFW_ERR_BAD_ARG);
    doc.page_count = 0;
    assert_int_equal(pdfw_init(&w, &doc), PDFW_ERR_BAD_ARG);
    doc.page_count = 1;
    p.components = 2;
    assert_int_equal(pdfw_init(&w, &doc), PDFW_ERR_BAD_ARG);
    p.components = 1;
    p.xdpi = 0;
    assert_int_equal(pdfw_init(&w, &doc), PDFW_ERR_BAD_ARG);
    p.xdpi = 300;
    p.data_len = 0;
    assert_int_equal(pdfw_init(&w, &doc), PDFW_ERR_BAD_ARG);
    p.data_len = b.len;
    p.kind = (enum pdfw_kind)7;
    assert_int_equal(pdfw_init(&w, &doc), PDFW_ERR_BAD_ARG);
    p.kind = PDFW_PAGE_JPEG;
    doc.title = NULL;
    assert_int_equal(pdfw_init(&w, &doc), PDFW_ERR_BAD_ARG);
    /* After a failed init the writer is empty and refuses to read. */
    assert_int_equal(pdfw_size(&w), 0);
    assert_int_equal(pdfw_read(&w, 0, buf, sizeof(buf)), PDFW_ERR_BAD_ARG);
    doc.title = "x.pdf";
    doc.page_count = UINT32_MAX;
    assert_int_equal(pdfw_init(&w, &doc), PDFW_ERR_TOO_BIG);
    free(b.data);
}

static void test_a_document_over_4_gib_is_refused_before_the_first_byte(void **state)
{
    static struct pdfw_page p[3];
    struct blob b = {(uint8_t *)"x", 1, 0, 0};
    struct pdfw_doc doc = {"big.pdf", PRODUCER, CREATED, p, 3};
    struct pdfw w;

    (void)state;
    for (int i = 0; i < 3; i++) /* 3 x 1.5 GiB of (pretend) JPEG */
        p[i] = (struct pdfw_page){PDFW_PAGE_JPEG, 8, 8, 300, 300, 3, 0, 0x60000000u, blob_read, &b};
    assert_int_equal(pdfw_init(&w, &doc), PDFW_ERR_TOO_BIG);
    doc.page_count = 2; /* 3 GiB fits */
    assert_int_equal(pdfw_init(&w, &doc), 0);
    assert_true(pdfw_size(&w) > 0xC0000000u);
}

/* ---- Many pages ---------------------------------------------------------------- */

static void test_a_100_page_document_has_a_correct_xref_and_passes_qpdf(void **state)
{
    enum { N = 100 };
    struct blob jpg = make_jpeg(64, 64, 3, 300), grey = make_jpeg(48, 64, 1, 200), g4;
    uint8_t *r = make_bw_raster(96, 128);
    struct pdfw_page *p = calloc(N, sizeof(*p));
    struct pdfw_doc doc = {"hundred.pdf", PRODUCER, CREATED, p, N};
    struct pdfw w;
    char path[128], cmd[256], out[4096];
    uint32_t off, len;
    uint8_t *d;

    (void)state;
    assert_non_null(p);
    g4 = make_g4(r, 96, 128, 200, &off, &len);
    for (int i = 0; i < N; i++) {
        if (i % 3 == 0)
            p[i] = jpeg_page(&jpg, 64, 64, 3, 300);
        else if (i % 3 == 1)
            p[i] = jpeg_page(&grey, 48, 64, 1, 200);
        else
            p[i] = (struct pdfw_page){PDFW_PAGE_G4, 96, 128, 200, 200, 0, off, len, blob_read, &g4};
    }
    assert_int_equal(pdfw_init(&w, &doc), 0);
    d = read_pdf(&w, 1000);
    assert_xref_points_at_objects(d, pdfw_size(&w), 4 + 3 * N);
    tmp_path(path, sizeof(path), "hundred.pdf");
    write_pdf(&w, path);
    assert_qpdf_ok(path);
    snprintf(cmd, sizeof(cmd), "pdfinfo '%s'", path);
    assert_int_equal(run(cmd, out, sizeof(out)), 0);
    assert_info(out, "Pages", "100");
    snprintf(cmd, sizeof(cmd), "pdfimages -list '%s' | grep -c ccitt", path);
    assert_int_equal(run(cmd, out, sizeof(out)), 0);
    assert_int_equal(atoi(out), N / 3);
    free(d);
    free(p);
    free(r);
    free(jpg.data);
    free(grey.data);
    free(g4.data);
}

int main(void)
{
    const struct CMUnitTest mixed[] = {
        cmocka_unit_test(test_mixed_document_passes_qpdf_check),
        cmocka_unit_test(test_mixed_document_has_a_correct_xref_table),
        cmocka_unit_test(test_pdfinfo_shows_page_count_and_page_sizes_in_points),
        cmocka_unit_test(test_pdfimages_lists_dct_and_ccitt_images_with_their_sizes_and_dpi),
        cmocka_unit_test(test_pdftoppm_renders_every_page_to_png),
        cmocka_unit_test(test_g4_page_renders_black_on_white_the_right_way_up),
        cmocka_unit_test(test_g4_image_decodes_bit_exact_to_the_encoded_raster),
        cmocka_unit_test(test_jpeg_pages_are_embedded_byte_for_byte),
    };
    const struct CMUnitTest rest[] = {
        cmocka_unit_test(test_reads_of_1_13_and_4096_bytes_give_the_same_exact_size_file),
        cmocka_unit_test(test_short_page_reads_and_backward_reads_give_the_same_bytes),
        cmocka_unit_test(test_a_failing_page_read_stops_the_pdf_with_the_page_error_kept),
        cmocka_unit_test(test_a_page_blob_shorter_than_declared_is_a_short_read),
        cmocka_unit_test(test_title_parentheses_and_backslashes_are_escaped),
        cmocka_unit_test(test_non_ascii_title_is_utf16be_with_bom_in_a_hex_string),
        cmocka_unit_test(test_invalid_utf8_in_the_title_is_refused),
        cmocka_unit_test(test_creation_date_is_utc_in_pdf_date_format),
        cmocka_unit_test(test_media_box_is_exact_or_rounded_to_four_decimals),
        cmocka_unit_test(test_bad_arguments_are_refused_and_reads_fail_after),
        cmocka_unit_test(test_a_document_over_4_gib_is_refused_before_the_first_byte),
        cmocka_unit_test(test_a_100_page_document_has_a_correct_xref_and_passes_qpdf),
    };
    int failed;

    if (make_tmpdir(NULL) != 0)
        return 1;
    failed = cmocka_run_group_tests_name("pdfw_mixed_document", mixed, mixed_setup, mixed_teardown);
    failed += cmocka_run_group_tests_name("pdfw", rest, NULL, NULL);
    remove_tmpdir(NULL);
    return failed;
}
