/* Netpbm header parser (sans-IO) and raster row helpers. */
#include "sim_pnm.h"

#include <string.h>

enum sim_pnm_state {
    SIM_PNM_S_MAGIC_P = 0, /* expects 'P' */
    SIM_PNM_S_MAGIC_DIGIT, /* expects '4', '5' or '6' */
    SIM_PNM_S_SEPARATOR,   /* at least one whitespace or comment before a number */
    SIM_PNM_S_GAP,         /* whitespace and comments, then a number */
    SIM_PNM_S_NUMBER,      /* digits of width, height or maxval */
    SIM_PNM_S_END,         /* DONE or an error was returned */
};

static int sim_pnm_byte(struct sim_pnm_parser *p, uint8_t c);

void sim_pnm_init(struct sim_pnm_parser *p)
{
    memset(p, 0, sizeof(*p));
    p->state = SIM_PNM_S_MAGIC_P;
}

int sim_pnm_parse(struct sim_pnm_parser *p, const uint8_t *buf, size_t len, size_t *used)
{
    size_t i;
    int rc = SIM_PNM_NEED_MORE;

    if (used != NULL)
        *used = 0;
    if (p == NULL || used == NULL || (buf == NULL && len > 0) || p->state == SIM_PNM_S_END)
        return SIM_PNM_ERR_BAD_ARG;
    for (i = 0; i < len; i++) {
        if (++p->total > SIM_PNM_HEADER_MAX) {
            rc = SIM_PNM_ERR_TOO_LONG;
            break;
        }
        rc = sim_pnm_byte(p, buf[i]);
        if (rc == SIM_PNM_DONE) {
            i++; /* the terminating whitespace belongs to the header */
            break;
        }
        if (rc < 0)
            break;
    }
    *used = i;
    if (rc != SIM_PNM_NEED_MORE)
        p->state = SIM_PNM_S_END;
    return rc;
}

const char *sim_pnm_strerror(int code)
{
    switch (code) {
    case SIM_PNM_DONE:
        return "no error";
    case SIM_PNM_NEED_MORE:
        return "file truncated in the header";
    case SIM_PNM_ERR_BAD_ARG:
        return "bad argument";
    case SIM_PNM_ERR_MAGIC:
        return "not a PNM file (expected P4, P5 or P6 binary)";
    case SIM_PNM_ERR_SYNTAX:
        return "malformed PNM header";
    case SIM_PNM_ERR_SIZE:
        return "image width or height is 0 or larger than the limit";
    case SIM_PNM_ERR_DEPTH:
        return "unsupported maxval (only 8-bit samples, maxval 1..255)";
    case SIM_PNM_ERR_TOO_LONG:
        return "PNM header too long";
    default:
        return "unknown PNM error";
    }
}

size_t sim_pnm_row_bytes(const struct sim_pnm_header *h)
{
    if (h->format == 4)
        return ((size_t)h->width + 7) / 8;
    return (size_t)h->width * h->components;
}

void sim_pnm_row_to_8bit(const struct sim_pnm_header *h, const uint8_t *row, uint8_t *out)
{
    size_t n = (size_t)h->width * h->components;

    if (h->format == 4) {
        for (size_t x = 0; x < h->width; x++)
            out[x] = (row[x >> 3] >> (7 - (x & 7))) & 1 ? 0 : 255;
    } else if (h->maxval == 255) {
        memcpy(out, row, n);
    } else {
        for (size_t i = 0; i < n; i++) {
            unsigned v = row[i] > h->maxval ? h->maxval : row[i];
            out[i] = (uint8_t)((v * 255 + h->maxval / 2) / h->maxval);
        }
    }
}

static int sim_pnm_is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* Numbers in the header: 2 for P4 (no maxval), 3 otherwise. */
static unsigned sim_pnm_fields(const struct sim_pnm_parser *p)
{
    return p->hdr.format == 4 ? 2 : 3;
}

/* Stores the number just read; 0 or an error. */
static int sim_pnm_store(struct sim_pnm_parser *p)
{
    if (p->field < 2) {
        if (p->value == 0)
            return SIM_PNM_ERR_SIZE;
        if (p->field == 0)
            p->hdr.width = p->value;
        else
            p->hdr.height = p->value;
    } else {
        if (p->value == 0)
            return SIM_PNM_ERR_DEPTH;
        p->hdr.maxval = p->value;
    }
    p->field++;
    return 0;
}

/* One more digit of the current number, checked against its limit at every
 * digit so that the value never overflows. */
static int sim_pnm_digit(struct sim_pnm_parser *p, uint8_t c)
{
    uint32_t limit = p->field < 2 ? SIM_PNM_MAX_DIM : 255;

    p->value = p->value * 10 + (uint32_t)(c - '0');
    if (p->value > limit)
        return p->field < 2 ? SIM_PNM_ERR_SIZE : SIM_PNM_ERR_DEPTH;
    return SIM_PNM_NEED_MORE;
}

static int sim_pnm_byte(struct sim_pnm_parser *p, uint8_t c)
{
    int rc;

    switch (p->state) {
    case SIM_PNM_S_MAGIC_P:
        if (c != 'P')
            return SIM_PNM_ERR_MAGIC;
        p->state = SIM_PNM_S_MAGIC_DIGIT;
        return SIM_PNM_NEED_MORE;
    case SIM_PNM_S_MAGIC_DIGIT:
        if (c < '4' || c > '6')
            return SIM_PNM_ERR_MAGIC;
        p->hdr.format = (unsigned)(c - '0');
        p->hdr.components = p->hdr.format == 6 ? 3 : 1;
        p->hdr.maxval = 1;
        p->state = SIM_PNM_S_SEPARATOR;
        return SIM_PNM_NEED_MORE;
    case SIM_PNM_S_SEPARATOR:
    case SIM_PNM_S_GAP:
        if (p->in_comment) {
            if (c == '\n' || c == '\r')
                p->in_comment = 0;
            return SIM_PNM_NEED_MORE;
        }
        if (c == '#') {
            p->in_comment = 1;
            p->state = SIM_PNM_S_GAP;
            return SIM_PNM_NEED_MORE;
        }
        if (sim_pnm_is_space(c)) {
            p->state = SIM_PNM_S_GAP;
            return SIM_PNM_NEED_MORE;
        }
        if (p->state == SIM_PNM_S_SEPARATOR || c < '0' || c > '9')
            return SIM_PNM_ERR_SYNTAX;
        p->value = 0;
        p->state = SIM_PNM_S_NUMBER;
        return sim_pnm_digit(p, c);
    case SIM_PNM_S_NUMBER:
        if (c >= '0' && c <= '9')
            return sim_pnm_digit(p, c);
        if (!sim_pnm_is_space(c) && (c != '#' || p->field + 1 == sim_pnm_fields(p)))
            return SIM_PNM_ERR_SYNTAX;
        rc = sim_pnm_store(p);
        if (rc != 0)
            return rc;
        if (p->field == sim_pnm_fields(p))
            return SIM_PNM_DONE;
        p->in_comment = c == '#';
        p->state = SIM_PNM_S_GAP;
        return SIM_PNM_NEED_MORE;
    default:
        return SIM_PNM_ERR_BAD_ARG;
    }
}
