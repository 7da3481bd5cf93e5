/* Re-encoding a spooled JPEG page at a lower quality, band by band.
 *
 * Used when one page alone is over the attachment limit (see packer.h): the
 * page is decoded with libjpeg-turbo a few lines at a time into the caller's
 * band buffer and re-encoded with scan_jpeg at a lower quality, keeping its
 * width, height, colour (grey or RGB) and density. The source is read by
 * offset through a callback (spool_page_read() fits), a
 * SCAN_REQUANT_INBUF_SIZE piece at a time, so no page is ever held whole:
 * the memory is the context (about 10 KiB with the default buffers), the
 * band, and libjpeg's working memory (one MCU row each way: 197 KiB peak
 * for an A4 300 dpi colour page, 80 KiB for grey, measured with
 * tests/bench/count_alloc.c). The band can be the scan's band buffer: a
 * re-encoding runs after the page was scanned.
 *
 * Two levels:
 *   - scan_requant_init() / scan_requant_step() / scan_requant_abort():
 *     one band per step, for the job manager's super-loop, bytes out to any
 *     scan_jpeg sink;
 *   - scan_requant_spool() (one whole re-encoding into a new spool page) and
 *     scan_requant_fit() (the policy: lower the quality step by step,
 *     SCAN_REQUANT_QUALITY_STEP down to SCAN_REQUANT_QUALITY_FLOOR, see
 *     scan_opts.h, until the page fits a byte limit). These block for the
 *     whole page (or pages); scan_requant_next_quality() lets a caller run
 *     the same ladder one step at a time instead.
 *
 * Every try starts again from the original page: re-encoding an already
 * re-encoded page would add the losses of each generation.
 *
 * Accepted sources: baseline or extended sequential JPEG (one scan), grey or
 * YCbCr/RGB, with a JFIF density in dots per inch or per cm (the density of
 * a page decides its printed size, so a page without one is refused rather
 * than guessed). Horizontal density is kept; scan_jpeg writes it for both
 * axes (our pages are square-pixel). Progressive files are refused: decoding
 * them needs the whole image's coefficients in memory.
 *
 * libjpeg errors are caught inside (setjmp/longjmp never crosses this API).
 * After any error the context is released; scan_requant_abort() is then a
 * no-op and scan_requant_detail() gives the lower layer's code. */
#ifndef SCAN_REQUANT_H
#define SCAN_REQUANT_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h> /* jpeglib.h needs FILE and size_t */

#include <jpeglib.h>

#include "hal/hal_storage.h"
#include "scan_jpeg.h"
#include "spool.h"
#include "scan_opts.h"

/* Not an error: scan_requant_step() has more lines to do. */
#define SCAN_REQUANT_AGAIN 1

#define SCAN_REQUANT_ERR_BAD_ARG (-1) /* NULL pointer, quality outside 1..100 */
#define SCAN_REQUANT_ERR_STATE (-2)   /* step without init, or after the end or an error */
#define SCAN_REQUANT_ERR_READ (-3)    /* the read callback failed (detail: its code) */
#define SCAN_REQUANT_ERR_DECODE                                                                    \
    (-4)                              /* not a JPEG, corrupt, or shorter than its data             \
                                         (detail: libjpeg's message code) */
#define SCAN_REQUANT_ERR_FORMAT (-5)  /* progressive, CMYK or no density */
#define SCAN_REQUANT_ERR_BAND (-6)    /* band buffer smaller than one line */
#define SCAN_REQUANT_ERR_ENCODE (-7)  /* scan_jpeg failed (detail: SCAN_JPEG_ERR_*) */
#define SCAN_REQUANT_ERR_NOMEM (-8)   /* libjpeg could not allocate its working memory */
#define SCAN_REQUANT_ERR_SPOOL (-9)   /* source or destination spool page (detail: SPOOL_ERR_*) */
#define SCAN_REQUANT_ERR_NO_FIT (-10) /* scan_requant_fit(): still too big at the floor */
#define SCAN_REQUANT_ERR_SINK (-11)   /* the sink failed (detail: the sink's own code) */

/* Reads up to cap bytes of the source at off into buf; returns the count
 * (1..cap), 0 at the end, or a negative code of its own module. */
typedef long (*scan_requant_read_fn)(void *arg, uint32_t off, uint8_t *buf, size_t cap);

struct scan_requant_params {
    scan_requant_read_fn read; /* the source JPEG */
    void *read_arg;
    unsigned quality;       /* of the new encoding, 1..100 */
    uint8_t *band;          /* caller's buffer, at least one line (width * components) */
    size_t band_cap;        /* bytes; whole lines of it are used */
    scan_jpeg_sink_fn sink; /* receives the new JPEG */
    void *sink_arg;
};

enum scan_requant_state {
    SCAN_REQUANT_IDLE = 0,
    SCAN_REQUANT_RUNNING,
    SCAN_REQUANT_DONE,
    SCAN_REQUANT_FAILED,
};

/* Opaque to callers: the fields are here so the caller can own the memory. */
struct scan_requant_err_mgr {
    struct jpeg_error_mgr pub; /* first: libjpeg casts its pointer to ours */
    jmp_buf jump;
};

struct scan_requant {
    struct jpeg_decompress_struct dinfo;
    struct scan_requant_err_mgr err;
    struct jpeg_source_mgr src;
    scan_requant_read_fn read;
    void *read_arg;
    uint32_t in_off; /* source offset of the next read */
    enum scan_requant_state state;
    int detail;      /* the lower layer's code behind the last error */
    int read_failed; /* the last longjmp came from the read callback */
    unsigned width, height, components, dpi;
    uint8_t *band;
    unsigned band_lines;
    struct scan_jpeg enc;
    uint8_t inbuf[SCAN_REQUANT_INBUF_SIZE];
};

