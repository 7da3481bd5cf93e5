/*
 * mime.c - streaming writer of a scan-to-email message. The contract is in
 * mime.h.
 *
 * How it streams with a fixed, small state: the message is a sequence of
 * sections. Header sections (the message headers with the text part's
 * headers, each attachment's part headers, the closing delimiter) are made by
 * plain straight-line generator functions writing into a "sink". The sink can
 * count only (that is how mime_writer_init() knows the exact size) or copy a
 * window [skip, skip + cap) of the section into the caller's buffer (that is
 * how mime_writer_read() resumes in the middle of a section: it runs the
 * generator again and skips what was already given). Counting and writing are
 * thus the same code and cannot disagree. Header sections are a few hundred
 * bytes, so running one again per read call costs little.
 *
 * Body sections (the text and each attachment) are streamed from a source:
 * the text (its line breaks made CRLF on the fly) or the attachment's read
 * callback, 57 bytes at a time, each chunk made into one 76-character base64
 * line by Mbed TLS. Their sizes are formulas of the source sizes.
 */
#include "mime.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>


/* Sections of the message, in order. */
enum {
    SEC_HEAD,     /* message headers, first delimiter, text part headers */
    SEC_TEXT,     /* text part body */
    SEC_ATT_HEAD, /* delimiter and part headers of attachment w->att */
    SEC_ATT_BODY, /* base64 of attachment w->att */
    SEC_END,      /* closing delimiter */
    SEC_DONE
};

/* "=?utf-8?B?" + "?=": the fixed part of an RFC 2047 encoded word. */
#define EW_PREFIX "=?utf-8?B?"
#define EW_OVERHEAD 12
#define EW_MAX 75 /* RFC 2047 2: longest encoded word */
/* Most input bytes of one encoded word: whole base64 groups that fit. */
#define EW_IN_MAX (((EW_MAX - EW_OVERHEAD) / 4) * 3)

#define LIT(s) { (s), sizeof(s) - 1 }

_Static_assert(sizeof(MIME_BOUNDARY_PREFIX) - 1 == 6, "MIME_BOUNDARY_LEN counts 6 prefix chars");

/* Output of a generator: counts everything, copies the window
 * [skip, skip + cap) into dst when dst is set. Tracks the column for folding. */
typedef struct sink {
    uint8_t *dst;
    size_t cap;
    size_t n;        /* bytes copied into dst */
    uint64_t skip;   /* bytes of the section to pass over first */
    uint64_t total;  /* bytes generated so far */
    size_t col;      /* column of the next byte on the current line */
    int line_words;  /* words already on this header line */
} sink_t;

static void put(sink_t *s, const void *p, size_t len);
static void put_str(sink_t *s, const char *str);
static void put_word(sink_t *s, const mime_str_t *parts, size_t count);
static void header_begin(sink_t *s, const char *name);
static void put_mailbox(sink_t *s, mime_str_t name, mime_str_t addr);
static void put_encoded_words(sink_t *s, mime_str_t v);
static void put_param(sink_t *s, const char *name, mime_str_t value);
static void gen_section(const mime_writer_t *w, int section, size_t att, sink_t *s);
static void gen_headers(const mime_writer_t *w, sink_t *s);
static uint64_t section_size(const mime_writer_t *w, int section, size_t att);
static uint64_t base64_size(uint64_t n);
static size_t base64_encode(char *out, const uint8_t *in, size_t n);
static int text_is_7bit(const mime_writer_t *w);
static uint64_t text_crlf_size(mime_str_t t);
static size_t text_read(mime_writer_t *w, uint8_t *buf, size_t cap);
static long body_read(mime_writer_t *w, uint8_t *buf, size_t cap);
static int fill_line(mime_writer_t *w);
static void start_body(mime_writer_t *w, int section, uint64_t size);
static void next_section(mime_writer_t *w);
static int is_plain(mime_str_t v);
static int check_chars(mime_str_t v, int allow_breaks);
static int check_utf8(mime_str_t v);
static int check_addr(mime_str_t v);
static int check_domain(const char *d, size_t len);
static int check_msgid(mime_str_t v);
static int check_ctype(mime_str_t v);
static int check_filename(mime_str_t v);
static int check_text_field(mime_str_t v, size_t max, int allow_breaks);
static int is_atext(uint8_t c);
static int is_attr_char(uint8_t c);
static size_t utf8_char_len(uint8_t lead);

/* ---- Public functions --------------------------------------------------- */

mime_str_t mime_str(const char *s)
{
    mime_str_t r = { s, s != NULL ? strlen(s) : 0 };
    return r;
}

