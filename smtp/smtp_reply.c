/*
 * smtp_reply.c - incremental SMTP reply parser. Contract in smtp_reply.h.
 */
#include "smtp_reply.h"

#include <string.h>

static int smtp_reply_end_line(smtp_reply_t *r);
static size_t smtp_reply_enhanced_len(const uint8_t *t, size_t len, int code);
static void smtp_reply_append(smtp_reply_t *r, const uint8_t *p, size_t n);

void smtp_reply_init(smtp_reply_t *r)
{
    smtp_reply_line_cb_t cb;
    void *arg;

    if (r == NULL) {
        return;
    }
    cb = r->line_cb;
    arg = r->line_arg;
    memset(r, 0, sizeof(*r));
    r->line_cb = cb;
    r->line_arg = arg;
}

int smtp_reply_parse(smtp_reply_t *r, const uint8_t *buf, size_t len, size_t *consumed)
{
    size_t i = 0;
    int rc = SMTP_REPLY_NEED_MORE;

    if (consumed != NULL) {
        *consumed = 0;
    }
    if (r == NULL || consumed == NULL || (buf == NULL && len > 0)) {
        return SMTP_REPLY_ERR_BAD_ARGS;
    }
    if (r->done) {
        return SMTP_REPLY_DONE;
    }
    while (i < len) {
        uint8_t c = buf[i++];

        if (c == '\n') {
            rc = smtp_reply_end_line(r);
            r->line_len = 0;
            if (rc != SMTP_REPLY_NEED_MORE) {
                goto exit;
            }
            continue;
        }
        if (c == '\0') {
            rc = SMTP_REPLY_ERR_NUL;
            goto exit;
        }
        /* This byte plus at least one line-end byte must still fit. */
        if (r->line_len + 2 > SMTP_LINE_MAX) {
            rc = SMTP_REPLY_ERR_LINE_TOO_LONG;
            goto exit;
        }
        r->line[r->line_len++] = c;
    }
exit:
    *consumed = i;
    return rc;
}

const char *smtp_reply_strerror(int rc)
{
    switch (rc) {
    case SMTP_REPLY_DONE: return "reply complete";
    case SMTP_REPLY_NEED_MORE: return "reply incomplete";
    case SMTP_REPLY_ERR_LINE_TOO_LONG: return "reply line too long";
    case SMTP_REPLY_ERR_TOO_MANY_LINES: return "too many reply lines";
    case SMTP_REPLY_ERR_BAD_CODE: return "bad reply code";
    case SMTP_REPLY_ERR_MIXED_CODES: return "mixed codes in a multi-line reply";
    case SMTP_REPLY_ERR_BAD_SEPARATOR: return "bad separator after reply code";
    case SMTP_REPLY_ERR_NUL: return "NUL byte in reply";
    case SMTP_REPLY_ERR_BAD_ARGS: return "bad arguments";
    default: return "unknown reply error";
    }
}

/* One complete line is in r->line (line end removed except a CR). Returns
 * NEED_MORE for a continuation line, DONE for the last line, or an error. */
static int smtp_reply_end_line(smtp_reply_t *r)
{
    const uint8_t *l = r->line;
    size_t n = r->line_len;
    const uint8_t *text;
    size_t tlen;
    size_t elen;
    int code;
    int last;

    if (n > 0 && l[n - 1] == '\r') {
        n--;
    }
    if (n < 3 || l[0] < '2' || l[0] > '5' || l[1] < '0' || l[1] > '9' || l[2] < '0' ||
        l[2] > '9') {
        return SMTP_REPLY_ERR_BAD_CODE;
    }
    code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
    if (r->lines > 0 && code != r->code) {
        return SMTP_REPLY_ERR_MIXED_CODES;
    }
    if (n == 3) {
        last = 1;
    } else if (l[3] == ' ' || l[3] == '-') {
        last = (l[3] == ' ');
    } else {
        return SMTP_REPLY_ERR_BAD_SEPARATOR;
    }
    if (r->lines >= SMTP_REPLY_LINES_MAX) {
        return SMTP_REPLY_ERR_TOO_MANY_LINES;
    }
    r->code = code;
    text = (n > 4) ? l + 4 : l + n;
    tlen = (n > 4) ? n - 4 : 0;
    if (r->line_cb != NULL) {
        r->line_cb(r->line_arg, r->lines, (const char *)text, tlen);
    }

    elen = smtp_reply_enhanced_len(text, tlen, code);
    if (elen > 0) {
        if (r->lines == 0) {
            memcpy(r->enhanced, text, elen);
            r->enhanced[elen] = '\0';
        }
        /* The code is kept apart; the text keeps only the words. */
        while (elen < tlen && text[elen] == ' ') {
            elen++;
        }
        text += elen;
        tlen -= elen;
    }
    if (tlen > 0) {
        if (r->text_len > 0) {
            smtp_reply_append(r, (const uint8_t *)SMTP_TEXT_SEP, sizeof(SMTP_TEXT_SEP) - 1);
        }
        smtp_reply_append(r, text, tlen);
    }
    r->lines++;
    if (last) {
        r->done = 1;
        return SMTP_REPLY_DONE;
    }
    return SMTP_REPLY_NEED_MORE;
}

/* Length of an RFC 3463 "c.s.d" code at the start of t whose class matches
 * the reply code, followed by a space or the end; 0 when there is none. */
static size_t smtp_reply_enhanced_len(const uint8_t *t, size_t len, int code)
{
    size_t i = 0;
    int part;

    if (len < 5 || t[0] != (uint8_t)('0' + code / 100) || t[1] != '.') {
        return 0;
    }
    i = 2;
    for (part = 0; part < 2; part++) {
        size_t digits = 0;

        while (i < len && t[i] >= '0' && t[i] <= '9' && digits < 4) {
            i++;
            digits++;
        }
        if (digits < 1 || digits > 3) {
            return 0;
        }
        if (part == 0) {
            if (i >= len || t[i] != '.') {
                return 0;
            }
            i++;
        }
    }
    if (i < len && t[i] != ' ') {
        return 0;
    }
    return (i < SMTP_ENHANCED_MAX) ? i : 0;
}

/* Append printable ASCII to the kept text, cutting at SMTP_TEXT_MAX - 1. */
static void smtp_reply_append(smtp_reply_t *r, const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (r->text_len + 1 >= SMTP_TEXT_MAX) {
            r->truncated = 1;
            break;
        }
        r->text[r->text_len++] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
    }
    r->text[r->text_len] = '\0';
}
