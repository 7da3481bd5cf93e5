/* Benchmark driver: the firmware's own pipeline in one process, with no
 * network stack: simulated scanner -> scan_job (JPEG into the spool) -> MIME
 * writer -> sans-IO SMTP engine -> a scripted server that answers like
 * Postfix. Prints figures; never judges time.
 *
 *   bench_job ppm OUT [color|grey]  the test page as PPM/PGM (for cjpeg)
 *   bench_job encode PAGES          scan and encode only
 *   bench_job job PAGES             scan, encode, MIME and SMTP
 *   bench_job budget                asserts the heap budget (exact, counting allocator)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "count_alloc.h"
#include "mime.h"
#include "scan_job.h"
#include "sim_scanner.h"
#include "sim_storage.h"
#include "smtp_session.h"
#include "spool.h"

/* Heap budget of a whole job beside the caller's band buffer (libjpeg's
 * compressor state is all of it): the measured peak of a 300 dpi A4 colour
 * job is 95,959 bytes for 1 page and for 5 pages; 120 KiB leaves ~28%
 * headroom. The peak must not grow with pages. */
#define BENCH_HEAP_BUDGET (120 * 1024)
#define BENCH_BAND_LINES 16

struct bench_result {
    unsigned pages;
    uint64_t jpeg_bytes, msg_bytes, smtp_out, smtp_in;
    uint32_t flights;
    size_t heap_peak, alloc_calls, band_bytes;
};

static struct hal_scan_params bench_params(unsigned pages, enum hal_scan_color color)
{
    struct hal_scan_params p = {.dpi = 300, .width_mm10 = 2100, .height_mm10 = 2970,
                                .color = color, .pages = pages};
    return p;
}

static int bench_ppm(const char *path, enum hal_scan_color color)
{
    struct sim_scanner s;
    struct hal_scanner hal;
    struct hal_scan_params p = bench_params(1, color);
    struct hal_scan_page pg;
    FILE *f = fopen(path, "wb");
    uint8_t *band;
    int n;

    if (!f)
        return 1;
    sim_scanner_init(&s, NULL);
    sim_scanner_hal(&s, &hal);
    if (hal_scanner_start(&hal, &p) != 0 || hal_scanner_next_page(&hal, &pg) != 0)
        return 1;
    fprintf(f, "P%d\n%u %u\n255\n", pg.components == 3 ? 6 : 5, pg.width, pg.height);
    band = malloc((size_t)pg.width * pg.components * BENCH_BAND_LINES);
    while ((n = hal_scanner_read_band(&hal, band, BENCH_BAND_LINES)) > 0)
        fwrite(band, (size_t)pg.width * pg.components, (size_t)n, f);
    hal_scanner_stop(&hal);
    free(band);
    return fclose(f) == 0 && n == 0 ? 0 : 1;
}

/* A scripted gateway: answers each complete command line like Postfix. */
struct bench_server {
    char line[1024];
    size_t len;
    int in_data;
    char reply[1024];
    size_t reply_len;
};

/* Not inlined, so that callgrind can count the script apart from the engine. */
__attribute__((noinline)) static void bench_server_take(struct bench_server *sv,
                                                        const uint8_t *p, size_t n)
{
    static const char ehlo[] = "250-mail.example.test\r\n250-PIPELINING\r\n250-SIZE 26214400\r\n"
                               "250-8BITMIME\r\n250-ENHANCEDSTATUSCODES\r\n250 DSN\r\n";
    for (size_t i = 0; i < n; i++) {
        const char *r = NULL;
        if (sv->len < sizeof(sv->line) - 1)
            sv->line[sv->len++] = (char)p[i];
        if (p[i] != '\n')
            continue;
        sv->line[sv->len] = '\0';
        if (sv->in_data) {
            if (!strcmp(sv->line, ".\r\n")) {
                sv->in_data = 0;
                r = "250 2.0.0 Ok: queued as BENCH\r\n";
            }
        } else if (!strncmp(sv->line, "EHLO", 4)) {
            r = ehlo;
        } else if (!strncmp(sv->line, "DATA", 4)) {
            sv->in_data = 1;
            r = "354 End data with <CR><LF>.<CR><LF>\r\n";
        } else if (!strncmp(sv->line, "QUIT", 4)) {
            r = "221 2.0.0 Bye\r\n";
        } else {
            r = "250 2.1.0 Ok\r\n";
        }
        sv->len = 0;
        if (r && sv->reply_len + strlen(r) < sizeof(sv->reply)) {
            memcpy(sv->reply + sv->reply_len, r, strlen(r));
            sv->reply_len += strlen(r);
        }
    }
}

static long bench_body_read(void *arg, uint8_t *buf, size_t cap)
{
    return mime_writer_read(arg, buf, cap);
}