/* Reads the source's headers, checks it is a page we can re-encode, and
 * starts the encoder (which writes the new headers to the sink). On failure
 * the context holds nothing and needs no abort.
 * Returns 0 or SCAN_REQUANT_ERR_*. */
int scan_requant_init(struct scan_requant *rq, const struct scan_requant_params *p);

/* Decodes the next band (as many whole lines as the band buffer holds) and
 * encodes it. After the last band, completes the new JPEG and releases
 * libjpeg. Returns SCAN_REQUANT_AGAIN while lines remain, 0 once the new
 * JPEG is complete, or SCAN_REQUANT_ERR_* (the context is then released). */
int scan_requant_step(struct scan_requant *rq);

/* Drops the re-encoding in progress and releases libjpeg (decoder and
 * encoder). Safe on a zeroed, failed, finished or already aborted context. */
void scan_requant_abort(struct scan_requant *rq);

/* The source's geometry, valid after a successful scan_requant_init(). */
unsigned scan_requant_width(const struct scan_requant *rq);
unsigned scan_requant_height(const struct scan_requant *rq);
unsigned scan_requant_components(const struct scan_requant *rq);
unsigned scan_requant_dpi(const struct scan_requant *rq);
/* Lines re-encoded so far. */
unsigned scan_requant_lines(const struct scan_requant *rq);
/* The lower layer's code behind the last error (see the SCAN_REQUANT_ERR_*
 * list), 0 if none. */
int scan_requant_detail(const struct scan_requant *rq);

/* Re-encodes spool page src at quality into a new spool page dst (another
 * name: src is read while dst is written), verifying src's CRC first and
 * committing dst only when whole. Runs every step at once. On success the
 * new page's size is in *dst_size (when not NULL). On failure dst does not
 * exist (an older page of that name is gone too once dst was opened) and
 * src is untouched. Spool failures, including those of the read callback
 * and the sink, are SCAN_REQUANT_ERR_SPOOL with the SPOOL_ERR_* as detail.
 * Returns 0 or SCAN_REQUANT_ERR_*. */
int scan_requant_spool(struct scan_requant *rq, const struct hal_storage *st, const char *src,
                       const char *dst, unsigned quality, uint8_t *band, size_t band_cap,
                       uint32_t *dst_size);

/* The next quality to try below q: q - SCAN_REQUANT_QUALITY_STEP, raised to
 * SCAN_REQUANT_QUALITY_FLOOR when it would go under it; 0 when q is already
 * at or under the floor (nothing left to try). 85 -> 70 -> 55 -> 40 -> 25 -> 0. */
unsigned scan_requant_next_quality(unsigned q);

/* Outcome of scan_requant_fit(). */
struct scan_requant_outcome {
    unsigned tries;   /* re-encodings done */
    unsigned quality; /* of the last try: the one that fits, or the floor */
    uint32_t size;    /* bytes of the last try's page */
};

/* A re-encoding in bounded steps for the super-loop: one band per
 * scan_requant_job_step(). With max_bytes 0 it is one try at quality (as
 * scan_requant_spool()); otherwise tries go down from quality by
 * scan_requant_next_quality() until the page is at most max_bytes (as
 * scan_requant_fit()). src and dst are caller-owned names, dst != src. */
struct scan_requant_job {
    struct scan_requant *rq;
    const struct hal_storage *st;
    const char *src, *dst;
    unsigned quality;    /* of the try in progress or next */
    uint32_t max_bytes;  /* 0: a single try */
    uint8_t *band;
    size_t band_cap;
    struct spool_page pg;
    struct spool_writer w;
    int running;         /* a try is open */
    int writing;         /* dst is open for writing */
    struct scan_requant_outcome out;
};

/* Returns SCAN_REQUANT_AGAIN (call step) or SCAN_REQUANT_ERR_BAD_ARG. */
int scan_requant_job_start(struct scan_requant_job *j, struct scan_requant *rq,
                           const struct hal_storage *st, const char *src, const char *dst,
                           unsigned quality, uint32_t max_bytes, uint8_t *band, size_t band_cap);
/* One band. SCAN_REQUANT_AGAIN, 0 (dst holds the page; j->out says its
 * quality and size), SCAN_REQUANT_ERR_NO_FIT (dst removed; j->out names the
 * last try), or another SCAN_REQUANT_ERR_* (dst does not exist). */
int scan_requant_job_step(struct scan_requant_job *j);
/* Stops a job in progress; dst is removed. Always safe after start. */
void scan_requant_job_abort(struct scan_requant_job *j);

/* The policy for a page over the limit: re-encodes src (encoded at
 * src_quality) at scan_requant_next_quality() of it, then lower, until the
 * new page is at most max_bytes, into spool page dst. max_bytes is a limit
 * on the page's JPEG data: for a file format that wraps the page, subtract
 * the wrapper's overhead (packer: too_big.limit - (too_big.page_size -
 * page bytes)). Fills *out (when not NULL) in every case that got as far as
 * one try.
 * Returns 0 (dst holds the fitting page), SCAN_REQUANT_ERR_NO_FIT (even the
 * floor's page is bigger: dst is removed; out names the floor quality and
 * that size, for the message), or another SCAN_REQUANT_ERR_* (dst does not
 * exist). A src_quality at or under the floor gives NO_FIT with no try. */
int scan_requant_fit(struct scan_requant *rq, const struct hal_storage *st, const char *src,
                     const char *dst, unsigned src_quality, uint32_t max_bytes, uint8_t *band,
                     size_t band_cap, struct scan_requant_outcome *out);

#endif
