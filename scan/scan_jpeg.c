/* Band-by-band JPEG encoder: libjpeg-turbo behind a sink callback. */
#include "scan_jpeg.h"

#include <stdint.h>
#include <string.h>

#include <jerror.h>

/* Rows handed to jpeg_write_scanlines() per call: one MCU row of 4:2:0. */
#define SCAN_JPEG_ROWS_PER_CALL 16
#define SCAN_JPEG_DIM_MAX 65500u

static int scan_jpeg_fail(struct scan_jpeg *j);
static void scan_jpeg_release(struct scan_jpeg *j);
static void scan_jpeg_error_exit(j_common_ptr cinfo);
static void scan_jpeg_output_message(j_common_ptr cinfo);
static void scan_jpeg_dest_init(j_compress_ptr cinfo);
static boolean scan_jpeg_dest_empty(j_compress_ptr cinfo);
static void scan_jpeg_dest_term(j_compress_ptr cinfo);
static void scan_jpeg_emit(struct scan_jpeg *j, size_t len);
static void scan_jpeg_feed(struct scan_jpeg *j, const uint8_t *band, unsigned lines);

int scan_jpeg_init(struct scan_jpeg *j, const struct scan_jpeg_params *p, scan_jpeg_sink_fn sink,
                   void *sink_arg)
{
    if (j == NULL || p == NULL || sink == NULL)
        return SCAN_JPEG_ERR_BAD_ARG;
    if (p->width == 0 || p->width > SCAN_JPEG_DIM_MAX || p->height == 0 ||
        p->height > SCAN_JPEG_DIM_MAX || (p->components != 1 && p->components != 3) ||
        p->dpi == 0 || p->dpi > 65535 || p->quality < 1 || p->quality > 100)
        return SCAN_JPEG_ERR_BAD_ARG;

    /* Zeroed first so that jpeg_destroy_compress() is safe even when
     * jpeg_create_compress() itself fails half-way. */
    memset(j, 0, sizeof(*j));
    j->sink = sink;
    j->sink_arg = sink_arg;
    j->height = p->height;
    j->row_bytes = (size_t)p->width * p->components;
    j->cinfo.err = jpeg_std_error(&j->err.pub);
    j->err.pub.error_exit = scan_jpeg_error_exit;
    j->err.pub.output_message = scan_jpeg_output_message;
    j->state = SCAN_JPEG_RUNNING;
    if (setjmp(j->err.jump))
        return scan_jpeg_fail(j);

    jpeg_create_compress(&j->cinfo);
    j->cinfo.client_data = j;
    j->dest.init_destination = scan_jpeg_dest_init;
    j->dest.empty_output_buffer = scan_jpeg_dest_empty;
    j->dest.term_destination = scan_jpeg_dest_term;
    j->cinfo.dest = &j->dest;

    j->cinfo.image_width = p->width;
    j->cinfo.image_height = p->height;
    j->cinfo.input_components = (int)p->components;
    j->cinfo.in_color_space = p->components == 3 ? JCS_RGB : JCS_GRAYSCALE;
    jpeg_set_defaults(&j->cinfo);
    jpeg_set_quality(&j->cinfo, (int)p->quality, TRUE);
    /* One pass, fixed tables: optimised Huffman tables would need the whole
     * image's coefficients in memory before the first byte goes out. */
    j->cinfo.optimize_coding = FALSE;
    j->cinfo.write_JFIF_header = TRUE;
    j->cinfo.density_unit = 1; /* dots per inch */
    j->cinfo.X_density = (UINT16)p->dpi;
    j->cinfo.Y_density = (UINT16)p->dpi;
    jpeg_start_compress(&j->cinfo, TRUE);
    return 0;
}

int scan_jpeg_write_lines(struct scan_jpeg *j, const uint8_t *band, unsigned lines)
{
    if (j == NULL || (band == NULL && lines > 0))
        return SCAN_JPEG_ERR_BAD_ARG;
    if (j->state != SCAN_JPEG_RUNNING)
        return SCAN_JPEG_ERR_STATE;
    if (lines > j->height - j->lines) {
        scan_jpeg_release(j);
        return SCAN_JPEG_ERR_STATE;
    }
    if (setjmp(j->err.jump))
        return scan_jpeg_fail(j);
    scan_jpeg_feed(j, band, lines);
    j->lines += lines;
    return 0;
}

int scan_jpeg_finish(struct scan_jpeg *j)
{
    if (j == NULL)
        return SCAN_JPEG_ERR_BAD_ARG;
    if (j->state != SCAN_JPEG_RUNNING)
        return SCAN_JPEG_ERR_STATE;
    if (j->lines != j->height) {
        scan_jpeg_release(j);
        return SCAN_JPEG_ERR_STATE;
    }
    if (setjmp(j->err.jump))
        return scan_jpeg_fail(j);
    jpeg_finish_compress(&j->cinfo);
    jpeg_destroy_compress(&j->cinfo);
    j->state = SCAN_JPEG_IDLE;
    return 0;
}

