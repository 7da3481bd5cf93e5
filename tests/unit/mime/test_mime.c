/*
 * Unit tests of the streaming MIME writer (smtp/mime.c).
 *
 * Messages are written to temporary files and parsed back by Python's email
 * package: tests/unit/mime/check_mime.py, run with /usr/bin/python3 from the
 * project root (where `make` runs the unit tests), compares every header, the
 * text and each attachment byte for byte (SHA-256) and checks the raw form
 * (CRLF only, line lengths, no Bcc).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mime.h"

#define CHECKER "tests/unit/mime/check_mime.py"
#define PYTHON "/usr/bin/python3"
#define MAX_RCPT 64
#define MAX_ATT 4

/* An attachment held in memory, read through the writer's callback, with
 * fault injection: fail from byte fail_at on, or end early at end_at. */
typedef struct mem_src {
    uint8_t *data;
    uint32_t size;     /* bytes in data */
    uint32_t fail_at;  /* offset from which reads fail (UINT32_MAX: never) */
    uint32_t end_at;   /* offset at which the data seems to end */
    size_t max_chunk;  /* most bytes one call returns (0: no limit) */
    uint32_t next_off; /* offset the writer should ask for next */
    int out_of_order;  /* the writer asked for another offset */
} mem_src_t;

/* A message's inputs as C strings, and the mime_message_t built from them. */
typedef struct fixture {
    const char *from_name, *from_addr, *reply_to, *subject, *text, *message_id;
    const char *to[MAX_RCPT], *cc[MAX_RCPT];
    size_t to_count, cc_count;
    const char *att_name[MAX_ATT], *att_type[MAX_ATT];
    mem_src_t src[MAX_ATT];
    size_t att_count;
    int64_t date;

    mime_str_t to_s[MAX_RCPT], cc_s[MAX_RCPT];
    mime_attachment_t att[MAX_ATT];
    mime_message_t m;
} fixture_t;

static char tmp_dir[64];

/* ---- Helpers ------------------------------------------------------------ */

static long mem_read(void *arg, uint32_t off, uint8_t *buf, size_t cap)
{
    mem_src_t *s = arg;
    size_t n;

    if (off != s->next_off) {
        s->out_of_order = 1;
    }
    if (off >= s->fail_at) {
        return -5;
    }
    if (off >= s->end_at) {
        return 0;
    }
    n = s->end_at - off;
    if (n > cap) {
        n = cap;
    }
    if (s->max_chunk > 0 && n > s->max_chunk) {
        n = s->max_chunk;
    }
    memcpy(buf, s->data + off, n);
    s->next_off = off + (uint32_t)n;
    return (long)n;
}

/* Deterministic bytes that cover all 256 values (xorshift32). */
static void fill_pattern(uint8_t *p, size_t n, uint32_t seed)
{
    uint32_t x = seed | 1;

    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
}

static void fixture_default(fixture_t *f)
{
    memset(f, 0, sizeof *f);
    f->from_name = "Scanner 3rd floor";
    f->from_addr = "scanner@office.example.test";
    f->to[f->to_count++] = "alice@example.test";
    f->subject = "Scanned document";
    f->text = "Your scan is attached.\n";
    f->message_id = "<0011223344556677.1795446963@office.example.test>";
    f->date = 1795446963; /* Mon, 23 Nov 2026 15:16:03 +0000 */
}

static void fixture_add_att(fixture_t *f, const char *name, const char *type, uint32_t size)
{
    mem_src_t *s = &f->src[f->att_count];

    assert_true(f->att_count < MAX_ATT);
    f->att_name[f->att_count] = name;
    f->att_type[f->att_count] = type;
    s->data = malloc(size > 0 ? size : 1);
    assert_non_null(s->data);
    fill_pattern(s->data, size, 0x9E3779B9u + (uint32_t)f->att_count + size);
    s->size = size;
    s->end_at = size;
    s->fail_at = UINT32_MAX;
    f->att_count++;
}

static void fixture_free(fixture_t *f)
{
    for (size_t i = 0; i < f->att_count; i++) {
        free(f->src[i].data);
    }
}

