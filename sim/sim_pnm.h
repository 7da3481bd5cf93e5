/* Netpbm (PNM) header parser, sans-IO: header bytes in; consumed, need more
 * or error out. Reads P4 (bitmap), P5 (greyscale) and P6 (colour) binary
 * headers: magic, width, height and (P5, P6) maxval, separated by
 * whitespace, with '#' comments up to the end of a line wherever whitespace
 * may stand; then exactly one whitespace byte, after which the raster
 * starts. The parser keeps its state between calls, so a header may arrive
 * in pieces of any size (one byte at a time works), and it never reads past
 * len nor needs a NUL.
 *
 * Hard limits: width and height 1..SIM_PNM_MAX_DIM, maxval 1..255 (larger
 * maxvals are 16-bit samples, refused), each checked digit by digit, and
 * at most SIM_PNM_HEADER_MAX header bytes in all (so an endless comment
 * fails instead of being read forever).
 *
 * Raster rows (helpers below): P4 packs 8 pixels a byte, MSB first, 1 =
 * black; P5 has one sample a pixel, P6 three (R, G, B); rows are not
 * padded beyond P4's last byte. */
#ifndef SIM_PNM_H
#define SIM_PNM_H

#include <stddef.h>
#include <stdint.h>

/* Largest width or height accepted. */
#ifndef SIM_PNM_MAX_DIM
#define SIM_PNM_MAX_DIM 20000
#endif
/* Longest header (magic to the byte before the raster), comments included. */
#ifndef SIM_PNM_HEADER_MAX
#define SIM_PNM_HEADER_MAX 4096
#endif

#define SIM_PNM_DONE 0            /* the header is complete; *used bytes ended it */
#define SIM_PNM_NEED_MORE 1       /* every byte was consumed; call again with more */
#define SIM_PNM_ERR_BAD_ARG (-1)  /* NULL pointer, or parse called after DONE or an error */
#define SIM_PNM_ERR_MAGIC (-2)    /* not "P4", "P5" or "P6" */
#define SIM_PNM_ERR_SYNTAX (-3)   /* a byte that cannot stand where it is */
#define SIM_PNM_ERR_SIZE (-4)     /* width or height 0 or above SIM_PNM_MAX_DIM */
#define SIM_PNM_ERR_DEPTH (-5)    /* maxval 0, or above 255 (16-bit samples) */
#define SIM_PNM_ERR_TOO_LONG (-6) /* header longer than SIM_PNM_HEADER_MAX bytes */

struct sim_pnm_header {
    unsigned format; /* 4, 5 or 6 (the digit after 'P') */
    unsigned width;
    unsigned height;
    unsigned maxval;     /* 1 for P4 */
    unsigned components; /* 1 for P4 and P5, 3 for P6 */
};

struct sim_pnm_parser {
    int state;                 /* internal (enum in sim_pnm.c) */
    int in_comment;            /* inside a '#' comment */
    unsigned field;            /* numbers read: 0 width, 1 height, 2 maxval */
    uint32_t value;            /* the number being read */
    uint32_t total;            /* header bytes consumed so far */
    struct sim_pnm_header hdr; /* valid after SIM_PNM_DONE */
};

/* Starts a new header. */
void sim_pnm_init(struct sim_pnm_parser *p);

/* Consumes header bytes from buf. Returns SIM_PNM_DONE with *used = the
 * bytes up to and including the single whitespace that ends the header (the
 * raster starts at buf + *used) and the header in p->hdr; SIM_PNM_NEED_MORE
 * with *used = len; or a negative SIM_PNM_ERR_* (*used then says where the
 * offending byte was). After DONE or an error every call returns
 * SIM_PNM_ERR_BAD_ARG until sim_pnm_init(). */
int sim_pnm_parse(struct sim_pnm_parser *p, const uint8_t *buf, size_t len, size_t *used);

/* English text for a SIM_PNM_* code ("file truncated in the header" for
 * NEED_MORE, as a caller at end of file would report it). */
const char *sim_pnm_strerror(int code);

/* Bytes of one raster row of h. */
size_t sim_pnm_row_bytes(const struct sim_pnm_header *h);

/* Expands one raster row of h into 8-bit samples at out (h->width *
 * h->components bytes): P4 bits become 0 (black) or 255 (white), and
 * samples of a maxval below 255 are scaled to 0..255 (rounded). */
void sim_pnm_row_to_8bit(const struct sim_pnm_header *h, const uint8_t *row, uint8_t *out);

#endif
