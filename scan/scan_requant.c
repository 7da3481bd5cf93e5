/* Re-encoding a spooled JPEG page: libjpeg decoder in, scan_jpeg out. */
#include "scan_requant.h"

#include <stdint.h>
#include <string.h>

#include <jerror.h>

#include "spool.h"

static int scan_requant_open_source(struct scan_requant *rq);
static unsigned scan_requant_decode(struct scan_requant *rq, unsigned lines);
static void scan_requant_end_source(struct scan_requant *rq);
static int scan_requant_fail(struct scan_requant *rq);
static int scan_requant_encode_fail(struct scan_requant *rq, int jpeg_rc);
static void scan_requant_release(struct scan_requant *rq);
static void scan_requant_error_exit(j_common_ptr cinfo);
static void scan_requant_output_message(j_common_ptr cinfo);
static void scan_requant_src_init(j_decompress_ptr dinfo);
static boolean scan_requant_src_fill(j_decompress_ptr dinfo);
static void scan_requant_src_skip(j_decompress_ptr dinfo, long n);
static void scan_requant_src_term(j_decompress_ptr dinfo);
static int scan_requant_spool_sink(void *arg, const uint8_t *buf, size_t len);
static int scan_requant_job_end(struct scan_requant_job *j, int rc);

int scan_requant_init(struct scan_requant *rq, const struct scan_requant_params *p)
{
    struct scan_jpeg_params jp;
    size_t row;
    int rc;

    if (rq == NULL || p == NULL || p->read == NULL || p->band == NULL || p->sink == NULL ||
        p->quality < 1 || p->quality > 100)
        return SCAN_REQUANT_ERR_BAD_ARG;

    /* Zeroed first so that jpeg_destroy_decompress() is safe even when
     * jpeg_create_decompress() itself fails half-way. */
    memset(rq, 0, sizeof(*rq));
    rq->read = p->read;
    rq->read_arg = p->read_arg;
    rq->band = p->band;
    rq->dinfo.err = jpeg_std_error(&rq->err.pub);
    rq->err.pub.error_exit = scan_requant_error_exit;
    rq->err.pub.output_message = scan_requant_output_message;
    rq->state = SCAN_REQUANT_RUNNING;
    if (setjmp(rq->err.jump))
        return scan_requant_fail(rq);

    rc = scan_requant_open_source(rq);
    if (rc != 0)
        goto exit;
    row = (size_t)rq->width * rq->components;
    if (p->band_cap < row) {
        rc = SCAN_REQUANT_ERR_BAND;
        goto exit;
    }
    rq->band_lines = p->band_cap / row > rq->height ? rq->height : (unsigned)(p->band_cap / row);

    jp = (struct scan_jpeg_params){rq->width, rq->height, rq->components, rq->dpi, p->quality};
    rc = scan_jpeg_init(&rq->enc, &jp, p->sink, p->sink_arg);
    if (rc != 0)
        return scan_requant_encode_fail(rq, rc);
exit:
    if (rc != 0) {
        scan_requant_release(rq);
        rq->state = SCAN_REQUANT_FAILED;
    }
    return rc;
}

int scan_requant_step(struct scan_requant *rq)
{
    unsigned lines;
    int rc;

    if (rq == NULL)
        return SCAN_REQUANT_ERR_BAD_ARG;
    if (rq->state != SCAN_REQUANT_RUNNING)
        return SCAN_REQUANT_ERR_STATE;
    if (setjmp(rq->err.jump))
        return scan_requant_fail(rq);

    lines = scan_requant_decode(rq, rq->band_lines);
    rc = scan_jpeg_write_lines(&rq->enc, rq->band, lines);
    if (rc != 0)
        return scan_requant_encode_fail(rq, rc);
    if (scan_jpeg_lines(&rq->enc) < rq->height)
        return SCAN_REQUANT_AGAIN;

    scan_requant_end_source(rq);
    rc = scan_jpeg_finish(&rq->enc);
    if (rc != 0)
        return scan_requant_encode_fail(rq, rc);
    rq->state = SCAN_REQUANT_DONE;
    return 0;
}

void scan_requant_abort(struct scan_requant *rq)
{
    if (rq != NULL && rq->state == SCAN_REQUANT_RUNNING) {
        scan_requant_release(rq);
        rq->state = SCAN_REQUANT_IDLE;
    }
}

