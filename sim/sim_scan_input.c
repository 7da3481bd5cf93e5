/* Scanner HAL backend reading PNG and PNM files, scaled as they stream. */
#include "sim_scan_input.h"

#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scan_job.h" /* scan_job_pixels(): the one mm -> pixel rounding */

static int sim_input_start(void *ctx, const struct hal_scan_params *p);
static int sim_input_next_page(void *ctx, struct hal_scan_page *page);
static int sim_input_read_band(void *ctx, uint8_t *buf, unsigned max_lines);
static void sim_input_stop(void *ctx);

static int sim_input_fail(struct sim_input *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int sim_input_open(struct sim_input *s, unsigned index);
static void sim_input_close(struct sim_input *s);
static int sim_input_open_pnm(struct sim_input *s);
static int sim_input_open_png(struct sim_input *s);
static int sim_input_alloc_rows(struct sim_input *s);
static int sim_input_image_row(struct sim_input *s, uint8_t *out);

static const struct hal_scanner_api sim_input_api = {
    .start = sim_input_start,
    .next_page = sim_input_next_page,
    .read_band = sim_input_read_band,
    .stop = sim_input_stop,
};

int sim_input_init(struct sim_input *s, const struct sim_input_cfg *cfg)
{
    memset(s, 0, sizeof(*s));
    if (cfg == NULL)
        return 0;
    if (cfg->count > SIM_INPUT_MAX_FILES || (cfg->count > 0 && cfg->paths == NULL))
        return HAL_SCAN_ERR_BAD_ARG;
    for (unsigned i = 0; i < cfg->count; i++)
        if (cfg->paths[i] == NULL)
            return HAL_SCAN_ERR_BAD_ARG;
    s->cfg = *cfg;
    return 0;
}

void sim_input_hal(struct sim_input *s, struct hal_scanner *out)
{
    out->api = &sim_input_api;
    out->ctx = s;
}

const char *sim_input_error(const struct sim_input *s)
{
    return s->error;
}

void sim_input_free(struct sim_input *s)
{
    sim_input_close(s);
    s->armed = 0;
    s->page_open = 0;
}

/* ---- HAL backend ---- */

static int sim_input_start(void *ctx, const struct hal_scan_params *p)
{
    struct sim_input *s = ctx;

    sim_input_close(s);
    s->armed = 0;
    s->page_open = 0;
    s->error[0] = '\0';
    if (p == NULL || p->dpi < 75 || p->dpi > 600 || p->width_mm10 == 0 || p->height_mm10 == 0 ||
        (p->color != HAL_SCAN_COLOR && p->color != HAL_SCAN_GREY) ||
        scan_job_pixels(p->width_mm10, p->dpi) > 65500 ||
        scan_job_pixels(p->height_mm10, p->dpi) > 65500)
        return HAL_SCAN_ERR_BAD_ARG;
    /* Every header is checked now, so that a bad file fails the job before
     * any page is scanned. */
    for (unsigned i = 0; i < s->cfg.count; i++) {
        int rc = sim_input_open(s, i);
        sim_input_close(s);
        if (rc != 0)
            return rc;
    }
    s->params = *p;
    s->armed = 1;
    s->next_file = 0;
    return 0;
}

static int sim_input_next_page(void *ctx, struct hal_scan_page *page)
{
    struct sim_input *s = ctx;
    unsigned w, h;
    int rc;

    if (!s->armed || page == NULL)
        return HAL_SCAN_ERR_BAD_ARG;
    sim_input_close(s);
    s->page_open = 0;
    if (s->next_file >= s->cfg.count)
        return HAL_SCAN_NO_MORE_PAGES;
    rc = sim_input_open(s, s->next_file);
    if (rc != 0)
        goto exit;

    w = scan_job_pixels(s->params.width_mm10, s->params.dpi);
    h = scan_job_pixels(s->params.height_mm10, s->params.dpi);
    /* Fit: the side that fills its page dimension first decides the scale. */
    if ((uint64_t)w * s->src_h <= (uint64_t)h * s->src_w) {
        s->img_w = w;
        s->img_h = (unsigned)(((uint64_t)s->src_h * w + s->src_w / 2) / s->src_w);
    } else {
        s->img_h = h;
        s->img_w = (unsigned)(((uint64_t)s->src_w * h + s->src_h / 2) / s->src_h);
    }
    if (s->img_w == 0)
        s->img_w = 1;
    if (s->img_h == 0)
        s->img_h = 1;
    s->img_x = (w - s->img_w) / 2;
    s->img_y = (h - s->img_h) / 2;

    s->page.width = w;
    s->page.height = h;
    s->page.components = s->params.color == HAL_SCAN_GREY ? 1 : 3;
    s->page.index = s->next_file;
    s->page.side = s->params.duplex ? (s->next_file & 1u) : 0;
    rc = sim_input_alloc_rows(s);
    if (rc != 0)
        goto exit;
    s->src_row = 0;
    s->vpos = 0;
    s->have_row = 0;
    s->out_row = 0;
    s->line = 0;
    s->next_file++;
    s->page_open = 1;
    *page = s->page;
exit:
    if (rc != 0)
        sim_input_close(s);
    return rc;
}

static int sim_input_read_band(void *ctx, uint8_t *buf, unsigned max_lines)
{
    struct sim_input *s = ctx;
    size_t row = (size_t)s->page.width * s->page.components;
    size_t left = (size_t)s->img_x * s->page.components;
    unsigned n;

    if (!s->armed || !s->page_open || (buf == NULL && max_lines > 0))
        return HAL_SCAN_ERR_BAD_ARG;
    n = s->page.height - s->line;
    if (n > max_lines)
        n = max_lines;
    for (unsigned i = 0; i < n; i++) {
        unsigned y = s->line + i;
        uint8_t *out = buf + i * row;

        memset(out, 255, row);
        if (y >= s->img_y && y < s->img_y + s->img_h) {
            int rc = sim_input_image_row(s, out + left);
            if (rc != 0)
                return rc;
        }
    }
    s->line += n;
    if (s->line == s->page.height)
        sim_input_close(s); /* the page's memory goes as soon as it is delivered */
    return (int)n;
}

static void sim_input_stop(void *ctx)
{
    sim_input_free(ctx);
}

/* ---- files ---- */

static int sim_input_fail(struct sim_input *s, const char *fmt, ...)
{
    int n = snprintf(s->error, sizeof(s->error), "%s: ", s->path != NULL ? s->path : "?");
    va_list ap;

    if (n < 0 || (size_t)n >= sizeof(s->error))
        return SIM_INPUT_ERR_FILE;
    va_start(ap, fmt);
    vsnprintf(s->error + n, sizeof(s->error) - (size_t)n, fmt, ap);
    va_end(ap);
    return SIM_INPUT_ERR_FILE;
}

/* Opens file `index` and reads its header: src_w, src_h, src_channels. */
static int sim_input_open(struct sim_input *s, unsigned index)
{
    int c;

    s->path = s->cfg.paths[index];
    s->fp = fopen(s->path, "rb");
    if (s->fp == NULL)
        return sim_input_fail(s, "cannot open: %s", strerror(errno));
    c = getc(s->fp);
    if (c == EOF)
        return sim_input_fail(s, "empty file");
    ungetc(c, s->fp);
    return c == 0x89 ? sim_input_open_png(s) : sim_input_open_pnm(s);
}

static void sim_input_close(struct sim_input *s)
{
    if (s->png != NULL) {
        png_structp png = s->png;
        png_infop info = s->png_info;
        png_destroy_read_struct(&png, info != NULL ? &info : NULL, NULL);
    }
    s->png = NULL;
    s->png_info = NULL;
    if (s->fp != NULL)
        fclose(s->fp);
    s->fp = NULL;
    free(s->raw);
    free(s->pix);
    free(s->conv);
    free(s->hrow);
    free(s->acc);
    s->raw = s->pix = s->conv = NULL;
    s->hrow = NULL;
    s->acc = NULL;
}

static int sim_input_open_pnm(struct sim_input *s)
{
    struct sim_pnm_parser p;
    struct stat st;
    size_t used;
    uint64_t need;
    int rc = SIM_PNM_NEED_MORE;
    int c;

    /* One byte at a time: the parser stops exactly at the raster. */
    sim_pnm_init(&p);
    while (rc == SIM_PNM_NEED_MORE && (c = getc(s->fp)) != EOF) {
        uint8_t b = (uint8_t)c;
        rc = sim_pnm_parse(&p, &b, 1, &used);
    }
    if (rc != SIM_PNM_DONE) {
        if (ferror(s->fp))
            return sim_input_fail(s, "read error: %s", strerror(errno));
        return sim_input_fail(s, "%s", sim_pnm_strerror(rc));
    }
    s->pnm = p.hdr;
    s->src_w = p.hdr.width;
    s->src_h = p.hdr.height;
    s->src_channels = p.hdr.components;
    need = (uint64_t)p.total + (uint64_t)sim_pnm_row_bytes(&p.hdr) * p.hdr.height;
    if (fstat(fileno(s->fp), &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size < need)
        return sim_input_fail(s, "file truncated: %llu bytes, the %ux%u image needs %llu",
                              (unsigned long long)st.st_size, p.hdr.width, p.hdr.height,
                              (unsigned long long)need);
    return 0;
}

static void sim_input_png_error(png_structp png, png_const_charp msg)
{
    struct sim_input *s = png_get_error_ptr(png);

    sim_input_fail(s, "PNG error: %s", msg);
    png_longjmp(png, 1);
}

static void sim_input_png_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg; /* recoverable: the image still decodes */
}

/* The part of the PNG header reading that libpng may abandon by longjmp;
 * it touches nothing but s, which lives outside this frame. */
static int sim_input_png_header(struct sim_input *s)
{
    png_structp png = s->png;
    png_infop info = s->png_info;

    if (setjmp(png_jmpbuf(png)))
        return SIM_INPUT_ERR_FILE;
    png_init_io(png, s->fp);
    png_set_user_limits(png, SIM_INPUT_MAX_DIM, SIM_INPUT_MAX_DIM);
    png_read_info(png, info);
    if (png_get_interlace_type(png, info) != PNG_INTERLACE_NONE)
        return sim_input_fail(s, "interlaced (progressive) PNG is not supported");
    png_set_expand(png); /* palette -> RGB, grey < 8 bits -> 8, tRNS -> alpha */
    png_set_strip_16(png);
    png_read_update_info(png, info);
    s->src_w = png_get_image_width(png, info);
    s->src_h = png_get_image_height(png, info);
    s->src_channels = png_get_channels(png, info);
    if (png_get_bit_depth(png, info) != 8 || s->src_channels < 1 || s->src_channels > 4)
        return sim_input_fail(s, "unsupported PNG pixel format");
    return 0;
}

static int sim_input_open_png(struct sim_input *s)
{
    s->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, s, sim_input_png_error,
                                    sim_input_png_warning);
    if (s->png == NULL)
        return sim_input_fail(s, "out of memory");
    s->png_info = png_create_info_struct(s->png);
    if (s->png_info == NULL)
        return sim_input_fail(s, "out of memory");
    return sim_input_png_header(s);
}