int mime_message_validate(const mime_message_t *m, const char **field)
{
    const char *f = NULL;
    int ret = 0;
    size_t i;

#define CHECK(expr, name)      \
    do {                       \
        if ((ret = (expr))) {  \
            f = (name);        \
            goto exit;         \
        }                      \
    } while (0)

    if (m == NULL) {
        ret = MIME_ERR_BAD_ARGS;
        f = "Message";
        goto exit;
    }
    CHECK(check_text_field(m->from_name, MIME_NAME_MAX, 0), "From name");
    CHECK(check_addr(m->from_addr), "From");
    if (m->reply_to.len > 0 || m->reply_to.ptr != NULL) {
        CHECK(check_addr(m->reply_to), "Reply-To");
    }
    CHECK(m->to_count == 0 ? MIME_ERR_NO_RECIPIENT : 0, "To");
    CHECK(m->to == NULL ? MIME_ERR_BAD_ARGS : 0, "To");
    for (i = 0; i < m->to_count; i++) {
        CHECK(check_addr(m->to[i]), "To");
    }
    CHECK(m->cc == NULL && m->cc_count > 0 ? MIME_ERR_BAD_ARGS : 0, "Cc");
    for (i = 0; i < m->cc_count; i++) {
        CHECK(check_addr(m->cc[i]), "Cc");
    }
    CHECK(check_text_field(m->subject, MIME_SUBJECT_MAX, 0), "Subject");
    CHECK(check_text_field(m->text, SIZE_MAX, 1), "Text");
    CHECK(check_msgid(m->message_id), "Message-ID");
    {
        char date[32];
        CHECK(mime_format_date(date, sizeof date, m->date), "Date");
    }
    CHECK(m->attachments == NULL && m->attachment_count > 0 ? MIME_ERR_BAD_ARGS : 0,
          "Attachment");
    for (i = 0; i < m->attachment_count; i++) {
        const mime_attachment_t *a = &m->attachments[i];
        CHECK(check_filename(a->filename), "Attachment file name");
        CHECK(check_ctype(a->content_type), "Attachment content type");
        CHECK(a->read == NULL ? MIME_ERR_NO_READER : 0, "Attachment");
    }
#undef CHECK

exit:
    if (field != NULL) {
        *field = f;
    }
    return ret;
}

int mime_writer_init(mime_writer_t *w, const mime_message_t *msg, const char **field)
{
    static const char hex[] = "0123456789abcdef";
    int ret;
    size_t i;
    size_t plen = sizeof(MIME_BOUNDARY_PREFIX) - 1;

    if (w == NULL) {
        if (field != NULL) {
            *field = "Writer";
        }
        return MIME_ERR_BAD_ARGS;
    }
    memset(w, 0, sizeof *w);
    ret = mime_message_validate(msg, field);
    if (ret != 0) {
        return ret;
    }

    memcpy(w->boundary, MIME_BOUNDARY_PREFIX, plen);
    for (i = 0; i < MIME_BOUNDARY_RND_LEN; i++) {
        w->boundary[plen + 2 * i] = hex[msg->boundary_rnd[i] >> 4];
        w->boundary[plen + 2 * i + 1] = hex[msg->boundary_rnd[i] & 15];
    }
    w->boundary[MIME_BOUNDARY_LEN] = '\0';
    w->msg = msg;
    w->text_size = text_crlf_size(msg->text);
    w->text_7bit = text_is_7bit(w);

    w->size = section_size(w, SEC_HEAD, 0) + section_size(w, SEC_END, 0) +
              (w->text_7bit ? w->text_size : base64_size(w->text_size));
    for (i = 0; i < msg->attachment_count; i++) {
        w->size += section_size(w, SEC_ATT_HEAD, i) + base64_size(msg->attachments[i].size);
    }
    w->section = SEC_HEAD;
    return 0;
}

uint64_t mime_writer_size(const mime_writer_t *w)
{
    return w != NULL ? w->size : 0;
}

long mime_writer_read(mime_writer_t *w, uint8_t *buf, size_t cap)
{
    size_t n = 0;

    if (w == NULL || buf == NULL || cap == 0) {
        return MIME_ERR_BAD_ARGS;
    }
    if (w->err != 0) {
        return w->err;
    }
    if (w->msg == NULL) {
        return MIME_ERR_STATE;
    }
    if (cap > LONG_MAX) {
        cap = LONG_MAX;
    }
    while (n < cap && w->section != SEC_DONE) {
        if (w->section == SEC_TEXT || w->section == SEC_ATT_BODY) {
            long r = body_read(w, buf + n, cap - n);
            if (r < 0) {
                w->err = (int)r;
                return r;
            }
            n += (size_t)r;
            if (w->src_off == w->src_size && w->line_pos == w->line_len) {
                next_section(w);
            }
        } else {
            sink_t s = { .dst = buf + n, .cap = cap - n, .skip = w->sec_off };
            gen_section(w, w->section, w->att, &s);
            w->sec_off += s.n;
            n += s.n;
            if (w->sec_off == s.total) {
                next_section(w);
            }
        }
    }
    w->produced += n;
    return (long)n;
}