/* Builds f->m from the C strings (again: tests may have changed them). */
static mime_message_t *fixture_message(fixture_t *f)
{
    mime_message_t *m = &f->m;

    memset(m, 0, sizeof *m);
    m->from_name = mime_str(f->from_name);
    m->from_addr = mime_str(f->from_addr);
    m->reply_to = mime_str(f->reply_to);
    for (size_t i = 0; i < f->to_count; i++) {
        f->to_s[i] = mime_str(f->to[i]);
    }
    for (size_t i = 0; i < f->cc_count; i++) {
        f->cc_s[i] = mime_str(f->cc[i]);
    }
    m->to = f->to_s;
    m->to_count = f->to_count;
    m->cc = f->cc_count > 0 ? f->cc_s : NULL;
    m->cc_count = f->cc_count;
    m->subject = mime_str(f->subject);
    m->text = mime_str(f->text);
    m->date = f->date;
    m->message_id = mime_str(f->message_id);
    for (size_t i = 0; i < MIME_BOUNDARY_RND_LEN; i++) {
        m->boundary_rnd[i] = (uint8_t)(0xA5 ^ (i * 37));
    }
    for (size_t i = 0; i < f->att_count; i++) {
        f->src[i].next_off = 0;
        f->src[i].out_of_order = 0;
        f->att[i].filename = mime_str(f->att_name[i]);
        f->att[i].content_type = mime_str(f->att_type[i]);
        f->att[i].size = f->src[i].size;
        f->att[i].read = mem_read;
        f->att[i].arg = &f->src[i];
    }
    m->attachments = f->att_count > 0 ? f->att : NULL;
    m->attachment_count = f->att_count;
    return m;
}

/* Writes the whole message reading cap bytes at a time; returns it (malloc'd,
 * NUL terminated for strstr) and asserts its length is the announced size. */