static int sim_input_alloc_rows(struct sim_input *s)
{
    size_t comp = s->page.components;
    size_t raw =
        s->png != NULL ? png_get_rowbytes(s->png, s->png_info) : sim_pnm_row_bytes(&s->pnm);

    s->raw = malloc(raw);
    s->pix = malloc((size_t)s->src_w * s->src_channels);
    s->conv = malloc((size_t)s->src_w * comp);
    s->hrow = malloc((size_t)s->img_w * comp * sizeof(uint16_t));
    s->acc = malloc((size_t)s->img_w * comp * sizeof(uint32_t));
    if (s->raw == NULL || s->pix == NULL || s->conv == NULL || s->hrow == NULL || s->acc == NULL) {
        snprintf(s->error, sizeof(s->error), "%s: out of memory for its rows", s->path);
        return SIM_INPUT_ERR_NOMEM;
    }
    return 0;
}

/* ---- one source row: decode, convert, scale horizontally ---- */

/* libpng may longjmp out of png_read_row; nothing here needs cleaning up. */
static int sim_input_png_row(struct sim_input *s)
{
    if (setjmp(png_jmpbuf((png_structp)s->png)))
        return SIM_INPUT_ERR_FILE;
    png_read_row(s->png, s->raw, NULL);
    return 0;
}