void mime_writer_free(mime_writer_t *w)
{
    if (w != NULL) {
        memset(w, 0, sizeof *w);
    }
}

int mime_format_date(char *out, size_t cap, int64_t t)
{
    static const char days[7][4] = { "Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed" };
    static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    /* 9999-12-31 23:59:59 UTC */
    const int64_t last = INT64_C(253402300799);
    int64_t day, sec, era, doe, yoe, doy, mp, y, m, d;

    if (out == NULL) {
        return MIME_ERR_BAD_ARGS;
    }
    if (t < 0 || t > last) {
        return MIME_ERR_DATE;
    }
    if (cap < 32) {
        return MIME_ERR_BUF_TOO_SMALL;
    }
    day = t / 86400;
    sec = t % 86400;
    /* Days to civil date (H. Hinnant's algorithm): March-based years make the
     * leap day the last day of the year, 400-year eras repeat exactly. */
    era = (day + 719468) / 146097;
    doe = day + 719468 - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y = yoe + era * 400 + (m <= 2);
    snprintf(out, cap, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[day % 7], (int)d,
             months[m - 1], (int)y, (int)(sec / 3600), (int)(sec / 60 % 60), (int)(sec % 60));
    return 0;
}

int mime_make_message_id(char *out, size_t cap, const uint8_t *rnd, size_t rnd_len, int64_t now,
                         const char *from_addr)
{
    static const char hex[] = "0123456789abcdef";
    mime_str_t addr;
    const char *domain;
    char digits[24];
    size_t i, len, pos = 0;
    int ret;

    if (out == NULL || rnd == NULL || from_addr == NULL || rnd_len < 8 || rnd_len > 32) {
        return MIME_ERR_BAD_ARGS;
    }
    if (now < 0) {
        return MIME_ERR_DATE;
    }
    addr = mime_str(from_addr);
    ret = check_addr(addr);
    if (ret != 0) {
        return ret;
    }
    domain = strrchr(from_addr, '@') + 1;
    /* %lu: newlib-nano's printf has no long long; now >= 0 (checked above). */
    snprintf(digits, sizeof digits, "%lu", (unsigned long)now);
    len = 1 + 2 * rnd_len + 1 + strlen(digits) + 1 + strlen(domain) + 1;
    if (len > MIME_MSGID_MAX) {
        return MIME_ERR_MESSAGE_ID;
    }
    if (cap < len + 1) {
        return MIME_ERR_BUF_TOO_SMALL;
    }
    out[pos++] = '<';
    for (i = 0; i < rnd_len; i++) {
        out[pos++] = hex[rnd[i] >> 4];
        out[pos++] = hex[rnd[i] & 15];
    }
    snprintf(out + pos, cap - pos, ".%s@%s>", digits, domain);
    return 0;
}

/* ---- Sink and header helpers ------------------------------------------- */

static void put(sink_t *s, const void *p, size_t len)
{
    const uint8_t *b = p;
    uint64_t start = s->total;
    size_t i;

    s->total += len;
    /* Copy the part of [start, start + len) from skip + n on that fits. */
    if (s->dst != NULL && s->n < s->cap && s->skip + s->n < s->total) {
        uint64_t want = s->skip + s->n;
        size_t from = want > start ? (size_t)(want - start) : 0;
        size_t k = len - from;
        if (k > s->cap - s->n) {
            k = s->cap - s->n;
        }
        memcpy(s->dst + s->n, b + from, k);
        s->n += k;
    }
    for (i = len; i > 0 && b[i - 1] != '\n'; i--) {
    }
    s->col = i > 0 ? len - i : s->col + len;
}

static void put_str(sink_t *s, const char *str)
{
    put(s, str, strlen(str));
}

/* Starts a header line: its name with the colon. */
static void header_begin(sink_t *s, const char *name)
{
    put_str(s, name);
    s->line_words = 0;
}

/* Writes " word" (the parts joined), folding before it when it would pass
 * MIME_FOLD_COLS and the line already holds a word (a word longer than a
 * line stays on the header's first line rather than on a line of its own). */