static uint8_t *render(const mime_message_t *m, size_t cap, size_t *len_out)
{
    mime_writer_t w;
    const char *field = NULL;
    uint64_t size;
    uint8_t *out;
    size_t len = 0;
    long r;

    assert_int_equal(mime_writer_init(&w, m, &field), 0);
    assert_null(field);
    size = mime_writer_size(&w);
    out = malloc((size_t)size + 4096 + 1);
    assert_non_null(out);
    do {
        r = mime_writer_read(&w, out + len, cap);
        assert_true(r >= 0);
        assert_true((size_t)r <= cap);
        len += (size_t)r;
        assert_true(len <= size); /* never more than announced */
    } while (r > 0);
    assert_int_equal(len, size);
    assert_int_equal(mime_writer_read(&w, out, cap), 0); /* still the end */
    out[len] = '\0';
    mime_writer_free(&w);
    for (size_t i = 0; i < m->attachment_count; i++) {
        const mem_src_t *s = m->attachments[i].arg;
        assert_false(s->out_of_order);
    }
    *len_out = len;
    return out;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* The checker script, found from the project root (where the unit tests
 * run) or else beside this source file. */
static const char *checker_path(void)
{
    static char beside[512];
    const char *slash = strrchr(__FILE__, '/');

    if (access(CHECKER, R_OK) == 0) {
        return CHECKER;
    }
    if (slash != NULL) {
        snprintf(beside, sizeof beside, "%.*s/check_mime.py", (int)(slash - __FILE__), __FILE__);
        if (access(beside, R_OK) == 0) {
            return beside;
        }
    }
    return NULL;
}

/* Writes the message of f (read cap bytes at a time) and the expectations to
 * files, runs the checker and returns its exit status. */
static int check_with_python(fixture_t *f, size_t cap, const char *text_cte)
{
    const char *argv[40 + 4 * MAX_RCPT + 4 * MAX_ATT];
    char msg_path[128], text_path[128], data_path[MAX_ATT][128], date[32];
    const char *script = checker_path();
    size_t argc = 0, len;
    uint8_t *msg;
    int status;
    pid_t pid;

    if (script == NULL) {
        char cwd[256];
        fail_msg("%s not found (cwd %s): run the unit tests from the project root",
                 CHECKER, getcwd(cwd, sizeof cwd) != NULL ? cwd : "?");
    }
    if (access(PYTHON, X_OK) != 0) {
        fail_msg("%s not found: the MIME test needs Debian's python3 (make deps)", PYTHON);
    }
    msg = render(fixture_message(f), cap, &len);
    snprintf(msg_path, sizeof msg_path, "%s/message.eml", tmp_dir);
    write_file(msg_path, msg, len);
    free(msg);
    snprintf(text_path, sizeof text_path, "%s/text.txt", tmp_dir);
    write_file(text_path, f->text != NULL ? f->text : "", f->text != NULL ? strlen(f->text) : 0);
    snprintf(date, sizeof date, "%lld", (long long)f->date);

    argv[argc++] = PYTHON;
    argv[argc++] = script;
    argv[argc++] = msg_path;
    argv[argc++] = "--from-name";
    argv[argc++] = f->from_name != NULL ? f->from_name : "";
    argv[argc++] = "--from-addr";
    argv[argc++] = f->from_addr;
    if (f->reply_to != NULL) {
        argv[argc++] = "--reply-to";
        argv[argc++] = f->reply_to;
    }
    for (size_t i = 0; i < f->to_count; i++) {
        argv[argc++] = "--to";
        argv[argc++] = f->to[i];
    }
    for (size_t i = 0; i < f->cc_count; i++) {
        argv[argc++] = "--cc";
        argv[argc++] = f->cc[i];
    }
    argv[argc++] = "--subject";
    argv[argc++] = f->subject != NULL ? f->subject : "";
    argv[argc++] = "--text-file";
    argv[argc++] = text_path;
    argv[argc++] = "--message-id";
    argv[argc++] = f->message_id;
    argv[argc++] = "--date";
    argv[argc++] = date;
    if (text_cte != NULL) {
        argv[argc++] = "--text-cte";
        argv[argc++] = text_cte;
    }
    for (size_t i = 0; i < f->att_count; i++) {
        snprintf(data_path[i], sizeof data_path[i], "%s/att%zu.bin", tmp_dir, i);
        write_file(data_path[i], f->src[i].data, f->src[i].size);
        argv[argc++] = "--att";
        argv[argc++] = f->att_name[i];
        argv[argc++] = f->att_type[i];
        argv[argc++] = data_path[i];
    }
    argv[argc] = NULL;
    assert_true(argc < sizeof argv / sizeof argv[0]);

    fflush(stdout);
    fflush(stderr);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        execv(PYTHON, (char *const *)argv);
        _exit(127);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Header lines of the message (up to the first empty line) are at most 78
 * characters and every continuation line follows a line ending in ','
 * when it belongs to an address list. */
static void assert_header_lines_at_most_78(const uint8_t *msg)
{
    const char *p = (const char *)msg;

    for (;;) {
        const char *e = strstr(p, "\r\n");
        assert_non_null(e);
        if (e == p) {
            break;
        }
        if (e - p > 78) {
            fail_msg("header line of %d characters: %.*s", (int)(e - p), (int)(e - p), p);
        }
        p = e + 2;
    }
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/test_mime.XXXXXX");
    return mkdtemp(tmp_dir) != NULL ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return nftw(tmp_dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

/* ---- Round trips through Python's email package ------------------------- */

static void test_message_with_two_attachments_parses_back_with_every_header_and_byte(void **state)
{
    fixture_t f;

    (void)state;
    fixture_default(&f);
    f.from_name = "Scan \"Desk\" 3, Floor\\2 <lobby>";
    f.reply_to = "helpdesk@example.test";
    f.to[f.to_count++] = "bob.smith+scans@sub.example.test";
    f.cc[f.cc_count++] = "carol@example.test";
    f.cc[f.cc_count++] = "o'brien@example.test";
    f.text = "Hello,\r\n\r\nthe scan of 2 pages is attached.\n\tIndented line.\n-- \nMFP\n";
    fixture_add_att(&f, "scan_0001.jpg", "image/jpeg", 10000);
    fixture_add_att(&f, "scan_0002.pdf", "application/pdf", 57);
    assert_int_equal(check_with_python(&f, 4096, "7bit"), 0);
    fixture_free(&f);
}

static void test_size_is_exact_and_attachment_identical_for_0_1_56_57_58_114_and_3mb(void **state)
{
    static const uint32_t sizes[] = { 0, 1, 56, 57, 58, 114, 3u * 1024u * 1024u + 7u };

    (void)state;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        fixture_t f;
        fixture_default(&f);
        fixture_add_att(&f, "page.jpg", "image/jpeg", sizes[i]);
        /* check_with_python() asserts produced == mime_writer_size(). */
        assert_int_equal(check_with_python(&f, 4096, NULL), 0);
        fixture_free(&f);
    }
}

static void test_reading_with_cap_1_7_and_4096_gives_identical_output(void **state)
{
    static const size_t caps[] = { 1, 7, 57, 76, 77, 78, 79, 4096 };
    fixture_t f;
    uint8_t *ref, *out;
    size_t ref_len, len;

    (void)state;
    fixture_default(&f);
    f.from_name = "Zoë Ångström";
    f.subject = "Überweisung — scan für Zoë, 漢字 and a long tail to force folding of the words";
    f.cc[f.cc_count++] = "carol@example.test";
    fixture_add_att(&f, "a.jpg", "image/jpeg", 3001);
    fixture_add_att(&f, "b.tif", "image/tiff", 114);
    ref = render(fixture_message(&f), 4096, &ref_len);
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) {
        out = render(fixture_message(&f), caps[i], &len);
        assert_int_equal(len, ref_len);
        assert_memory_equal(out, ref, len);
        free(out);
    }
    /* A callback that returns fewer bytes than asked changes nothing. */
    f.src[0].max_chunk = 5;
    f.src[1].max_chunk = 1;
    out = render(fixture_message(&f), 7, &len);
    assert_int_equal(len, ref_len);
    assert_memory_equal(out, ref, len);
    free(out);
    free(ref);
    fixture_free(&f);
}

static void test_non_ascii_subject_display_name_text_and_file_name_round_trip(void **state)
{
    static char long_name[MIME_FILENAME_MAX + 1];
    fixture_t f;
    uint8_t *msg;
    size_t len;

    (void)state;
    memset(long_name, 'n', MIME_FILENAME_MAX);
    memcpy(long_name + MIME_FILENAME_MAX - 4, ".pdf", 4);
    fixture_default(&f);
    f.from_name = "Zoë Ångström-Łukasiewicz 漢字 🖨 Büro";
    f.subject = "Scan de l'épreuve 📄 — 漢字テスト, Größe: A4, Auflösung 300 dpi, "
                "numérisé le 23 novembre; ещё немного текста для переноса строк";
    f.text = "Grüße aus dem Büro.\nЗдравствуйте!\n漢字\n";
    fixture_add_att(&f, "reçu été 漢字 🖨.jpg", "image/jpeg", 500);
    fixture_add_att(&f, long_name, "application/pdf", 58);
    fixture_add_att(&f, "Überweisung vom 23. November 2026, Seite 1 von 12 — gescannt.jpg",
                    "image/jpeg", 1);
    assert_int_equal(check_with_python(&f, 7, "base64"), 0);

    msg = render(fixture_message(&f), 4096, &len);
    assert_non_null(strstr((char *)msg, "From: =?utf-8?B?"));
    assert_non_null(strstr((char *)msg, "filename*0*=utf-8''"));
    assert_header_lines_at_most_78(msg);
    free(msg);
    fixture_free(&f);
}

static void test_plain_subject_with_encoded_word_marker_is_encoded(void **state)
{
    fixture_t f;
    uint8_t *msg;
    size_t len;

    (void)state;
    fixture_default(&f);
    f.subject = "literal =?utf-8?B?SGk=?= text";
    f.from_name = "=?utf-8?B?SGk=?=";
    assert_int_equal(check_with_python(&f, 4096, NULL), 0);
    msg = render(fixture_message(&f), 4096, &len);
    assert_null(strstr((char *)msg, "Subject: literal"));
    free(msg);
    fixture_free(&f);
}

static void test_long_to_and_cc_lists_fold_at_commas_within_78_columns(void **state)
{
    static char names[2 * MAX_RCPT][40];
    fixture_t f;
    uint8_t *msg;
    size_t len;
    const char *p;

    (void)state;
    fixture_default(&f);
    f.to_count = 0;
    for (size_t i = 0; i < 40; i++) {
        snprintf(names[i], sizeof names[i], "user%02zu.name@example.test", i);
        f.to[f.to_count++] = names[i];
    }
    for (size_t i = 0; i < 20; i++) {
        snprintf(names[MAX_RCPT + i], sizeof names[0], "cc%02zu@example.test", i);
        f.cc[f.cc_count++] = names[MAX_RCPT + i];
    }
    assert_int_equal(check_with_python(&f, 4096, NULL), 0);
    msg = render(fixture_message(&f), 4096, &len);
    assert_header_lines_at_most_78(msg);
    /* Every fold inside To and Cc comes right after a comma. */
    p = strstr((char *)msg, "\r\nTo:");
    assert_non_null(p);
    for (const char *e = strstr(p + 2, "\r\n "); e != NULL && e < strstr(p, "\r\nSubject:");
         e = strstr(e + 2, "\r\n ")) {
        assert_int_equal(e[-1], ',');
    }
    free(msg);
    fixture_free(&f);
}

static void test_empty_text_name_subject_and_no_cc_reply_to_or_attachment(void **state)
{
    fixture_t f;
    uint8_t *msg;
    size_t len;

    (void)state;
    fixture_default(&f);
    f.from_name = "";
    f.text = "";
    f.subject = "";
    assert_int_equal(check_with_python(&f, 1, "7bit"), 0);
    msg = render(fixture_message(&f), 4096, &len);
    assert_non_null(strstr((char *)msg, "\r\nFrom: scanner@office.example.test\r\n"));
    assert_null(strstr((char *)msg, "Cc:"));
    assert_null(strstr((char *)msg, "Reply-To:"));
    free(msg);
    fixture_free(&f);
}

/* ---- Text part encoding ------------------------------------------------- */

static void test_text_is_7bit_for_short_ascii_lines_and_base64_otherwise(void **state)
{
    static char long_line[MIME_TEXT_7BIT_COLS + 3];
    static char with_boundary[128];
    fixture_t f;
    mime_writer_t w;

    (void)state;
    memset(long_line, 'x', MIME_TEXT_7BIT_COLS + 1);
    long_line[MIME_TEXT_7BIT_COLS + 1] = '\n';

    fixture_default(&f);
    f.text = "tab\there\r\nlone CR\rthen LF\nend without newline";
    assert_int_equal(check_with_python(&f, 3, "7bit"), 0);

    f.text = long_line;
    assert_int_equal(check_with_python(&f, 3, "base64"), 0);
    long_line[MIME_TEXT_7BIT_COLS] = '\n'; /* exactly the limit: 7bit */
    assert_int_equal(check_with_python(&f, 3, "7bit"), 0);

    /* A text holding the boundary cannot be sent as 7bit. */
    assert_int_equal(mime_writer_init(&w, fixture_message(&f), NULL), 0);
    snprintf(with_boundary, sizeof with_boundary, "before\n--%s\nafter\n", w.boundary);
    f.text = with_boundary;
    assert_int_equal(check_with_python(&f, 3, "base64"), 0);

    f.text = "caf\xc3\xa9\n";
    assert_int_equal(check_with_python(&f, 3, "base64"), 0);
    fixture_free(&f);
}

/* ---- Validation --------------------------------------------------------- */

/* Where a bad value is put, and the field name expected back. */
typedef struct field_case {
    const char *field;
    mime_str_t *(*slot)(fixture_t *f);
} field_case_t;

static mime_str_t *slot_from_name(fixture_t *f) { return &f->m.from_name; }
static mime_str_t *slot_from_addr(fixture_t *f) { return &f->m.from_addr; }
static mime_str_t *slot_reply_to(fixture_t *f) { return &f->m.reply_to; }
static mime_str_t *slot_to(fixture_t *f) { return &f->to_s[1]; }
static mime_str_t *slot_cc(fixture_t *f) { return &f->cc_s[0]; }
static mime_str_t *slot_subject(fixture_t *f) { return &f->m.subject; }
static mime_str_t *slot_message_id(fixture_t *f) { return &f->m.message_id; }
static mime_str_t *slot_filename(fixture_t *f) { return &f->att[0].filename; }
static mime_str_t *slot_ctype(fixture_t *f) { return &f->att[0].content_type; }

static void test_header_value_with_cr_lf_or_nul_is_refused_with_the_field_named(void **state)
{
    static const field_case_t cases[] = {
        { "From name", slot_from_name },    { "From", slot_from_addr },
        { "Reply-To", slot_reply_to },      { "To", slot_to },
        { "Cc", slot_cc },                  { "Subject", slot_subject },
        { "Message-ID", slot_message_id },  { "Attachment file name", slot_filename },
        { "Attachment content type", slot_ctype },
    };
    /* Values valid for every field but for the injected byte at [4]. */
    static const char *const values[] = { "abcd?x@example.test", "<abc?1@example.test>",
                                          "image?/jpeg" };
    static const char bad[] = { '\r', '\n', '\0', '\t', 0x01, 0x1F, 0x7F };
    fixture_t f;

    (void)state;
    fixture_default(&f);
    f.reply_to = "help@example.test";
    f.to[f.to_count++] = "bob@example.test";
    f.cc[f.cc_count++] = "carol@example.test";
    fixture_add_att(&f, "a.jpg", "image/jpeg", 10);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (size_t b = 0; b < sizeof bad; b++) {
            char value[64];
            const char *field = "unset";
            const char *base = values[0];
            mime_writer_t w;
            uint8_t out[16];
            mime_str_t *slot;

            if (cases[c].slot == slot_message_id) {
                base = values[1];
            } else if (cases[c].slot == slot_ctype) {
                base = values[2];
            }
            fixture_message(&f);
            slot = cases[c].slot(&f);
            snprintf(value, sizeof value, "%s", base);
            value[strchr(base, '?') - base] = bad[b];
            slot->ptr = value;
            slot->len = strlen(base); /* counts past an injected NUL */

            assert_int_equal(mime_message_validate(&f.m, &field), MIME_ERR_CONTROL_CHAR);
            assert_string_equal(field, cases[c].field);
            field = "unset";
            assert_int_equal(mime_writer_init(&w, &f.m, &field), MIME_ERR_CONTROL_CHAR);
            assert_string_equal(field, cases[c].field);
            assert_int_equal(mime_writer_read(&w, out, sizeof out), MIME_ERR_STATE);
        }
    }
    /* The untouched message is valid: the cases above failed for the byte. */
    assert_int_equal(mime_message_validate(fixture_message(&f), NULL), 0);
    fixture_free(&f);
}

static void test_text_with_nul_or_other_control_byte_is_refused_as_text(void **state)
{
    static const char *const bad[] = { "a\0b", "a\x01z", "a\x1b[1m", "a\x7f" };
    fixture_t f;
    const char *field;

    (void)state;
    fixture_default(&f);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fixture_message(&f);
        f.m.text.ptr = bad[i];
        f.m.text.len = i == 0 ? 3 : strlen(bad[i]);
        field = NULL;
        assert_int_equal(mime_message_validate(&f.m, &field), MIME_ERR_CONTROL_CHAR);
        assert_string_equal(field, "Text");
    }
    f.text = "bad \xc3\x28 utf-8";
    assert_int_equal(mime_message_validate(fixture_message(&f), &field), MIME_ERR_UTF8);
    assert_string_equal(field, "Text");
    fixture_free(&f);
}

