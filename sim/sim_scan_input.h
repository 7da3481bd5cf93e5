/* Scanner HAL backend that scans image files: `mfp-sim send --input
 * page1.png,page2.pnm`. Each file is one page (one side), in the order
 * given; params.pages, source and duplex do not change the page count
 * (with duplex, odd pages report side 1).
 *
 * Formats: PNG through libpng (any bit depth and colour type; palettes and
 * low bit depths are expanded, 16-bit samples reduced to 8, alpha is
 * composited over white; interlaced PNG is refused, because it cannot be
 * read one row at a time), and binary PNM: P4 bitmap, P5 grey, P6 colour,
 * maxval 1..255 (sim_pnm.h; 16-bit PNM is refused).
 *
 * Geometry: the page is scan_job_pixels(width_mm10, dpi) x
 * scan_job_pixels(height_mm10, dpi) pixels, white, in colour (RGB) or grey
 * as params.color asks (RGB -> grey with the integer BT.601 luma weights
 * (77 R + 150 G + 29 B + 128) >> 8, as sim_scanner; grey -> RGB by
 * replication). The image is fitted into the page, aspect ratio preserved,
 * and centred; the remaining margins are white (255).
 *
 * Scaling is streaming and area-weighted (a box filter in exact integer
 * arithmetic): each output pixel is the mean of the source area it covers,
 * weighted by the overlap. When shrinking this is the box filter; when
 * enlarging it is nearest neighbour, except that an output pixel straddling
 * a source pixel boundary blends the two by coverage. The source is read
 * sequentially, one row at a time; an output row needs only the source rows
 * it covers, which are added to one accumulator row as they arrive, so the
 * memory is a few rows (source row, its horizontally scaled copy, the
 * accumulator), allocated once per page by next_page() and freed when the
 * page ends or the job stops. Nothing is allocated per band.
 *
 * Errors: a file that cannot be opened, is neither PNG nor PNM, has an
 * unusable header (size 0 or above SIM_INPUT_MAX_DIM, 16-bit PNM, bad
 * syntax, interlaced PNG) or is too short for its raster (PNM, checked from
 * the file size) is found by start(), which checks every file's header
 * before any page is scanned, and again by next_page(): both return
 * SIM_INPUT_ERR_FILE. A PNG whose compressed data turns out truncated or
 * corrupt is only found while its rows are read: read_band() returns
 * SIM_INPUT_ERR_FILE. In every case sim_input_error() gives a message that
 * names the file ("page2.pnm: file truncated: 1200 bytes, the image needs
 * 3015"). */
#ifndef SIM_SCAN_INPUT_H
#define SIM_SCAN_INPUT_H

#include <stdint.h>
#include <stdio.h>

#include "hal/hal_scanner.h"
#include "scan_opts.h"
#include "sim_pnm.h"

/* Files one job can scan: one page each. */
#ifndef SIM_INPUT_MAX_FILES
#define SIM_INPUT_MAX_FILES SCAN_JOB_MAX_PAGES
#endif

/* Largest image width or height accepted (PNG and PNM alike). */
#ifndef SIM_INPUT_MAX_DIM
#define SIM_INPUT_MAX_DIM SIM_PNM_MAX_DIM
#endif

/* Room for an error message, the file name included (longer ones are cut). */
#ifndef SIM_INPUT_ERROR_MAX
#define SIM_INPUT_ERROR_MAX 512
#endif

/* A file could not be read or decoded; sim_input_error() says which and
 * why. Distinct from the HAL_SCAN_ERR_* codes (the scan job reports it as
 * a scanner failure with this code as its detail). */
#define SIM_INPUT_ERR_FILE (-40)
/* Memory for the rows of a page could not be allocated. */
#define SIM_INPUT_ERR_NOMEM (-41)

struct sim_input_cfg {
    const char *const *paths; /* count file names; the array and the strings are
                                 caller-owned and must outlive the scanner */
    unsigned count;           /* 0 .. SIM_INPUT_MAX_FILES */
};

struct sim_input {
    struct sim_input_cfg cfg;
    struct hal_scan_params params;
    int armed;
    unsigned next_file; /* files fed so far */
    int page_open;
    struct hal_scan_page page;
    unsigned line; /* next page line to deliver */
    char error[SIM_INPUT_ERROR_MAX];

    /* The open file and its decoder. */
    const char *path;
    FILE *fp;
    void *png;      /* png_structp, NULL for PNM */
    void *png_info; /* png_infop */
    struct sim_pnm_header pnm;
    unsigned src_w, src_h; /* source image */
    unsigned src_channels; /* samples per decoded source pixel: 1 grey, 2 grey+alpha,
                              3 RGB, 4 RGBA */
    /* Where the image lands on the page. */
    unsigned img_w, img_h, img_x, img_y;
    /* Streaming scaler state: positions in units of 1/img_h source rows. */
    unsigned src_row; /* next source row to read */
    uint64_t vpos;    /* how far down the source the accumulation has got */
    int have_row;     /* hrow holds source row src_row */
    unsigned out_row; /* next image row to produce */
    /* Row buffers (allocated by next_page, freed at page end). */
    uint8_t *raw;   /* one row as stored in the file */
    uint8_t *pix;   /* PNM: that row in 8-bit samples */
    uint8_t *conv;  /* src_w pixels in the page's components */
    uint16_t *hrow; /* img_w pixels, horizontally scaled, 8.8 fixed point */
    uint32_t *acc;  /* img_w pixels, vertical accumulator */
};

/* Idle backend for the files in cfg (copied; the paths are not). cfg may be
 * NULL: no files. Returns 0, or HAL_SCAN_ERR_BAD_ARG for more than
 * SIM_INPUT_MAX_FILES files or a NULL path (the backend then has no files). */
int sim_input_init(struct sim_input *s, const struct sim_input_cfg *cfg);

/* Fills *out with the HAL view of s. */
void sim_input_hal(struct sim_input *s, struct hal_scanner *out);

/* The message of the last SIM_INPUT_ERR_* (it names the file), or "" when
 * there was none. Valid until the next call on s. */
const char *sim_input_error(const struct sim_input *s);

/* Closes any open file and frees the row buffers (the HAL stop()); safe on a
 * zeroed or stopped backend. */
void sim_input_free(struct sim_input *s);

#endif