static void put_word(sink_t *s, const mime_str_t *parts, size_t count)
{
    size_t i, len = 0;

    for (i = 0; i < count; i++) {
        len += parts[i].len;
    }
    if (s->line_words > 0 && s->col + 1 + len > MIME_FOLD_COLS) {
        put(s, "\r\n", 2);
        s->line_words = 0;
    }
    put(s, " ", 1);
    for (i = 0; i < count; i++) {
        put(s, parts[i].ptr, parts[i].len);
    }
    s->line_words++;
}

/* From's value: addr, "name" <addr>, or =?utf-8?B?...?= <addr>. */
static void put_mailbox(sink_t *s, mime_str_t name, mime_str_t addr)
{
    size_t i, qlen = 2;

    if (name.len == 0) {
        put_word(s, &addr, 1);
        return;
    }
    for (i = 0; i < name.len; i++) {
        qlen += (name.ptr[i] == '"' || name.ptr[i] == '\\') ? 2 : 1;
    }
    if (is_plain(name) && s->col + 1 + qlen <= MIME_FOLD_COLS) {
        put(s, " \"", 2);
        for (i = 0; i < name.len; i++) {
            if (name.ptr[i] == '"' || name.ptr[i] == '\\') {
                put(s, "\\", 1);
            }
            put(s, &name.ptr[i], 1);
        }
        put(s, "\"", 1);
        s->line_words++;
    } else {
        put_encoded_words(s, name);
    }
    put_word(s, (mime_str_t[]){ LIT("<"), addr, LIT(">") }, 3);
}

/* RFC 2047 B encoded words, each as long as the current line allows (at most
 * 75 characters), never splitting a UTF-8 character between two words. */
static void put_encoded_words(sink_t *s, mime_str_t v)
{
    char b64[EW_MAX + 1];
    size_t pos = 0;

    while (pos < v.len) {
        size_t room = s->col + 1 + EW_OVERHEAD < MIME_FOLD_COLS
                          ? MIME_FOLD_COLS - s->col - 1 - EW_OVERHEAD
                          : 0;
        size_t take, olen;

        /* Two base64 groups (6 bytes) hold any UTF-8 character. */
        if (room < 8 && s->line_words > 0) {
            put(s, "\r\n", 2);
            s->line_words = 0;
            continue;
        }
        take = (room / 4) * 3;
        if (take > EW_IN_MAX) {
            take = EW_IN_MAX;
        }
        if (take > v.len - pos) {
            take = v.len - pos;
        }
        while (pos + take < v.len && take > 0 && ((uint8_t)v.ptr[pos + take] & 0xC0) == 0x80) {
            take--;
        }
        if (take == 0) {
            take = 1; /* unreachable for valid UTF-8; never loop forever */
        }
        olen = base64_encode(b64, (const uint8_t *)v.ptr + pos, take);
        put_word(s, (mime_str_t[]){ LIT(EW_PREFIX), { b64, olen }, LIT("?=") }, 3);
        pos += take;
    }
}

/* "; name=value" of a Content-Type or Content-Disposition, the ';' being
 * already written by the caller after the previous word. Plain short values
 * are quoted; others use RFC 2231 percent encoding in UTF-8, split into
 * numbered sections (name*0*=, name*1*=, ...) that each fit a line, never
 * splitting a UTF-8 character (Python's parser decodes each section alone). */
static void put_param(sink_t *s, const char *name, mime_str_t v)
{
    static const char hex[] = "0123456789ABCDEF";
    mime_str_t nm = mime_str(name);
    size_t i, enc_len = 0, pos = 0;
    unsigned section = 0;
    int single;

    /* One folded line holds " name=\"value\"": 1 + len + 3 + len <= 78. */
    if (is_plain(v) && 1 + nm.len + 3 + v.len <= MIME_FOLD_COLS) {
        put_word(s, (mime_str_t[]){ nm, LIT("=\""), v, LIT("\"") }, 4);
        return;
    }
    for (i = 0; i < v.len; i++) {
        enc_len += is_attr_char((uint8_t)v.ptr[i]) ? 1 : 3;
    }
    single = 1 + nm.len + 2 + 7 + enc_len <= MIME_FOLD_COLS;
    while (pos < v.len) {
        char head[16];
        char enc[MIME_FOLD_COLS];
        size_t head_len, room, n = 0;

        if (single) {
            head_len = (size_t)snprintf(head, sizeof head, "*=utf-8''");
        } else {
            head_len = (size_t)snprintf(head, sizeof head, "*%u*=%s", section,
                                        section == 0 ? "utf-8''" : "");
        }
        /* " " + name + head + value + ";" must fit one line. */
        room = MIME_FOLD_COLS - 1 - nm.len - head_len - 1;
        while (pos < v.len) {
            size_t clen = utf8_char_len((uint8_t)v.ptr[pos]);
            size_t need = 0, k;

            if (clen == 0) {
                clen = 1; /* not UTF-8: unreachable after validation */
            }
            if (clen > v.len - pos) {
                clen = v.len - pos;
            }
            for (k = 0; k < clen; k++) {
                need += is_attr_char((uint8_t)v.ptr[pos + k]) ? 1 : 3;
            }
            if (n + need > room && n > 0) {
                break;
            }
            for (k = 0; k < clen; k++) {
                uint8_t c = (uint8_t)v.ptr[pos + k];
                if (is_attr_char(c)) {
                    enc[n++] = (char)c;
                } else {
                    enc[n++] = '%';
                    enc[n++] = hex[c >> 4];
                    enc[n++] = hex[c & 15];
                }
            }
            pos += clen;
        }
        put_word(s,
                 (mime_str_t[]){ nm, { head, head_len }, { enc, n },
                                 { ";", pos < v.len ? 1u : 0u } },
                 4);
        section++;
    }
}