static void test_addresses_without_a_sane_addr_spec_shape_are_refused(void **state)
{
    static char local65[80], long_label[80], too_long[320], ok64[80], ok254[300];
    static const char *const bad[] = {
        "", "alice", "@example.test", "alice@", "al ice@example.test", "<alice@example.test>",
        "alice@example..test", ".alice@example.test", "alice.@example.test",
        "al..ice@example.test", "alice@-example.test", "alice@example-.test",
        "alice@exa_mple.test", "alice@bob@example.test", "al\"ice@example.test",
        "\xc3lice@example.test", "\xc3\xa4lice@ex\xc3\xa4mple.test", "alice@example.test.",
        "alice@[198.51.100.1]",
        "alice(x)@example.test", local65, long_label, too_long,
    };
    static const char *const good[] = {
        "a@b", "first.last+tag@sub.example.test", "o'brien@example.test",
        "x!#$%&'*+-/=?^_`{|}~@example-1.test", ok64, ok254,
        "\xc3\xa4lice@example.test", /* RFC 6532: UTF-8 local part, sent with SMTPUTF8 */
    };
    fixture_t f;
    const char *field;

    (void)state;
    memset(local65, 'l', 65);
    strcpy(local65 + 65, "@example.test");
    memset(ok64, 'l', 64);
    strcpy(ok64 + 64, "@example.test");
    strcpy(long_label, "alice@");
    memset(long_label + 6, 'd', 64);
    strcpy(long_label + 70, ".test");
    /* 254 bytes: a@ + 63.63.63.60 */
    strcpy(ok254, "a@");
    for (size_t i = 0; i < 4; i++) {
        size_t n = i < 3 ? 63 : 60;
        memset(ok254 + strlen(ok254), 'd', n);
        ok254[2 + 64 * i + n] = '\0';
        if (i < 3) {
            strcat(ok254, ".");
        }
    }
    assert_int_equal(strlen(ok254), 254);
    snprintf(too_long, sizeof too_long, "%sd", ok254);

    fixture_default(&f);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        f.from_addr = bad[i];
        field = NULL;
        if (mime_message_validate(fixture_message(&f), &field) == 0) {
            fail_msg("address accepted: \"%s\"", bad[i]);
        }
        assert_string_equal(field, "From");
        f.from_addr = "scanner@example.test";
        f.to[0] = bad[i];
        assert_true(mime_message_validate(fixture_message(&f), &field) < 0);
        assert_string_equal(field, "To");
        f.to[0] = "alice@example.test";
    }
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        f.to[0] = good[i];
        field = "unset";
        if (mime_message_validate(fixture_message(&f), &field) != 0) {
            fail_msg("address refused: \"%s\" (%s)", good[i], field);
        }
        assert_null(field);
    }
    fixture_free(&f);
}