unsigned scan_requant_width(const struct scan_requant *rq)
{
    return rq->width;
}
unsigned scan_requant_height(const struct scan_requant *rq)
{
    return rq->height;
}
unsigned scan_requant_components(const struct scan_requant *rq)
{
    return rq->components;
}
unsigned scan_requant_dpi(const struct scan_requant *rq)
{
    return rq->dpi;
}
unsigned scan_requant_lines(const struct scan_requant *rq)
{
    return scan_jpeg_lines(&rq->enc);
}
int scan_requant_detail(const struct scan_requant *rq)
{
    return rq->detail;
}

int scan_requant_spool(struct scan_requant *rq, const struct hal_storage *st, const char *src,
                       const char *dst, unsigned quality, uint8_t *band, size_t band_cap,
                       uint32_t *dst_size)
{
    struct scan_requant_job j;
    int rc = scan_requant_job_start(&j, rq, st, src, dst, quality, 0, band, band_cap);

    while (rc == SCAN_REQUANT_AGAIN)
        rc = scan_requant_job_step(&j);
    if (rc == 0 && dst_size != NULL)
        *dst_size = j.out.size;
    return rc;
}

int scan_requant_job_start(struct scan_requant_job *j, struct scan_requant *rq,
                           const struct hal_storage *st, const char *src, const char *dst,
                           unsigned quality, uint32_t max_bytes, uint8_t *band, size_t band_cap)
{
    if (j == NULL)
        return SCAN_REQUANT_ERR_BAD_ARG;
    memset(j, 0, sizeof(*j));
    if (rq == NULL || st == NULL || src == NULL || dst == NULL || strcmp(src, dst) == 0 ||
        quality < 1 || quality > 100)
        return SCAN_REQUANT_ERR_BAD_ARG;
    memset(rq, 0, sizeof(*rq));
    j->rq = rq;
    j->st = st;
    j->src = src;
    j->dst = dst;
    j->quality = quality;
    j->max_bytes = max_bytes;
    j->band = band;
    j->band_cap = band_cap;
    return SCAN_REQUANT_AGAIN;
}

int scan_requant_job_step(struct scan_requant_job *j)
{
    int rc;

    if (!j->running) {
        struct scan_requant_params p = {spool_page_read,         &j->pg, j->quality, j->band,
                                        j->band_cap, scan_requant_spool_sink, &j->w};
        rc = spool_page_open(&j->pg, j->st, j->src);
        if (rc == 0) {
            rc = spool_writer_open(&j->w, j->st, j->dst);
            j->writing = rc == 0;
        }
        if (rc != 0) {
            j->rq->detail = rc;
            return scan_requant_job_end(j, SCAN_REQUANT_ERR_SPOOL);
        }
        j->running = 1;
        rc = scan_requant_init(j->rq, &p);
        return rc == 0 ? SCAN_REQUANT_AGAIN : scan_requant_job_end(j, rc);
    }
    rc = scan_requant_step(j->rq);
    if (rc == SCAN_REQUANT_AGAIN)
        return rc;
    /* Both callbacks are the spool's: say so, with its code. */
    if (rc == SCAN_REQUANT_ERR_READ || rc == SCAN_REQUANT_ERR_SINK)
        return scan_requant_job_end(j, SCAN_REQUANT_ERR_SPOOL);
    if (rc != 0)
        return scan_requant_job_end(j, rc);
    j->out.size = spool_writer_length(&j->w);
    rc = spool_writer_commit(&j->w);
    if (rc != 0) {
        j->rq->detail = rc;
        return scan_requant_job_end(j, SCAN_REQUANT_ERR_SPOOL);
    }
    j->writing = 0;
    j->out.tries++;
    j->out.quality = j->quality;
    scan_requant_job_end(j, 0);
    if (j->max_bytes == 0 || j->out.size <= j->max_bytes)
        return 0;
    /* Too big: the next try starts again from the original page. */
    spool_page_remove(j->st, j->dst);
    j->quality = scan_requant_next_quality(j->quality);
    return j->quality != 0 ? SCAN_REQUANT_AGAIN : SCAN_REQUANT_ERR_NO_FIT;
}

void scan_requant_job_abort(struct scan_requant_job *j)
{
    if (j != NULL && j->running)
        scan_requant_job_end(j, SCAN_REQUANT_ERR_BAD_ARG);
}

/* Ends the try in progress; on an error nothing of dst is left. */
static int scan_requant_job_end(struct scan_requant_job *j, int rc)
{
    scan_requant_abort(j->rq);
    spool_writer_abort(&j->w);
    spool_page_close(&j->pg);
    /* An old page of that name lost its header at open; drop its data too. */
    if (rc != 0 && j->writing)
        spool_page_remove(j->st, j->dst);
    j->writing = 0;
    j->running = 0;
    return rc;
}