/* ---- Sections ----------------------------------------------------------- */

static void gen_section(const mime_writer_t *w, int section, size_t att, sink_t *s)
{
    const mime_attachment_t *a;

    switch (section) {
    case SEC_HEAD:
        gen_headers(w, s);
        put(s, "\r\n--", 4);
        put_str(s, w->boundary);
        put_str(s, "\r\nContent-Type: text/plain; charset=utf-8\r\n"
                   "Content-Transfer-Encoding: ");
        put_str(s, w->text_7bit ? "7bit" : "base64");
        put(s, "\r\n\r\n", 4);
        break;
    case SEC_ATT_HEAD:
        a = &w->msg->attachments[att];
        put(s, "\r\n--", 4);
        put_str(s, w->boundary);
        put(s, "\r\n", 2);
        header_begin(s, "Content-Type:");
        put_word(s, (mime_str_t[]){ a->content_type, LIT(";") }, 2);
        put_param(s, "name", a->filename);
        put(s, "\r\n", 2);
        header_begin(s, "Content-Disposition:");
        put_word(s, (mime_str_t[]){ LIT("attachment;") }, 1);
        put_param(s, "filename", a->filename);
        put_str(s, "\r\nContent-Transfer-Encoding: base64\r\n\r\n");
        break;
    case SEC_END:
        put(s, "\r\n--", 4);
        put_str(s, w->boundary);
        put(s, "--\r\n", 4);
        break;
    default:
        break;
    }
}

static void gen_headers(const mime_writer_t *w, sink_t *s)
{
    const mime_message_t *m = w->msg;
    char date[32];
    size_t i;

    mime_format_date(date, sizeof date, m->date); /* validated: cannot fail */
    header_begin(s, "Date:");
    put_word(s, (mime_str_t[]){ mime_str(date) }, 1);
    put(s, "\r\n", 2);

    header_begin(s, "From:");
    put_mailbox(s, m->from_name, m->from_addr);
    put(s, "\r\n", 2);

    if (m->reply_to.len > 0) {
        header_begin(s, "Reply-To:");
        put_word(s, &m->reply_to, 1);
        put(s, "\r\n", 2);
    }

    /* Address lists fold after a comma: one address per word. */
    header_begin(s, "To:");
    for (i = 0; i < m->to_count; i++) {
        put_word(s, (mime_str_t[]){ m->to[i], { ",", i + 1 < m->to_count ? 1u : 0u } }, 2);
    }
    put(s, "\r\n", 2);
    if (m->cc_count > 0) {
        header_begin(s, "Cc:");
        for (i = 0; i < m->cc_count; i++) {
            put_word(s, (mime_str_t[]){ m->cc[i], { ",", i + 1 < m->cc_count ? 1u : 0u } }, 2);
        }
        put(s, "\r\n", 2);
    }

    header_begin(s, "Subject:");
    if (is_plain(m->subject) && s->col + 1 + m->subject.len <= MIME_FOLD_COLS) {
        if (m->subject.len > 0) {
            put_word(s, &m->subject, 1);
        }
    } else {
        put_encoded_words(s, m->subject);
    }
    put(s, "\r\n", 2);

    header_begin(s, "Message-ID:");
    put_word(s, &m->message_id, 1);
    put_str(s, "\r\nMIME-Version: 1.0\r\n");

    header_begin(s, "Content-Type:");
    put_word(s, (mime_str_t[]){ LIT("multipart/mixed;") }, 1);
    put_word(s, (mime_str_t[]){ LIT("boundary=\""), mime_str(w->boundary), LIT("\"") }, 3);
    put(s, "\r\n", 2);
}