static void test_file_names_and_content_types_of_bad_shape_are_refused(void **state)
{
    static char name256[MIME_FILENAME_MAX + 2], name255[MIME_FILENAME_MAX + 1];
    static const char *const bad_names[] = { "", "a/b.jpg", "a\\b.jpg", "a\"b.jpg",
                                             "\xff.jpg", "a\xc3.jpg", name256 };
    static const char *const bad_types[] = { "", "image", "image/", "/jpeg", "image/jp eg",
                                             "image/jpeg; x=y", "image/jpeg/x", "im@ge/jpeg",
                                             "image/j\xc3\xa9" };
    fixture_t f;
    const char *field;

    (void)state;
    memset(name256, 'n', MIME_FILENAME_MAX + 1);
    memset(name255, 'n', MIME_FILENAME_MAX);
    fixture_default(&f);
    fixture_add_att(&f, "a.jpg", "image/jpeg", 3);
    for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
        f.att_name[0] = bad_names[i];
        field = NULL;
        if (mime_message_validate(fixture_message(&f), &field) == 0) {
            fail_msg("file name accepted: \"%s\"", bad_names[i]);
        }
        assert_string_equal(field, "Attachment file name");
    }
    f.att_name[0] = name255;
    assert_int_equal(mime_message_validate(fixture_message(&f), &field), 0);
    for (size_t i = 0; i < sizeof bad_types / sizeof bad_types[0]; i++) {
        f.att_type[0] = bad_types[i];
        if (mime_message_validate(fixture_message(&f), &field) == 0) {
            fail_msg("content type accepted: \"%s\"", bad_types[i]);
        }
        assert_string_equal(field, "Attachment content type");
    }
    f.att_type[0] = "application/vnd.ms-excel+x";
    assert_int_equal(mime_message_validate(fixture_message(&f), &field), 0);
    fixture_message(&f);
    f.att[0].read = NULL;
    assert_int_equal(mime_message_validate(&f.m, &field), MIME_ERR_NO_READER);
    assert_string_equal(field, "Attachment");
    fixture_free(&f);
}