unsigned scan_requant_next_quality(unsigned q)
{
    if (q <= SCAN_REQUANT_QUALITY_FLOOR)
        return 0;
    if (q <= SCAN_REQUANT_QUALITY_FLOOR + SCAN_REQUANT_QUALITY_STEP)
        return SCAN_REQUANT_QUALITY_FLOOR;
    return q - SCAN_REQUANT_QUALITY_STEP;
}

int scan_requant_fit(struct scan_requant *rq, const struct hal_storage *st, const char *src,
                     const char *dst, unsigned src_quality, uint32_t max_bytes, uint8_t *band,
                     size_t band_cap, struct scan_requant_outcome *out)
{
    struct scan_requant_job j;
    unsigned q = src_quality >= 1 && src_quality <= 100 ? scan_requant_next_quality(src_quality)
                                                        : 0;
    int rc;

    if (rq == NULL || st == NULL || src_quality < 1 || src_quality > 100)
        return SCAN_REQUANT_ERR_BAD_ARG;
    if (out != NULL)
        memset(out, 0, sizeof(*out));
    if (q == 0)
        return SCAN_REQUANT_ERR_NO_FIT;
    rc = scan_requant_job_start(&j, rq, st, src, dst, q, max_bytes ? max_bytes : 1, band,
                                band_cap);
    while (rc == SCAN_REQUANT_AGAIN)
        rc = scan_requant_job_step(&j);
    if (out != NULL)
        *out = j.out;
    return rc;
}

/* Sets libjpeg up on our source, reads the headers and checks the page is
 * one we can stream. Runs under the caller's setjmp. */
static int scan_requant_open_source(struct scan_requant *rq)
{
    struct jpeg_decompress_struct *d = &rq->dinfo;

    jpeg_create_decompress(d);
    d->client_data = rq;
    rq->src.init_source = scan_requant_src_init;
    rq->src.fill_input_buffer = scan_requant_src_fill;
    rq->src.skip_input_data = scan_requant_src_skip;
    rq->src.resync_to_restart = jpeg_resync_to_restart;
    rq->src.term_source = scan_requant_src_term;
    d->src = &rq->src;
    jpeg_read_header(d, TRUE);

    if (d->progressive_mode || jpeg_has_multiple_scans(d))
        return SCAN_REQUANT_ERR_FORMAT;
    if (d->jpeg_color_space == JCS_GRAYSCALE && d->num_components == 1) {
        d->out_color_space = JCS_GRAYSCALE;
        rq->components = 1;
    } else if ((d->jpeg_color_space == JCS_YCbCr || d->jpeg_color_space == JCS_RGB) &&
               d->num_components == 3) {
        d->out_color_space = JCS_RGB;
        rq->components = 3;
    } else {
        return SCAN_REQUANT_ERR_FORMAT;
    }
    if (!d->saw_JFIF_marker || d->X_density == 0)
        return SCAN_REQUANT_ERR_FORMAT;
    if (d->density_unit == 1)
        rq->dpi = d->X_density;
    else if (d->density_unit == 2)
        rq->dpi = ((unsigned)d->X_density * 254u + 50u) / 100u;
    else
        return SCAN_REQUANT_ERR_FORMAT;
    if (rq->dpi == 0 || rq->dpi > 65535)
        return SCAN_REQUANT_ERR_FORMAT;

    jpeg_start_decompress(d);
    rq->width = d->output_width;
    rq->height = d->output_height;
    return 0;
}

/* Decodes up to `lines` lines into the band; returns how many. Kept out of
 * scan_requant_step() so that no local of the function holding the setjmp
 * changes between setjmp and a longjmp. */
static unsigned scan_requant_decode(struct scan_requant *rq, unsigned lines)
{
    size_t row = (size_t)rq->width * rq->components;
    unsigned done = 0;

    if (lines > rq->height - rq->dinfo.output_scanline)
        lines = rq->height - rq->dinfo.output_scanline;
    while (done < lines) {
        JSAMPROW r = rq->band + (size_t)done * row;
        JDIMENSION got = jpeg_read_scanlines(&rq->dinfo, &r, 1);
        /* Only a suspending source returns 0, and ours never suspends. */
        if (got == 0)
            ERREXIT(&rq->dinfo, JERR_CANT_SUSPEND);
        done += got;
    }
    return done;
}