static uint64_t section_size(const mime_writer_t *w, int section, size_t att)
{
    sink_t s = { 0 };

    gen_section(w, section, att, &s);
    return s.total;
}

/* RFC 4648 base64 of n bytes into out (4 * ((n + 2) / 3) bytes, no NUL);
 * returns its length. A table lookup, not Mbed TLS's constant-time encoder:
 * attachments and headers are no secret, and this runs for every byte sent
 * (the constant-time one cost 57 M instructions per 300 dpi colour page). */
static size_t base64_encode(char *out, const uint8_t *in, size_t n)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0, i;

    for (i = 0; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = alphabet[(v >> 6) & 63];
        out[o++] = alphabet[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
        out[o++] = alphabet[v >> 18];
        out[o++] = alphabet[(v >> 12) & 63];
        out[o++] = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
        out[o++] = '=';
    }
    return o;
}

/* Size of n bytes as base64 lines of 76 characters joined by CRLF (the CRLF
 * after the last line belongs to the next delimiter). */
static uint64_t base64_size(uint64_t n)
{
    if (n == 0) {
        return 0;
    }
    return 4 * ((n + 2) / 3) + 2 * ((n + MIME_B64_IN - 1) / MIME_B64_IN - 1);
}

/* ---- Bodies ------------------------------------------------------------- */

/* 7bit when printable ASCII (and TAB), lines of at most MIME_TEXT_7BIT_COLS
 * and the boundary nowhere in it. */
static int text_is_7bit(const mime_writer_t *w)
{
    mime_str_t t = w->msg->text;
    size_t i, cols = 0, blen = strlen(w->boundary);

    for (i = 0; i < t.len; i++) {
        uint8_t c = (uint8_t)t.ptr[i];
        if (c == '\r' || c == '\n') {
            cols = 0;
        } else if (c >= 0x7F || (c < 0x20 && c != '\t') || ++cols > MIME_TEXT_7BIT_COLS) {
            return 0;
        }
    }
    for (i = 0; i + blen <= t.len; i++) {
        if (memcmp(t.ptr + i, w->boundary, blen) == 0) {
            return 0;
        }
    }
    return 1;
}

/* Bytes of the text once every CRLF, LF and lone CR is one CRLF. */
static uint64_t text_crlf_size(mime_str_t t)
{
    uint64_t n = 0;
    size_t i;

    for (i = 0; i < t.len; i++) {
        if (t.ptr[i] == '\r' && i + 1 < t.len && t.ptr[i + 1] == '\n') {
            i++;
            n += 2;
        } else {
            n += (t.ptr[i] == '\r' || t.ptr[i] == '\n') ? 2 : 1;
        }
    }
    return n;
}

/* Next bytes of the text with line breaks made CRLF. Never fails; returns 0
 * only at the end. */
static size_t text_read(mime_writer_t *w, uint8_t *buf, size_t cap)
{
    mime_str_t t = w->msg->text;
    size_t n = 0;

    while (n < cap) {
        char c;
        if (w->text_lf_due) {
            buf[n++] = '\n';
            w->text_lf_due = 0;
            continue;
        }
        if (w->text_pos == t.len) {
            break;
        }
        c = t.ptr[w->text_pos++];
        if (c == '\r' || c == '\n') {
            if (c == '\r' && w->text_pos < t.len && t.ptr[w->text_pos] == '\n') {
                w->text_pos++;
            }
            buf[n++] = '\r';
            w->text_lf_due = 1;
        } else {
            buf[n++] = (uint8_t)c;
        }
    }
    return n;
}

/* Next bytes of the current body section; 0 only when it is finished. */
static long body_read(mime_writer_t *w, uint8_t *buf, size_t cap)
{
    size_t k;
    int ret;

    if (w->section == SEC_TEXT && w->text_7bit) {
        /* Never past the announced size, and never 0 before it: a text
         * changed after init must not loop or overrun (SIZE= was sent). */
        if (cap > w->src_size - w->src_off) {
            cap = (size_t)(w->src_size - w->src_off);
        }
        k = text_read(w, buf, cap);
        if (k == 0 && cap > 0) {
            return MIME_ERR_STATE;
        }
        w->src_off += k;
        return (long)k;
    }
    if (w->line_pos == w->line_len) {
        if (w->src_off == w->src_size) {
            return 0;
        }
        ret = fill_line(w);
        if (ret != 0) {
            return ret;
        }
    }
    k = w->line_len - w->line_pos;
    if (k > cap) {
        k = cap;
    }
    memcpy(buf, w->line + w->line_pos, k);
    w->line_pos += k;
    return (long)k;
}

/* Reads the next chunk of up to 57 bytes from the source and makes it one
 * base64 line, preceded by CRLF unless it is the first. */