struct bench_page_reader {
    struct spool_page pg;
    const struct hal_storage *st;
    const char *name;
    int open;
};

static long bench_page_read(void *arg, uint32_t off, uint8_t *buf, size_t cap)
{
    struct bench_page_reader *r = arg;
    if (!r->open) {
        if (spool_page_open(&r->pg, r->st, r->name) != 0)
            return -1;
        r->open = 1;
    }
    return spool_page_read(&r->pg, off, buf, cap);
}

/* Sends every spooled page as one e-mail through the engine and the script. */
static int bench_send(struct scan_job *job, const struct hal_storage *st, struct bench_result *res)
{
    static struct bench_page_reader readers[SCAN_JOB_MAX_PAGES];
    static mime_attachment_t att[SCAN_JOB_MAX_PAGES];
    static char names[SCAN_JOB_MAX_PAGES][32];
    static mime_writer_t w;
    static smtp_session_t s;
    static uint8_t outbuf[4096];
    static struct bench_server sv;
    mime_str_t to = mime_str("alice@example.test");
    mime_message_t m = {0};
    const char *rcpt = "alice@example.test";
    smtp_rcpt_result_t rr;
    smtp_message_result_t mr;
    smtp_message_t msg;
    smtp_config_t cfg = {0};
    unsigned n = scan_job_page_count(job);
    const uint8_t *out;
    size_t len;
    int rc = 1;

    for (unsigned i = 0; i < n; i++) {
        readers[i] = (struct bench_page_reader){.st = st, .name = scan_job_page(job, i)->name};
        snprintf(names[i], sizeof(names[i]), "scan_%u.jpg", i + 1);
        att[i] = (mime_attachment_t){mime_str(names[i]), mime_str("image/jpeg"),
                                     scan_job_page(job, i)->size, bench_page_read, &readers[i]};
    }
    m.from_name = mime_str("MFP");
    m.from_addr = mime_str("mfp@example.test");
    m.to = &to;
    m.to_count = 1;
    m.subject = mime_str("Scanned document");
    m.text = mime_str("Scanned on the MFP.");
    m.date = 1795447719;
    m.message_id = mime_str("<bench.1@example.test>");
    m.attachments = att;
    m.attachment_count = n;
    if (mime_writer_init(&w, &m, NULL) != 0)
        return 1;
    msg = (smtp_message_t){"mfp@example.test", &rcpt, 1, mime_writer_size(&w),
                           bench_body_read, &w, &mr, &rr};
    cfg.ehlo_domain = "[198.51.100.100]";
    cfg.messages = &msg;
    cfg.message_count = 1;
    memset(&sv, 0, sizeof(sv));
    if (smtp_session_init(&s, &cfg, outbuf, sizeof(outbuf)) != 0 || smtp_session_start(&s, 0) != 0)
        goto exit;
    smtp_session_feed(&s, (const uint8_t *)"220 mail.example.test ESMTP\r\n", 29, 0);
    while (!smtp_session_done(&s)) {
        while ((out = smtp_session_output(&s, &len)) && len > 0) {
            bench_server_take(&sv, out, len);
            smtp_session_sent(&s, len);
        }
        if (sv.reply_len == 0)
            break; /* the engine waits for nothing the script will say */
        smtp_session_feed(&s, (const uint8_t *)sv.reply, sv.reply_len, 0);
        sv.reply_len = 0;
    }
    res->msg_bytes = msg.size;
    res->smtp_out = s.stats.bytes_out;
    res->smtp_in = s.stats.bytes_in;
    res->flights = s.stats.flights;
    rc = smtp_session_status(&s) == SMTP_SESSION_SUCCESS ? 0 : 1;
exit:
    for (unsigned i = 0; i < n; i++)
        if (readers[i].open)
            spool_page_close(&readers[i].pg);
    smtp_session_free(&s);
    mime_writer_free(&w);
    return rc;
}

