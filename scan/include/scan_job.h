/* Scan job: scanner HAL -> JPEG encoder -> spool, one bounded slice per call.
 *
 * The super-loop calls scan_job_step() until it returns something other
 * than SCAN_JOB_AGAIN. Each call does one of: arm the scanner, start a page
 * (feed a sheet, open its spool blob, write the JPEG headers), move one band
 * (read at most band_lines lines into the caller's band buffer and encode
 * them), or finish a page (flush the JPEG, commit data then header). The
 * band buffer is the only pixel memory; libjpeg keeps one MCU row itself.
 *
 * Pages are spooled as "<prefix>pNNNN.jpg" (NNNN = page number from 1) with
 * their "<prefix>pNNNN.hdr" header; see spool.h. A failed job keeps every
 * page committed before the failure and never shows the page it failed on. */
#ifndef SCAN_JOB_H
#define SCAN_JOB_H

#include <stddef.h>
#include <stdint.h>

#include "hal/hal_scanner.h"
#include "hal/hal_storage.h"
#include "scan_bilevel.h"
#include "scan_g4.h"
#include "scan_jpeg.h"
#include "scan_opts.h"
#include "spool.h"

#define SCAN_JOB_DONE 0  /* every page is spooled; the scanner is stopped */
#define SCAN_JOB_AGAIN 1 /* call scan_job_step() again */

#define SCAN_JOB_ERR_BAD_ARG (-1)        /* configuration refused by scan_job_init() */
#define SCAN_JOB_ERR_JAM (-2)            /* paper jam (see scan_job_error_page_index) */
#define SCAN_JOB_ERR_COVER_OPEN (-3)     /* a cover is open */
#define SCAN_JOB_ERR_STALLED (-4)        /* the scanner stopped delivering lines */
#define SCAN_JOB_ERR_SCANNER (-5)        /* any other scanner failure or a driver bug */
#define SCAN_JOB_ERR_PAGE_SIZE (-6)      /* page geometry unusable or larger than the band buffer */
#define SCAN_JOB_ERR_SHORT_PAGE (-7)     /* the scanner ended a page before its height */
#define SCAN_JOB_ERR_ENCODE (-8)         /* the JPEG encoder failed */
#define SCAN_JOB_ERR_STORAGE (-9)        /* the spool could not write or commit */
#define SCAN_JOB_ERR_STORAGE_FULL (-10)  /* the storage is full */
#define SCAN_JOB_ERR_TOO_MANY_PAGES (-11) /* more than SCAN_JOB_MAX_PAGES sheets */

struct scan_job_cfg {
    const struct hal_scanner *scanner; /* caller-owned, outlives the job */
    const struct hal_storage *storage; /* caller-owned, outlives the job */
    struct hal_scan_params params;     /* copied */
    unsigned quality;                  /* JPEG quality 1..100; 0: SCAN_JPEG_QUALITY_DEFAULT */
    unsigned band_lines;               /* lines per band; 0: SCAN_JOB_BAND_LINES_DEFAULT */
    uint8_t *band_buf;                 /* caller-owned, scan_job_band_buffer_size() bytes */
    size_t band_buf_size;
    const char *prefix;                /* spool name prefix (copied), at most SPOOL_PREFIX_MAX
                                          characters; NULL: "" */
    /* Black and white: params.color must be HAL_SCAN_GREY; each grey band
     * is made bilevel and encoded CCITT G4 into a single-page TIFF blob. */
    int bilevel;
    enum scan_bilevel_mode bw_mode;    /* threshold or error diffusion */
    int darkness;                      /* -3 .. +3 */
};

/* How a page blob is encoded. */
enum scan_page_kind { SCAN_PAGE_JPEG = 0, SCAN_PAGE_G4 = 1 };