static int fill_line(mime_writer_t *w)
{
    uint64_t left = w->src_size - w->src_off;
    size_t need = left < MIME_B64_IN ? (size_t)left : MIME_B64_IN;
    size_t got = 0, crlf = w->src_off > 0 ? 2 : 0;

    while (got < need) {
        long r;
        if (w->section == SEC_TEXT) {
            r = (long)text_read(w, w->in + got, need - got);
        } else {
            const mime_attachment_t *a = &w->msg->attachments[w->att];
            r = a->read(a->arg, (uint32_t)(w->src_off + got), w->in + got, need - got);
        }
        if (r < 0) {
            return MIME_ERR_READ;
        }
        if (r == 0 || (size_t)r > need - got) {
            return MIME_ERR_SHORT_READ;
        }
        got += (size_t)r;
    }
    w->line[0] = '\r';
    w->line[1] = '\n';
    w->line_len = crlf + base64_encode((char *)w->line + crlf, w->in, need);
    w->line_pos = 0;
    w->src_off += need;
    return 0;
}

static void start_body(mime_writer_t *w, int section, uint64_t size)
{
    w->section = section;
    w->src_off = 0;
    w->src_size = size;
    w->line_len = 0;
    w->line_pos = 0;
}

static void next_section(mime_writer_t *w)
{
    w->sec_off = 0;
    switch (w->section) {
    case SEC_HEAD:
        w->text_pos = 0;
        w->text_lf_due = 0;
        start_body(w, SEC_TEXT, w->text_size);
        break;
    case SEC_TEXT:
    case SEC_ATT_BODY:
        w->att = w->section == SEC_TEXT ? 0 : w->att + 1;
        w->section = w->att < w->msg->attachment_count ? SEC_ATT_HEAD : SEC_END;
        break;
    case SEC_ATT_HEAD:
        start_body(w, SEC_ATT_BODY, w->msg->attachments[w->att].size);
        break;
    default:
        w->section = SEC_DONE;
        break;
    }
}

/* ---- Validation --------------------------------------------------------- */

/* Printable ASCII without "=?": safe to write as is (or quoted) in a header. */
static int is_plain(mime_str_t v)
{
    size_t i;

    for (i = 0; i < v.len; i++) {
        uint8_t c = (uint8_t)v.ptr[i];
        if (c < 0x20 || c > 0x7E || (c == '=' && i + 1 < v.len && v.ptr[i + 1] == '?')) {
            return 0;
        }
    }
    return 1;
}

/* No C0 control byte nor DEL; with allow_breaks, TAB, CR and LF pass. */
static int check_chars(mime_str_t v, int allow_breaks)
{
    size_t i;

    if (v.ptr == NULL && v.len > 0) {
        return MIME_ERR_BAD_ARGS;
    }
    for (i = 0; i < v.len; i++) {
        uint8_t c = (uint8_t)v.ptr[i];
        if (c == 0x7F || (c < 0x20 && !(allow_breaks && (c == '\t' || c == '\r' || c == '\n')))) {
            return MIME_ERR_CONTROL_CHAR;
        }
    }
    return 0;
}

int mime_utf8_check(const char *p, size_t len)
{
    return check_utf8((mime_str_t){p, len});
}

/* Well-formed UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF. */
static int check_utf8(mime_str_t v)
{
    size_t i = 0;

    while (i < v.len) {
        const uint8_t *p = (const uint8_t *)v.ptr + i;
        size_t n = utf8_char_len(p[0]), k;
        uint32_t cp;

        if (n == 0 || n > v.len - i) {
            return MIME_ERR_UTF8;
        }
        cp = n == 1 ? p[0] : (uint32_t)(p[0] & (0x7F >> n));
        for (k = 1; k < n; k++) {
            if ((p[k] & 0xC0) != 0x80) {
                return MIME_ERR_UTF8;
            }
            cp = (cp << 6) | (p[k] & 0x3F);
        }
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return MIME_ERR_UTF8;
        }
        i += n;
    }
    return 0;
}

/* A UTF-8 field: control bytes, then encoding, then length. */
static int check_text_field(mime_str_t v, size_t max, int allow_breaks)
{
    int ret = check_chars(v, allow_breaks);

    if (ret == 0) {
        ret = check_utf8(v);
    }
    if (ret == 0 && v.len > max) {
        ret = MIME_ERR_TOO_LONG;
    }
    return ret;
}