static int bench_run(unsigned pages, int send, struct bench_result *res)
{
    static struct sim_scanner sc;
    static struct sim_storage ss;
    static struct scan_job job;
    struct hal_scanner scanner;
    struct hal_storage storage;
    struct hal_scan_params p = bench_params(pages, HAL_SCAN_COLOR);
    struct scan_job_cfg cfg = {0};
    char dir[] = "/tmp/bench_job.XXXXXX";
    uint8_t *band;
    size_t baseline;
    int rc;

    memset(res, 0, sizeof(*res));
    res->band_bytes = scan_job_band_buffer_size(&p, BENCH_BAND_LINES, 0);
    band = malloc(res->band_bytes);
    if (!band || !mkdtemp(dir) || sim_storage_init(&ss, dir) != 0)
        return 1;
    sim_scanner_init(&sc, NULL);
    sim_scanner_hal(&sc, &scanner);
    sim_storage_hal(&ss, &storage);
    cfg = (struct scan_job_cfg){.scanner = &scanner, .storage = &storage, .params = p,
                                .quality = 85, .band_lines = BENCH_BAND_LINES, .band_buf = band,
                                .band_buf_size = res->band_bytes, .prefix = "b-"};
    count_alloc_reset_peak();
    baseline = count_alloc_current(); /* the band buffer is counted apart */
    if (scan_job_init(&job, &cfg) != 0)
        return 1;
    while ((rc = scan_job_step(&job)) == SCAN_JOB_AGAIN)
        ;
    res->pages = scan_job_page_count(&job);
    for (unsigned i = 0; i < res->pages; i++)
        res->jpeg_bytes += scan_job_page(&job, i)->size;
    if (rc == SCAN_JOB_DONE && send)
        rc = bench_send(&job, &storage, res);
    res->heap_peak = count_alloc_peak() - baseline;
    res->alloc_calls = count_alloc_calls();
    for (unsigned i = 0; i < res->pages; i++)
        spool_page_remove(&storage, scan_job_page(&job, i)->name);
    scan_job_free(&job);
    sim_storage_free(&ss);
    rmdir(dir);
    free(band);
    return rc == 0 ? 0 : 1;
}

static void bench_print(const struct bench_result *r)
{
    printf("pages              %u\n", r->pages);
    printf("jpeg_bytes         %llu\n", (unsigned long long)r->jpeg_bytes);
    printf("message_bytes      %llu\n", (unsigned long long)r->msg_bytes);
    printf("smtp_bytes_out     %llu\n", (unsigned long long)r->smtp_out);
    printf("smtp_bytes_in      %llu\n", (unsigned long long)r->smtp_in);
    printf("client_flights     %u\n", r->flights);
    printf("heap_peak_bytes    %zu\n", r->heap_peak);
    printf("alloc_calls        %zu\n", r->alloc_calls);
    printf("band_buffer_bytes  %zu (static, the caller's)\n", r->band_bytes);
}

static int bench_budget(void)
{
    struct bench_result one, five;
    int fail = 0;

    if (bench_run(1, 1, &one) != 0 || bench_run(5, 1, &five) != 0) {
        printf("not ok - the benchmark job failed\n");
        return 1;
    }
    /* A zero count would mean the allocator is not interposed (libjpeg allocates). */
    if (one.alloc_calls > 0 && one.heap_peak > 0)
        printf("ok - the counting allocator sees libjpeg (%zu calls, %zu bytes)\n",
               one.alloc_calls, one.heap_peak);
    else
        printf("not ok - the counting allocator saw no allocation: not interposed?\n"), fail++;
    if (one.heap_peak <= BENCH_HEAP_BUDGET)
        printf("ok - heap peak of a 1-page job %zu <= budget %d bytes\n", one.heap_peak,
               BENCH_HEAP_BUDGET);
    else
        printf("not ok - heap peak of a 1-page job %zu > budget %d bytes\n", one.heap_peak,
               BENCH_HEAP_BUDGET), fail++;
    if (five.heap_peak <= one.heap_peak)
        printf("ok - heap peak does not grow with pages (1: %zu, 5: %zu%s)\n", one.heap_peak,
               five.heap_peak, five.heap_peak == one.heap_peak ? ", identical" : "");
    else
        printf("not ok - heap peak grows with pages (1: %zu, 5: %zu)\n", one.heap_peak,
               five.heap_peak), fail++;
    if (five.flights == one.flights)
        printf("ok - client flights do not grow with pages (%u)\n", one.flights);
    else
        printf("not ok - client flights grow with pages (1: %u, 5: %u)\n", one.flights,
               five.flights), fail++;
    printf("budget: %d passed, %d failed\n", 4 - fail, fail);
    return fail ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct bench_result r;
    unsigned pages = argc > 2 ? (unsigned)atoi(argv[2]) : 1;

    if (argc >= 3 && !strcmp(argv[1], "ppm"))
        return bench_ppm(argv[2], argc > 3 && !strcmp(argv[3], "grey") ? HAL_SCAN_GREY
                                                                          : HAL_SCAN_COLOR);
    if (argc >= 2 && !strcmp(argv[1], "budget"))
        return bench_budget();
    if (argc >= 3 && (!strcmp(argv[1], "encode") || !strcmp(argv[1], "job")) && pages >= 1 &&
        pages <= SCAN_JOB_MAX_PAGES) {
        int rc = bench_run(pages, !strcmp(argv[1], "job"), &r);
        bench_print(&r);
        return rc;
    }
    fprintf(stderr, "usage: bench_job ppm OUT [color|grey] | encode PAGES | job PAGES | budget\n");
    return 2;
}