static void test_message_without_to_bad_message_id_or_date_is_refused(void **state)
{
    static const char *const bad_ids[] = { "abc@example.test", "<abc>", "<@example.test>",
                                           "<abc@>", "<a b@example.test>", "<a@b@c>", "<>" };
    fixture_t f;
    const char *field;

    (void)state;
    fixture_default(&f);
    f.to_count = 0;
    assert_int_equal(mime_message_validate(fixture_message(&f), &field), MIME_ERR_NO_RECIPIENT);
    assert_string_equal(field, "To");
    f.to_count = 1;
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        f.message_id = bad_ids[i];
        if (mime_message_validate(fixture_message(&f), &field) == 0) {
            fail_msg("Message-ID accepted: \"%s\"", bad_ids[i]);
        }
        assert_string_equal(field, "Message-ID");
    }
    f.message_id = "<a.b@c>";
    f.date = -1;
    assert_int_equal(mime_message_validate(fixture_message(&f), &field), MIME_ERR_DATE);
    assert_string_equal(field, "Date");
    assert_int_equal(mime_message_validate(NULL, &field), MIME_ERR_BAD_ARGS);
    fixture_free(&f);
}

/* ---- Streaming errors --------------------------------------------------- */

static long read_until_error(fixture_t *f, size_t cap)
{
    mime_writer_t w;
    uint8_t buf[4096];
    long r;

    assert_int_equal(mime_writer_init(&w, fixture_message(f), NULL), 0);
    do {
        r = mime_writer_read(&w, buf, cap);
    } while (r > 0);
    /* Errors are sticky. */
    assert_int_equal(mime_writer_read(&w, buf, cap), r);
    return r;
}