void scan_jpeg_abort(struct scan_jpeg *j)
{
    if (j != NULL && j->state == SCAN_JPEG_RUNNING)
        scan_jpeg_release(j);
}

unsigned scan_jpeg_lines(const struct scan_jpeg *j) { return j->lines; }
uint32_t scan_jpeg_bytes_out(const struct scan_jpeg *j) { return j->bytes_out; }
int scan_jpeg_sink_error(const struct scan_jpeg *j) { return j->sink_error; }
int scan_jpeg_lib_code(const struct scan_jpeg *j) { return j->lib_code; }

/* Kept out of scan_jpeg_write_lines() so that no local of the function
 * holding the setjmp changes between setjmp and a longjmp. */
static void scan_jpeg_feed(struct scan_jpeg *j, const uint8_t *band, unsigned lines)
{
    JSAMPROW rows[SCAN_JPEG_ROWS_PER_CALL];
    unsigned done = 0;

    while (done < lines) {
        unsigned n = lines - done;
        if (n > SCAN_JPEG_ROWS_PER_CALL)
            n = SCAN_JPEG_ROWS_PER_CALL;
        for (unsigned i = 0; i < n; i++) {
            /* libjpeg only reads RGB/grey input rows; its API lacks const. */
            rows[i] = (JSAMPROW)(uintptr_t)(band + (size_t)(done + i) * j->row_bytes);
        }
        /* Our destination never suspends, so every row is consumed. */
        done += jpeg_write_scanlines(&j->cinfo, rows, n);
    }
}

/* Landing point of a longjmp: frees libjpeg and names the cause. */
static int scan_jpeg_fail(struct scan_jpeg *j)
{
    scan_jpeg_release(j);
    j->state = SCAN_JPEG_FAILED;
    if (j->sink_error != 0)
        return SCAN_JPEG_ERR_SINK;
    if (j->lib_code == JERR_OUT_OF_MEMORY)
        return SCAN_JPEG_ERR_NOMEM;
    return SCAN_JPEG_ERR_LIB;
}

static void scan_jpeg_release(struct scan_jpeg *j)
{
    jpeg_destroy_compress(&j->cinfo);
    j->state = SCAN_JPEG_FAILED;
}

/* libjpeg's default error_exit calls exit(): firmware must never stop, so
 * we unwind to the public function that called into libjpeg. */
static void scan_jpeg_error_exit(j_common_ptr cinfo)
{
    struct scan_jpeg_err_mgr *err = (struct scan_jpeg_err_mgr *)cinfo->err;
    struct scan_jpeg *j = (struct scan_jpeg *)cinfo->client_data;

    if (j != NULL)
        j->lib_code = err->pub.msg_code;
    longjmp(err->jump, 1);
}

/* Warnings and traces would go to stderr; the firmware has none. */
static void scan_jpeg_output_message(j_common_ptr cinfo) { (void)cinfo; }

static void scan_jpeg_dest_init(j_compress_ptr cinfo)
{
    struct scan_jpeg *j = (struct scan_jpeg *)cinfo->client_data;

    j->dest.next_output_byte = j->buf;
    j->dest.free_in_buffer = sizeof(j->buf);
}

/* libjpeg's contract: the whole buffer is full, whatever free_in_buffer says. */
static boolean scan_jpeg_dest_empty(j_compress_ptr cinfo)
{
    struct scan_jpeg *j = (struct scan_jpeg *)cinfo->client_data;

    scan_jpeg_emit(j, sizeof(j->buf));
    j->dest.next_output_byte = j->buf;
    j->dest.free_in_buffer = sizeof(j->buf);
    return TRUE;
}

static void scan_jpeg_dest_term(j_compress_ptr cinfo)
{
    struct scan_jpeg *j = (struct scan_jpeg *)cinfo->client_data;
    size_t len = sizeof(j->buf) - j->dest.free_in_buffer;

    if (len > 0)
        scan_jpeg_emit(j, len);
}

/* Called only from inside libjpeg (a setjmp is armed), so a sink failure
 * can unwind the same way a libjpeg error does. */
static void scan_jpeg_emit(struct scan_jpeg *j, size_t len)
{
    int rc = j->sink(j->sink_arg, j->buf, len);

    if (rc != 0) {
        j->sink_error = rc < 0 ? rc : -rc;
        longjmp(j->err.jump, 1);
    }
    j->bytes_out += (uint32_t)len;
}