/* Samples of n pixels with `ch` channels (1 grey, 2 grey + alpha, 3 RGB,
 * 4 RGBA) to `comp` components (1 or 3), alpha composited over white. */
static void sim_input_convert(const uint8_t *in, unsigned ch, unsigned n, uint8_t *out,
                              unsigned comp)
{
    for (unsigned x = 0; x < n; x++, in += ch, out += comp) {
        unsigned rgb[3], a = (ch == 2 || ch == 4) ? in[ch - 1] : 255;
        for (unsigned c = 0; c < 3; c++) {
            unsigned v = ch >= 3 ? in[c] : in[0];
            rgb[c] = (v * a + 255 * (255 - a) + 127) / 255;
        }
        if (comp == 3) {
            out[0] = (uint8_t)rgb[0];
            out[1] = (uint8_t)rgb[1];
            out[2] = (uint8_t)rgb[2];
        } else if (ch <= 2) {
            out[0] = (uint8_t)rgb[0];
        } else {
            out[0] = (uint8_t)((77 * rgb[0] + 150 * rgb[1] + 29 * rgb[2] + 128) >> 8);
        }
    }
}

/* Area-weighted horizontal scaling of src_w pixels to img_w, in units of
 * 1/img_w of a source pixel: output x covers [x * src_w, (x + 1) * src_w),
 * source k covers [k * img_w, (k + 1) * img_w). Results in 8.8 fixed point. */
