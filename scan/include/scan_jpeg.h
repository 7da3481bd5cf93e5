/* Band-by-band baseline JPEG encoder on libjpeg-turbo.
 *
 * Lines go in a band at a time; compressed bytes leave through a small
 * buffer in the context to a caller-supplied sink (the spool writer, which
 * writes through the storage HAL). No page raster is ever held: libjpeg keeps
 * at most one MCU row (16 lines) of its own.
 *
 * Output: baseline JPEG, standard Huffman tables (no optimisation pass, so
 * the encoder needs one pass and no whole-image buffer), JFIF APP0 with the
 * density in dots per inch, YCbCr 4:2:0 for colour, one component for grey.
 *
 * libjpeg errors are caught inside scan_jpeg.c (setjmp/longjmp never crosses
 * this API) and become negative SCAN_JPEG_ERR_* codes; after any error the
 * context is released and only scan_jpeg_abort() (a no-op then) may follow.
 * libjpeg allocates with malloc; scan_jpeg_finish() and scan_jpeg_abort()
 * release all of it. */
#ifndef SCAN_JPEG_H
#define SCAN_JPEG_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h> /* jpeglib.h needs FILE and size_t */

#include <jpeglib.h>

#include "scan_opts.h"

#define SCAN_JPEG_ERR_BAD_ARG (-1) /* NULL pointer, zero size, quality outside 1..100 */
#define SCAN_JPEG_ERR_STATE (-2)   /* call out of order (not started, too many lines) */
#define SCAN_JPEG_ERR_LIB (-3)     /* libjpeg reported an error; see scan_jpeg_lib_code() */
#define SCAN_JPEG_ERR_SINK (-4)    /* the sink failed; see scan_jpeg_sink_error() */
#define SCAN_JPEG_ERR_NOMEM (-5)   /* libjpeg could not allocate its working memory */

/* Receives compressed bytes in order. Returns 0, or a negative code of the
 * sink's own module, which aborts the encoding and is kept for the caller. */
typedef int (*scan_jpeg_sink_fn)(void *arg, const uint8_t *buf, size_t len);

struct scan_jpeg_params {
    unsigned width;      /* pixels per line, 1..65500 */
    unsigned height;     /* lines, 1..65500 */
    unsigned components; /* 3: interleaved RGB; 1: grey */
    unsigned dpi;        /* written as the JFIF density, 1..65535 */
    unsigned quality;    /* 1..100 */
};

enum scan_jpeg_state { SCAN_JPEG_IDLE = 0, SCAN_JPEG_RUNNING, SCAN_JPEG_FAILED };

/* Opaque to callers: the fields are here so the caller can own the memory. */
struct scan_jpeg_err_mgr {
    struct jpeg_error_mgr pub; /* first: libjpeg casts its pointer to ours */
    jmp_buf jump;
};

struct scan_jpeg {
    struct jpeg_compress_struct cinfo;
    struct scan_jpeg_err_mgr err;
    struct jpeg_destination_mgr dest;
    scan_jpeg_sink_fn sink;
    void *sink_arg;
    enum scan_jpeg_state state;
    int sink_error;  /* last code returned by the sink, 0 if none */
    int lib_code;    /* libjpeg's msg_code of the last error, 0 if none */
    unsigned lines;  /* lines written so far */
    unsigned height;
    size_t row_bytes;
    uint32_t bytes_out; /* compressed bytes handed to the sink */
    uint8_t buf[SCAN_JPEG_OUTBUF_SIZE];
};

/* Starts a page: sets libjpeg up and writes the JPEG headers into the output
 * buffer. On failure the context holds nothing and needs no abort.
 * Returns 0 or SCAN_JPEG_ERR_*. */
int scan_jpeg_init(struct scan_jpeg *j, const struct scan_jpeg_params *p, scan_jpeg_sink_fn sink,
                   void *sink_arg);

/* Compresses `lines` lines of band (lines * width * components bytes, no
 * padding between lines). May call the sink several times. Writing more
 * lines than the page height is SCAN_JPEG_ERR_STATE. On any error the
 * encoder is released. Returns 0 or SCAN_JPEG_ERR_*. */
int scan_jpeg_write_lines(struct scan_jpeg *j, const uint8_t *band, unsigned lines);

/* Completes the file (flushes the last bytes and the EOI marker to the sink)
 * and releases libjpeg. All `height` lines must have been written, else
 * SCAN_JPEG_ERR_STATE (and the encoder is released all the same).
 * Returns 0 or SCAN_JPEG_ERR_*. */
int scan_jpeg_finish(struct scan_jpeg *j);

/* Drops the page in progress and releases libjpeg. Safe on a zeroed, failed,
 * finished or already aborted context. Bytes already given to the sink stay
 * the sink's business (the spool discards its uncommitted blob). */
void scan_jpeg_abort(struct scan_jpeg *j);

/* Lines written so far on the current (or last) page. */
unsigned scan_jpeg_lines(const struct scan_jpeg *j);
/* Compressed bytes given to the sink so far. */
uint32_t scan_jpeg_bytes_out(const struct scan_jpeg *j);
/* The sink's code behind the last SCAN_JPEG_ERR_SINK, else 0. */
int scan_jpeg_sink_error(const struct scan_jpeg *j);
/* libjpeg's message code (J_MESSAGE_CODE) behind the last SCAN_JPEG_ERR_LIB, else 0. */
int scan_jpeg_lib_code(const struct scan_jpeg *j);

#endif