static void scan_requant_end_source(struct scan_requant *rq)
{
    jpeg_finish_decompress(&rq->dinfo);
    jpeg_destroy_decompress(&rq->dinfo);
}

/* Landing point of a longjmp: frees libjpeg and names the cause. */
static int scan_requant_fail(struct scan_requant *rq)
{
    int rc;

    if (rq->read_failed) {
        rc = SCAN_REQUANT_ERR_READ; /* detail already holds the callback's code */
    } else {
        rq->detail = rq->err.pub.msg_code;
        rc = rq->detail == JERR_OUT_OF_MEMORY ? SCAN_REQUANT_ERR_NOMEM : SCAN_REQUANT_ERR_DECODE;
    }
    scan_requant_release(rq);
    rq->state = SCAN_REQUANT_FAILED;
    return rc;
}

/* scan_jpeg has already released itself; the decoder goes too. */
static int scan_requant_encode_fail(struct scan_requant *rq, int jpeg_rc)
{
    int rc = SCAN_REQUANT_ERR_ENCODE;

    rq->detail = jpeg_rc;
    if (jpeg_rc == SCAN_JPEG_ERR_SINK) {
        rq->detail = scan_jpeg_sink_error(&rq->enc);
        rc = SCAN_REQUANT_ERR_SINK;
    } else if (jpeg_rc == SCAN_JPEG_ERR_NOMEM) {
        rc = SCAN_REQUANT_ERR_NOMEM;
    }
    scan_requant_release(rq);
    rq->state = SCAN_REQUANT_FAILED;
    return rc;
}

/* Both calls are safe on a zeroed or already destroyed object. */
static void scan_requant_release(struct scan_requant *rq)
{
    jpeg_destroy_decompress(&rq->dinfo);
    scan_jpeg_abort(&rq->enc);
}

/* libjpeg's default error_exit calls exit(): unwind to our caller instead. */
static void scan_requant_error_exit(j_common_ptr cinfo)
{
    struct scan_requant_err_mgr *err = (struct scan_requant_err_mgr *)cinfo->err;

    longjmp(err->jump, 1);
}

/* Warnings and traces would go to stderr; the firmware has none. */
static void scan_requant_output_message(j_common_ptr cinfo)
{
    (void)cinfo;
}

static void scan_requant_src_init(j_decompress_ptr dinfo)
{
    (void)dinfo;
}

/* Refills the input buffer from the read callback at the next offset. The
 * end of the source before libjpeg saw the end of the image is an error
 * (a spooled page is whole: libjpeg's habit of padding with a fake EOI
 * would turn a damaged page into a grey one). */
static boolean scan_requant_src_fill(j_decompress_ptr dinfo)
{
    struct scan_requant *rq = (struct scan_requant *)dinfo->client_data;
    long n = rq->read(rq->read_arg, rq->in_off, rq->inbuf, sizeof(rq->inbuf));

    if (n < 0 || (size_t)n > sizeof(rq->inbuf)) {
        rq->read_failed = 1;
        rq->detail = n < 0 ? (int)n : 0;
        longjmp(rq->err.jump, 1);
    }
    if (n == 0)
        ERREXIT(dinfo, JERR_INPUT_EOF);
    rq->in_off += (uint32_t)n;
    rq->src.next_input_byte = rq->inbuf;
    rq->src.bytes_in_buffer = (size_t)n;
    return TRUE;
}

/* Skips within the buffer, or moves the read offset past it: reading by
 * offset means skipped bytes are never read at all. */
static void scan_requant_src_skip(j_decompress_ptr dinfo, long n)
{
    struct scan_requant *rq = (struct scan_requant *)dinfo->client_data;
    size_t skip = n > 0 ? (size_t)n : 0;

    if (skip <= rq->src.bytes_in_buffer) {
        rq->src.next_input_byte += skip;
        rq->src.bytes_in_buffer -= skip;
        return;
    }
    skip -= rq->src.bytes_in_buffer;
    rq->src.bytes_in_buffer = 0;
    /* Past 4 GiB: park at the end, where the next read finds nothing. */
    rq->in_off = skip > UINT32_MAX - rq->in_off ? UINT32_MAX : rq->in_off + (uint32_t)skip;
}

static void scan_requant_src_term(j_decompress_ptr dinfo)
{
    (void)dinfo;
}

static int scan_requant_spool_sink(void *arg, const uint8_t *buf, size_t len)
{
    return spool_writer_write(arg, buf, len);
}