static void sim_input_hscale(const uint8_t *src, unsigned src_w, unsigned img_w, unsigned comp,
                             uint16_t *dst)
{
    uint64_t pos = 0;
    unsigned k = 0;

    for (unsigned x = 0; x < img_w; x++) {
        uint64_t end = (uint64_t)(x + 1) * src_w;
        uint64_t sum[3] = {0, 0, 0};

        while (pos < end) {
            uint64_t kend = (uint64_t)(k + 1) * img_w;
            uint64_t take = (kend < end ? kend : end) - pos;
            for (unsigned c = 0; c < comp; c++)
                sum[c] += src[(size_t)k * comp + c] * take;
            pos += take;
            if (pos == kend)
                k++;
        }
        for (unsigned c = 0; c < comp; c++)
            dst[(size_t)x * comp + c] = (uint16_t)((sum[c] * 256 + src_w / 2) / src_w);
    }
}

/* Reads source row src_row and leaves it, scaled to img_w, in hrow. */
static int sim_input_load_row(struct sim_input *s)
{
    unsigned comp = s->page.components;

    if (s->png != NULL) {
        if (sim_input_png_row(s) != 0)
            return SIM_INPUT_ERR_FILE;
        sim_input_convert(s->raw, s->src_channels, s->src_w, s->conv, comp);
    } else {
        size_t n = sim_pnm_row_bytes(&s->pnm);
        if (fread(s->raw, 1, n, s->fp) != n)
            return sim_input_fail(s, "file truncated at image row %u of %u", s->src_row + 1,
                                  s->src_h);
        sim_pnm_row_to_8bit(&s->pnm, s->raw, s->pix);
        sim_input_convert(s->pix, s->src_channels, s->src_w, s->conv, comp);
    }
    sim_input_hscale(s->conv, s->src_w, s->img_w, comp, s->hrow);
    s->have_row = 1;
    return 0;
}

/* Produces image row out_row (img_w pixels) at out: the source rows it
 * covers, in units of 1/img_h of a source row, weighted by overlap. Output
 * row r covers [r * src_h, (r + 1) * src_h); source row k covers
 * [k * img_h, (k + 1) * img_h). The weights of one row add up to src_h, so
 * the accumulator stays below 65280 * 20000 < 2^32. */
static int sim_input_image_row(struct sim_input *s, uint8_t *out)
{
    size_t n = (size_t)s->img_w * s->page.components;
    uint64_t end = (uint64_t)(s->out_row + 1) * s->src_h;
    uint32_t total = s->src_h;

    memset(s->acc, 0, n * sizeof(uint32_t));
    while (s->vpos < end) {
        uint64_t kend = (uint64_t)(s->src_row + 1) * s->img_h;
        uint32_t take;

        if (!s->have_row) {
            int rc = sim_input_load_row(s);
            if (rc != 0)
                return rc;
        }
        take = (uint32_t)((kend < end ? kend : end) - s->vpos);
        for (size_t i = 0; i < n; i++)
            s->acc[i] += s->hrow[i] * take;
        s->vpos += take;
        if (s->vpos == kend) {
            s->src_row++;
            s->have_row = 0;
        }
    }
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)((s->acc[i] + (uint64_t)total * 128) / ((uint64_t)total * 256));
    s->out_row++;
    return 0;
}