static void test_attachment_read_error_surfaces_as_an_error(void **state)
{
    fixture_t f;

    (void)state;
    fixture_default(&f);
    fixture_add_att(&f, "a.jpg", "image/jpeg", 1000);
    fixture_add_att(&f, "b.jpg", "image/jpeg", 1000);
    f.src[1].fail_at = 600;
    assert_int_equal(read_until_error(&f, 4096), MIME_ERR_READ);
    assert_int_equal(read_until_error(&f, 1), MIME_ERR_READ);
    f.src[1].fail_at = 0;
    assert_int_equal(read_until_error(&f, 100), MIME_ERR_READ);
    fixture_free(&f);
}

static void test_attachment_shorter_than_declared_surfaces_as_a_short_read(void **state)
{
    fixture_t f;

    (void)state;
    fixture_default(&f);
    fixture_add_att(&f, "a.jpg", "image/jpeg", 1000);
    f.src[0].end_at = 999;
    assert_int_equal(read_until_error(&f, 4096), MIME_ERR_SHORT_READ);
    f.src[0].end_at = 0;
    assert_int_equal(read_until_error(&f, 7), MIME_ERR_SHORT_READ);
    fixture_free(&f);
}

static void test_read_after_the_end_returns_zero_and_bad_arguments_are_refused(void **state)
{
    fixture_t f;
    mime_writer_t w;
    uint8_t buf[64];
    long r;

    (void)state;
    fixture_default(&f);
    assert_int_equal(mime_writer_init(&w, fixture_message(&f), NULL), 0);
    assert_int_equal(mime_writer_read(&w, buf, 0), MIME_ERR_BAD_ARGS);
    assert_int_equal(mime_writer_read(&w, NULL, 1), MIME_ERR_BAD_ARGS);
    assert_int_equal(mime_writer_read(NULL, buf, 1), MIME_ERR_BAD_ARGS);
    while ((r = mime_writer_read(&w, buf, sizeof buf)) > 0) {
    }
    assert_int_equal(r, 0);
    assert_int_equal(mime_writer_read(&w, buf, sizeof buf), 0);
    mime_writer_free(&w);
    assert_int_equal(mime_writer_read(&w, buf, sizeof buf), MIME_ERR_STATE);
    assert_int_equal(mime_writer_size(&w), 0);
    mime_writer_free(NULL);
    fixture_free(&f);
}

/* ---- Helpers: date and Message-ID --------------------------------------- */