/* A page spooled and committed by this job. */
struct scan_job_page {
    char name[HAL_STORAGE_NAME_MAX + 1]; /* data blob name, for spool_page_open() */
    uint32_t size;                       /* blob bytes */
    enum scan_page_kind kind;
    unsigned width, height, components, dpi;
    uint32_t strip_off, strip_len;       /* G4: the raw G4 data inside the TIFF blob */
};

enum scan_job_state {
    SCAN_JOB_S_START = 0,
    SCAN_JOB_S_NEXT_PAGE,
    SCAN_JOB_S_BAND,
    SCAN_JOB_S_FINISH,
    SCAN_JOB_S_DONE,
    SCAN_JOB_S_FAILED
};

struct scan_job {
    struct scan_job_cfg cfg; /* prefix points at prefix[] below */
    char prefix[SPOOL_PREFIX_MAX + 1];
    enum scan_job_state state;
    int scanner_armed;
    struct hal_scan_page page; /* the page in progress (or the last one) */
    unsigned lines_done;
    struct scan_jpeg jpeg;
    struct scan_g4 g4;
    struct scan_bilevel bilevel;
    uint8_t *grey_band;      /* bilevel: the scanner's band (inside cfg.band_buf) */
    uint8_t *bw_band;        /* bilevel: packed rows (inside cfg.band_buf) */
    struct spool_writer spool;
    struct scan_job_page pages[SCAN_JOB_MAX_PAGES];
    unsigned n_pages;
    int error;          /* SCAN_JOB_ERR_* once failed, else 0 */
    int error_detail;   /* the lower layer's code (HAL_SCAN_ERR_*, SCAN_JPEG_ERR_*, SPOOL_ERR_*) */
    unsigned error_page; /* 0-based index of the page the job failed on */
};

/* Pixels for a length in tenths of mm at dpi, rounded to nearest
 * (A4 at 300 dpi: 2100 -> 2480, 2970 -> 3508). Scanner backends use it too. */
unsigned scan_job_pixels(unsigned mm10, unsigned dpi);

/* Bytes the band buffer needs for params with band_lines lines per band
 * (bilevel: also the packed rows and the error-diffusion line)
 * (0: the default): width * components * band_lines. 0 if params is NULL or
 * gives an empty page. */
size_t scan_job_band_buffer_size(const struct hal_scan_params *params, unsigned band_lines,
                                 int bilevel);

/* Checks and copies cfg; touches no device. Returns 0 or SCAN_JOB_ERR_BAD_ARG
 * (NULL HAL, quality > 100, prefix too long, band buffer smaller than
 * scan_job_band_buffer_size()). */
int scan_job_init(struct scan_job *job, const struct scan_job_cfg *cfg);

/* Does one bounded slice of work (see above). Returns SCAN_JOB_AGAIN,
 * SCAN_JOB_DONE, or a negative SCAN_JOB_ERR_*; after DONE or an error it
 * keeps returning the same result. On error the page in progress is
 * discarded and the scanner stopped. */
int scan_job_step(struct scan_job *job);

/* Abandons the job (Stop key): discards the page in progress and stops the
 * scanner. Committed pages stay. Safe on a zeroed, done or failed job. */
void scan_job_free(struct scan_job *job);

/* 0-based index of the page being scanned, or of the last page fed. */
unsigned scan_job_page_index(const struct scan_job *job);
/* Lines encoded so far on that page. */
unsigned scan_job_lines_done(const struct scan_job *job);
/* That page's height in lines (0 before the first page). */
unsigned scan_job_page_height(const struct scan_job *job);

/* Pages committed so far, and the i-th of them (NULL when i is out of range). */
unsigned scan_job_page_count(const struct scan_job *job);
const struct scan_job_page *scan_job_page(const struct scan_job *job, unsigned i);

/* The SCAN_JOB_ERR_* the job failed with (0 if none), the lower layer's code
 * behind it, and the 0-based index of the page it failed on. */
int scan_job_error(const struct scan_job *job);
int scan_job_error_detail(const struct scan_job *job);
unsigned scan_job_error_page_index(const struct scan_job *job);

#endif