static int check_addr(mime_str_t v)
{
    size_t i, at = 0;
    int ret = check_chars(v, 0);

    if (ret != 0) {
        return ret;
    }
    if (v.len > MIME_ADDR_MAX) {
        return MIME_ERR_TOO_LONG;
    }
    for (i = 0; i < v.len; i++) {
        if (v.ptr[i] == '@') {
            at = i;
        }
    }
    /* Local part: dot-atom of atext, 1..64 bytes, UTF-8 letters allowed
     * (RFC 6532: written as they are; SMTP then needs SMTPUTF8); no second
     * '@' (not atext). */
    if (at == 0 || at > MIME_LOCAL_MAX || v.ptr[0] == '.' || v.ptr[at - 1] == '.' ||
        mime_utf8_check(v.ptr, at) != 0) {
        return MIME_ERR_ADDRESS;
    }
    for (i = 0; i < at; i++) {
        uint8_t c = (uint8_t)v.ptr[i];
        if (!(c >= 0x80 || is_atext(c) || (c == '.' && v.ptr[i + 1] != '.'))) {
            return MIME_ERR_ADDRESS;
        }
    }
    return check_domain(v.ptr + at + 1, v.len - at - 1);
}

/* LDH labels of 1..63 bytes, no '-' at either end of a label. */
static int check_domain(const char *d, size_t len)
{
    size_t i, label = 0;

    if (len == 0 || len > MIME_DOMAIN_MAX) {
        return MIME_ERR_ADDRESS;
    }
    for (i = 0; i <= len; i++) {
        char c = i < len ? d[i] : '.';
        if (c == '.') {
            if (label == 0 || label > 63 || d[i - 1] == '-') {
                return MIME_ERR_ADDRESS;
            }
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   (c == '-' && label > 0)) {
            label++;
        } else {
            return MIME_ERR_ADDRESS;
        }
    }
    return 0;
}

/* "<left@right>", each side dot-atom text. */
static int check_msgid(mime_str_t v)
{
    size_t i, ats = 0;
    int ret = check_chars(v, 0);

    if (ret != 0) {
        return ret;
    }
    if (v.len > MIME_MSGID_MAX) {
        return MIME_ERR_TOO_LONG;
    }
    if (v.len < 5 || v.ptr[0] != '<' || v.ptr[v.len - 1] != '>' || v.ptr[1] == '@' ||
        v.ptr[v.len - 2] == '@') {
        return MIME_ERR_MESSAGE_ID;
    }
    for (i = 1; i + 1 < v.len; i++) {
        uint8_t c = (uint8_t)v.ptr[i];
        ats += c == '@';
        if (!(is_atext(c) || c == '.' || c == '@')) {
            return MIME_ERR_MESSAGE_ID;
        }
    }
    return ats == 1 ? 0 : MIME_ERR_MESSAGE_ID;
}

/* "type/subtype", both RFC 2045 tokens. */
static int check_ctype(mime_str_t v)
{
    static const char tspecials[] = "()<>@,;:\\\"/[]?=";
    size_t i, slash = 0;
    int ret = check_chars(v, 0);

    if (ret != 0) {
        return ret;
    }
    if (v.len > MIME_CTYPE_MAX) {
        return MIME_ERR_TOO_LONG;
    }
    for (i = 0; i < v.len; i++) {
        uint8_t c = (uint8_t)v.ptr[i];
        if (c == '/' && slash == 0) {
            slash = i;
        } else if (c <= 0x20 || c >= 0x7F || strchr(tspecials, c) != NULL) {
            return MIME_ERR_CONTENT_TYPE;
        }
    }
    return slash == 0 || slash + 1 == v.len ? MIME_ERR_CONTENT_TYPE : 0;
}

static int check_filename(mime_str_t v)
{
    size_t i;
    int ret = check_text_field(v, MIME_FILENAME_MAX, 0);

    if (ret != 0) {
        return ret;
    }
    if (v.len == 0) {
        return MIME_ERR_FILENAME;
    }
    for (i = 0; i < v.len; i++) {
        if (v.ptr[i] == '/' || v.ptr[i] == '\\' || v.ptr[i] == '"') {
            return MIME_ERR_FILENAME;
        }
    }
    return 0;
}

/* RFC 5322 atext. */
static int is_atext(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* RFC 2231 attribute-char: what may stay unencoded in an extended value. */
static int is_attr_char(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("!#$&+-.^_`|~", c) != NULL);
}

/* Length of the UTF-8 sequence a lead byte starts; 0 for a bad lead byte. */
static size_t utf8_char_len(uint8_t lead)
{
    if (lead < 0x80) {
        return 1;
    }
    if (lead >= 0xC2 && lead <= 0xDF) {
        return 2;
    }
    if (lead >= 0xE0 && lead <= 0xEF) {
        return 3;
    }
    if (lead >= 0xF0 && lead <= 0xF4) {
        return 4;
    }
    return 0;
}