static void test_date_is_rfc5322_in_utc_and_agrees_with_libc(void **state)
{
    static const struct {
        int64_t t;
        const char *s;
    } known[] = {
        { 0, "Thu, 01 Jan 1970 00:00:00 +0000" },
        { 1795446963, "Mon, 23 Nov 2026 15:16:03 +0000" },
        { 951782400, "Tue, 29 Feb 2000 00:00:00 +0000" },
        { 4107542399, "Sun, 28 Feb 2100 23:59:59 +0000" },
        { 4107542400, "Mon, 01 Mar 2100 00:00:00 +0000" },
        { INT64_C(253402300799), "Fri, 31 Dec 9999 23:59:59 +0000" },
    };
    char out[32], ref[64];

    (void)state;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        assert_int_equal(mime_format_date(out, sizeof out, known[i].t), 0);
        assert_string_equal(out, known[i].s);
    }
    /* Cross-check with the host's gmtime_r over the whole range. */
    for (int64_t t = 0; t < INT64_C(253402300799); t += INT64_C(86399) * 997 + 12345) {
        time_t tt = (time_t)t;
        struct tm tm;
        static const char wd[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
        static const char mo[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
        assert_non_null(gmtime_r(&tt, &tm));
        snprintf(ref, sizeof ref, "%s, %02d %s %04d %02d:%02d:%02d +0000", wd[tm.tm_wday],
                 tm.tm_mday, mo[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                 tm.tm_sec);
        assert_int_equal(mime_format_date(out, sizeof out, t), 0);
        assert_string_equal(out, ref);
    }
    assert_int_equal(mime_format_date(out, sizeof out, -1), MIME_ERR_DATE);
    assert_int_equal(mime_format_date(out, sizeof out, INT64_C(253402300800)), MIME_ERR_DATE);
    assert_int_equal(mime_format_date(out, 31, 0), MIME_ERR_BUF_TOO_SMALL);
}

static void test_message_id_is_random_hex_time_and_the_from_domain(void **state)
{
    uint8_t rnd[16];
    char out[128];
    fixture_t f;

    (void)state;
    for (size_t i = 0; i < sizeof rnd; i++) {
        rnd[i] = (uint8_t)(i * 0x11);
    }
    assert_int_equal(mime_make_message_id(out, sizeof out, rnd, sizeof rnd, 1795446963,
                                          "scanner@Office.Example.test"),
                     0);
    assert_string_equal(out, "<00112233445566778899aabbccddeeff.1795446963@Office.Example.test>");
    fixture_default(&f);
    f.message_id = out;
    assert_int_equal(mime_message_validate(fixture_message(&f), NULL), 0);

    assert_int_equal(mime_make_message_id(out, 65, rnd, sizeof rnd, 1795446963,
                                          "scanner@Office.Example.test"),
                     MIME_ERR_BUF_TOO_SMALL);
    assert_int_equal(mime_make_message_id(out, 66, rnd, sizeof rnd, 1795446963,
                                          "scanner@Office.Example.test"),
                     0);
    assert_int_equal(mime_make_message_id(out, sizeof out, rnd, sizeof rnd, 0, "no-domain"),
                     MIME_ERR_ADDRESS);
    assert_int_equal(mime_make_message_id(out, sizeof out, rnd, 4, 0, "a@b"), MIME_ERR_BAD_ARGS);
    assert_int_equal(mime_make_message_id(out, sizeof out, rnd, 8, -1, "a@b"), MIME_ERR_DATE);
    fixture_free(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_message_with_two_attachments_parses_back_with_every_header_and_byte, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_size_is_exact_and_attachment_identical_for_0_1_56_57_58_114_and_3mb, setup,
            teardown),
        cmocka_unit_test(test_reading_with_cap_1_7_and_4096_gives_identical_output),
        cmocka_unit_test_setup_teardown(
            test_non_ascii_subject_display_name_text_and_file_name_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plain_subject_with_encoded_word_marker_is_encoded,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_long_to_and_cc_lists_fold_at_commas_within_78_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_empty_text_name_subject_and_no_cc_reply_to_or_attachment, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_text_is_7bit_for_short_ascii_lines_and_base64_otherwise, setup, teardown),
        cmocka_unit_test(test_header_value_with_cr_lf_or_nul_is_refused_with_the_field_named),
        cmocka_unit_test(test_text_with_nul_or_other_control_byte_is_refused_as_text),
        cmocka_unit_test(test_addresses_without_a_sane_addr_spec_shape_are_refused),
        cmocka_unit_test(test_file_names_and_content_types_of_bad_shape_are_refused),
        cmocka_unit_test(test_message_without_to_bad_message_id_or_date_is_refused),
        cmocka_unit_test(test_attachment_read_error_surfaces_as_an_error),
        cmocka_unit_test(test_attachment_shorter_than_declared_surfaces_as_a_short_read),
        cmocka_unit_test(test_read_after_the_end_returns_zero_and_bad_arguments_are_refused),
        cmocka_unit_test(test_date_is_rfc5322_in_utc_and_agrees_with_libc),
        cmocka_unit_test(test_message_id_is_random_hex_time_and_the_from_domain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
