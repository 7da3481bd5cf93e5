/* Benchmark driver: the firmware's own pipeline in one process, with no
 * network stack: simulated scanner (test chart, or an image file) ->
 * scan_job (JPEG or CCITT G4 pages into the spool) -> PDF / TIFF / MTIFF
 * virtual files built as firmware/fw_job.c builds them -> MIME writer ->
 * sans-IO SMTP engine -> a scripted server that answers like Postfix.
 * Prints figures; never judges time.
 *
 *   bench_job ppm OUT [color|grey]        the test chart as PPM/PGM (for cjpeg)
 *   bench_job raster mixed|text|photo OUT a 300 dpi A4 colour PPM: the chart,
 *                                         its text only, or a synthetic photo
 *   bench_job encode PAGES [options]      scan and encode only
 *   bench_job job PAGES [options]         scan, encode, build files, MIME, SMTP
 *   bench_job budget                      asserts the heap budgets (exact)
 * options: --type jpeg|pdf|tiff|mtiff  --color color|grey|bw  --dpi N
 *          --input FILE (PNG/PNM, scanned as every page)  --out DIR (write the
 *          files there, after the measurement)
 *
 * Heap: counted by count_alloc.c from scan_job_init() to the end of the SMTP
 * session. The band buffer (the caller's, static in the firmware) and the
 * simulated scanner's own memory (the hardware's: sim_input's row buffers
 * and libpng) are set apart and reported separately or not at all. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "count_alloc.h"
#include "mime.h"
#include "packer.h"
#include "pdfw.h"
#include "scan_job.h"
#include "sim_scan_input.h"
#include "sim_scanner.h"
#include "sim_storage.h"
#include "smtp_session.h"
#include "spool.h"
#include "tiffw.h"

/* Lines per band: the firmware's (FW_JOB_BAND_LINES). */
#define BENCH_BAND_LINES 16
/* Pages of the "N pages" side of the budget's 1-versus-N checks: the issue's
 * 50 costs about 3 s per colour mode at 300 dpi (PDF, this host), which
 * make test affords. */
#define BENCH_BUDGET_PAGES 50
/* "The same for 1 page and N pages": within 1%. */
#define BENCH_SAME_PERMILLE 10

enum bench_type { BENCH_JPEG, BENCH_PDF, BENCH_TIFF, BENCH_MTIFF };
enum bench_color { BENCH_COLOR, BENCH_GREY, BENCH_BW };

struct bench_opts {
    unsigned pages;
    enum bench_type type;
    enum bench_color color;
    unsigned dpi;
    const char *input;   /* NULL: the simulator's test chart */
    const char *out_dir; /* NULL: files are not written out */
    int send;            /* 0: scan and encode only */
};

struct bench_result {
    unsigned pages, files;
    uint64_t page_bytes; /* spooled page blobs */
    uint64_t file_bytes; /* the files attached */
    uint32_t file_min, file_max;
    uint64_t msg_bytes, smtp_out, smtp_in;
    uint32_t flights;
    size_t heap_peak, alloc_calls, band_bytes;
};

/* One spooled page read through the spool (CRC checked on open). As in
 * fw_job.c, one page is open at a time: pages are read in order and the
 * storage has few handles. */
struct bench_page_reader {
    struct spool_page pg;
    const struct hal_storage *st;
    const char *name;
    int open;
};

/* One attached file: a page blob (JPEG), or a virtual PDF or TIFF. */
struct bench_file {
    char name[40];
    unsigned first_page, page_count;
    struct pdfw_doc doc;
    struct pdfw pdf;
    struct tiffw tiff;
};

/* Everything a job holds, static as in the firmware (fw_job_t is static). */
struct bench_job {
    struct sim_scanner chart;
    struct sim_input input;
    const char *input_paths[SCAN_JOB_MAX_PAGES];
    struct hal_scanner inner; /* the chart or the input files */
    struct sim_storage ss;
    struct hal_storage storage;
    struct scan_job scan;
    struct bench_page_reader readers[SCAN_JOB_MAX_PAGES];
    struct pdfw_page pdf_pages[SCAN_JOB_MAX_PAGES];
    struct tiffw_page tiff_pages[SCAN_JOB_MAX_PAGES];
    struct bench_file files[SCAN_JOB_MAX_PAGES];
    mime_attachment_t att[SCAN_JOB_MAX_PAGES];
    unsigned nfiles;
    mime_writer_t w;
    smtp_session_t s;
    uint8_t outbuf[4096];
};

/* A scripted gateway: answers each complete command line like Postfix. */
struct bench_server {
    char line[1024];
    size_t len;
    int in_data;
    char reply[1024];
    size_t reply_len;
};

static struct bench_job bj;

static struct hal_scan_params bench_params(const struct bench_opts *o)
{
    struct hal_scan_params p = {.dpi = o->dpi, .width_mm10 = 2100, .height_mm10 = 2970,
                                .color = o->color == BENCH_COLOR ? HAL_SCAN_COLOR : HAL_SCAN_GREY,
                                .pages = o->pages};
    return p;
}

/* The scanner as the job sees it: the simulator's backend, with its own
 * allocations (the hardware's) set apart from the firmware's count. */
static int bench_scanner_start(void *ctx, const struct hal_scan_params *p)
{
    int rc;
    count_alloc_set_apart(1);
    rc = hal_scanner_start(ctx, p);
    count_alloc_set_apart(0);
    return rc;
}

static int bench_scanner_next_page(void *ctx, struct hal_scan_page *page)
{
    int rc;
    count_alloc_set_apart(1);
    rc = hal_scanner_next_page(ctx, page);
    count_alloc_set_apart(0);
    return rc;
}

static int bench_scanner_read_band(void *ctx, uint8_t *buf, unsigned max_lines)
{
    int rc;
    count_alloc_set_apart(1);
    rc = hal_scanner_read_band(ctx, buf, max_lines);
    count_alloc_set_apart(0);
    return rc;
}

static void bench_scanner_stop(void *ctx)
{
    count_alloc_set_apart(1);
    hal_scanner_stop(ctx);
    count_alloc_set_apart(0);
}

static const struct hal_scanner_api bench_scanner_api = {
    bench_scanner_start, bench_scanner_next_page, bench_scanner_read_band, bench_scanner_stop};

/* Not inlined, so that callgrind can count the script apart from the engine. */
__attribute__((noinline)) static void bench_server_take(struct bench_server *sv,
                                                        const uint8_t *p, size_t n)
{
    static const char ehlo[] = "250-mail.example.test\r\n250-PIPELINING\r\n250-SIZE 1000000000\r\n"
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

static void bench_close_readers(void)
{
    for (unsigned i = 0; i < SCAN_JOB_MAX_PAGES; i++) {
        if (bj.readers[i].open) {
            spool_page_close(&bj.readers[i].pg);
            bj.readers[i].open = 0;
        }
    }
}

static long bench_page_read(void *arg, uint32_t off, uint8_t *buf, size_t cap)
{
    struct bench_page_reader *r = arg;
    long n;

    if (!r->open) {
        bench_close_readers();
        if (spool_page_open(&r->pg, r->st, r->name) != 0)
            return -1;
        r->open = 1;
    }
    n = spool_page_read(&r->pg, off, buf, cap);
    if (n >= 0 && off + (uint32_t)n >= spool_page_size(&r->pg)) {
        spool_page_close(&r->pg);
        r->open = 0;
    }
    return n;
}

static enum packer_type bench_packer_type(enum bench_type t)
{
    return t == BENCH_PDF ? PACKER_PDF : t == BENCH_TIFF ? PACKER_TIFF
         : t == BENCH_MTIFF ? PACKER_MTIFF : PACKER_JPEG;
}

/* The writers' view of every spooled page, as fw_job_describe_pages(). */
static void bench_describe_pages(void)
{
    for (unsigned i = 0; i < scan_job_page_count(&bj.scan); i++) {
        const struct scan_job_page *pg = scan_job_page(&bj.scan, i);
        struct bench_page_reader *rd = &bj.readers[i];
        int g4 = pg->kind == SCAN_PAGE_G4;

        *rd = (struct bench_page_reader){.st = &bj.storage, .name = pg->name};
        bj.pdf_pages[i] = (struct pdfw_page){
            .kind = g4 ? PDFW_PAGE_G4 : PDFW_PAGE_JPEG, .width = pg->width,
            .height = pg->height, .xdpi = pg->dpi, .ydpi = pg->dpi,
            .components = pg->components, .data_off = g4 ? pg->strip_off : 0,
            .data_len = g4 ? pg->strip_len : pg->size, .read = bench_page_read, .read_arg = rd};
        bj.tiff_pages[i] = (struct tiffw_page){
            .kind = g4 ? TIFFW_G4 : TIFFW_JPEG, .width = pg->width, .height = pg->height,
            .dpi = pg->dpi, .components = pg->components, .data_size = pg->size,
            .strip_off = g4 ? pg->strip_off : 0, .strip_len = g4 ? pg->strip_len : pg->size,
            .read = bench_page_read, .arg = rd};
    }
}

/* The files and their attachments, as fw_job_build() makes them with no
 * size limit: every page in one file for PDF and MTIFF, one file per page
 * for JPEG and TIFF. */
static int bench_build(enum bench_type type, struct bench_result *res)
{
    enum packer_type pt = bench_packer_type(type);
    unsigned pages = scan_job_page_count(&bj.scan);
    int one_file = type == BENCH_PDF || type == BENCH_MTIFF;

    bench_describe_pages();
    bj.nfiles = one_file ? 1 : pages;
    res->file_min = UINT32_MAX;
    for (unsigned f = 0; f < bj.nfiles; f++) {
        struct bench_file *file = &bj.files[f];
        mime_attachment_t *a = &bj.att[f];
        uint32_t size = 0;

        file->first_page = one_file ? 0 : f;
        file->page_count = one_file ? pages : 1;
        if (packer_file_name(file->name, sizeof(file->name), "scan", f, packer_ext(pt)) != 0)
            return 1;
        a->filename = mime_str(file->name);
        a->content_type = mime_str(packer_content_type(pt));
        if (type == BENCH_JPEG) {
            a->read = bench_page_read;
            a->arg = &bj.readers[file->first_page];
            size = scan_job_page(&bj.scan, file->first_page)->size;
        } else if (type == BENCH_PDF) {
            file->doc = (struct pdfw_doc){"scan", "MFP firmware (bench)", 1795447719,
                                          &bj.pdf_pages[file->first_page], file->page_count};
            if (pdfw_init(&file->pdf, &file->doc) == 0)
                size = pdfw_size(&file->pdf);
            a->read = pdfw_read;
            a->arg = &file->pdf;
        } else {
            if (tiffw_init(&file->tiff, &bj.tiff_pages[file->first_page], file->page_count,
                           &size) != 0)
                size = 0;
            a->read = tiffw_read;
            a->arg = &file->tiff;
        }
        if (size == 0)
            return 1;
        a->size = size;
        res->file_bytes += size;
        res->file_min = size < res->file_min ? size : res->file_min;
        res->file_max = size > res->file_max ? size : res->file_max;
    }
    res->files = bj.nfiles;
    return 0;
}

/* Sends every file as one e-mail through the engine and the script. */
static int bench_send(struct bench_result *res)
{
    static struct bench_server sv;
    mime_str_t to = mime_str("alice@example.test");
    mime_message_t m = {0};
    const char *rcpt = "alice@example.test";
    smtp_rcpt_result_t rr;
    smtp_message_result_t mr;
    smtp_message_t msg;
    smtp_config_t cfg = {0};
    const uint8_t *out;
    size_t len;
    int rc = 1;

    m.from_name = mime_str("MFP");
    m.from_addr = mime_str("mfp@example.test");
    m.to = &to;
    m.to_count = 1;
    m.subject = mime_str("Scanned document");
    m.text = mime_str("Scanned on the MFP.");
    m.date = 1795447719;
    m.message_id = mime_str("<bench.1@example.test>");
    m.attachments = bj.att;
    m.attachment_count = bj.nfiles;
    if (mime_writer_init(&bj.w, &m, NULL) != 0)
        return 1;
    msg = (smtp_message_t){.from = "mfp@example.test", .rcpts = &rcpt, .rcpt_count = 1,
                           .size = mime_writer_size(&bj.w), .read = bench_body_read,
                           .read_arg = &bj.w, .result = &mr, .rcpt_results = &rr};
    cfg.ehlo_domain = "[198.51.100.100]";
    cfg.messages = &msg;
    cfg.message_count = 1;
    memset(&sv, 0, sizeof(sv));
    if (smtp_session_init(&bj.s, &cfg, bj.outbuf, sizeof(bj.outbuf)) != 0 ||
        smtp_session_start(&bj.s, 0) != 0)
        goto exit;
    smtp_session_feed(&bj.s, (const uint8_t *)"220 mail.example.test ESMTP\r\n", 29, 0);
    while (!smtp_session_done(&bj.s)) {
        while ((out = smtp_session_output(&bj.s, &len)) && len > 0) {
            bench_server_take(&sv, out, len);
            smtp_session_sent(&bj.s, len);
        }
        if (sv.reply_len == 0)
            break; /* the engine waits for nothing the script will say */
        smtp_session_feed(&bj.s, (const uint8_t *)sv.reply, sv.reply_len, 0);
        sv.reply_len = 0;
    }
    res->msg_bytes = msg.size;
    res->smtp_out = bj.s.stats.bytes_out;
    res->smtp_in = bj.s.stats.bytes_in;
    res->flights = bj.s.stats.flights;
    rc = smtp_session_status(&bj.s) == SMTP_SESSION_SUCCESS ? 0 : 1;
exit:
    bench_close_readers();
    smtp_session_free(&bj.s);
    mime_writer_free(&bj.w);
    return rc;
}

/* Writes every file to dir through its read callback (as MIME reads it). */
static int bench_write_files(const char *dir)
{
    static uint8_t buf[8192];
    char path[512];
    int rc = 0;

    for (unsigned f = 0; f < bj.nfiles && rc == 0; f++) {
        const mime_attachment_t *a = &bj.att[f];
        FILE *fp;
        uint32_t off = 0;
        long n;

        snprintf(path, sizeof(path), "%s/%s", dir, bj.files[f].name);
        if (!(fp = fopen(path, "wb")))
            return 1;
        while (off < a->size && (n = a->read(a->arg, off, buf, sizeof(buf))) > 0) {
            fwrite(buf, 1, (size_t)n, fp);
            off += (uint32_t)n;
        }
        rc = fclose(fp) != 0 || off != a->size;
    }
    bench_close_readers();
    return rc;
}

static int bench_run(const struct bench_opts *o, struct bench_result *res)
{
    struct hal_scanner scanner = {&bench_scanner_api, &bj.inner};
    struct hal_scan_params p = bench_params(o);
    struct scan_job_cfg cfg;
    char dir[] = "/tmp/bench_job.XXXXXX";
    uint8_t *band = NULL;
    size_t baseline;
    int bw = o->color == BENCH_BW, rc = 1, step;

    memset(res, 0, sizeof(*res));
    memset(&bj, 0, sizeof(bj));
    res->band_bytes = scan_job_band_buffer_size(&p, BENCH_BAND_LINES, bw);
    if (!mkdtemp(dir))
        return 1;
    band = malloc(res->band_bytes);
    if (!band || sim_storage_init(&bj.ss, dir) != 0)
        goto exit;
    sim_storage_hal(&bj.ss, &bj.storage);
    if (o->input) {
        struct sim_input_cfg ic = {bj.input_paths, o->pages};
        for (unsigned i = 0; i < o->pages; i++)
            bj.input_paths[i] = o->input;
        if (sim_input_init(&bj.input, &ic) != 0)
            goto exit;
        sim_input_hal(&bj.input, &bj.inner);
    } else {
        sim_scanner_init(&bj.chart, NULL);
        sim_scanner_hal(&bj.chart, &bj.inner);
    }
    cfg = (struct scan_job_cfg){.scanner = &scanner, .storage = &bj.storage, .params = p,
                                .quality = 85, .band_lines = BENCH_BAND_LINES, .band_buf = band,
                                .band_buf_size = res->band_bytes, .prefix = "b-", .bilevel = bw};
    count_alloc_reset_peak();
    baseline = count_alloc_current(); /* the band buffer is counted apart */
    if (scan_job_init(&bj.scan, &cfg) != 0)
        goto exit;
    while ((step = scan_job_step(&bj.scan)) == SCAN_JOB_AGAIN)
        ;
    res->pages = scan_job_page_count(&bj.scan);
    for (unsigned i = 0; i < res->pages; i++)
        res->page_bytes += scan_job_page(&bj.scan, i)->size;
    if (step != SCAN_JOB_DONE || res->pages != o->pages) {
        fprintf(stderr, "bench: scan failed (%d, detail %d) %s\n", step,
                scan_job_error_detail(&bj.scan), o->input ? sim_input_error(&bj.input) : "");
        goto measured;
    }
    if (o->send && (bench_build(o->type, res) != 0 || bench_send(res) != 0))
        goto measured;
    rc = 0;
measured:
    res->heap_peak = count_alloc_peak() - baseline;
    res->alloc_calls = count_alloc_calls();
    if (rc == 0 && o->send && o->out_dir)
        rc = bench_write_files(o->out_dir);
exit:
    for (unsigned i = 0; i < scan_job_page_count(&bj.scan); i++)
        spool_page_remove(&bj.storage, scan_job_page(&bj.scan, i)->name);
    scan_job_free(&bj.scan);
    sim_input_free(&bj.input);
    sim_storage_free(&bj.ss);
    rmdir(dir);
    free(band);
    return rc;
}

static void bench_print(const struct bench_opts *o, const struct bench_result *r)
{
    static const char *const types[] = {"jpeg", "pdf", "tiff", "mtiff"};
    static const char *const colors[] = {"color", "grey", "bw"};

    printf("type               %s\n", types[o->type]);
    printf("color              %s\n", colors[o->color]);
    printf("dpi                %u\n", o->dpi);
    printf("pages              %u\n", r->pages);
    printf("page_bytes         %llu (spooled page blobs)\n", (unsigned long long)r->page_bytes);
    printf("files              %u\n", r->files);
    printf("file_bytes         %llu\n", (unsigned long long)r->file_bytes);
    if (r->files)
        printf("bytes_per_file     %llu (min %u, max %u)\n",
               (unsigned long long)(r->file_bytes / r->files), r->file_min, r->file_max);
    printf("message_bytes      %llu\n", (unsigned long long)r->msg_bytes);
    printf("smtp_bytes_out     %llu\n", (unsigned long long)r->smtp_out);
    printf("smtp_bytes_in      %llu\n", (unsigned long long)r->smtp_in);
    printf("client_flights     %u\n", r->flights);
    printf("heap_peak_bytes    %zu\n", r->heap_peak);
    printf("alloc_calls        %zu\n", r->alloc_calls);
    printf("band_buffer_bytes  %zu (static, the caller's)\n", r->band_bytes);
}

/* ---- rasters for make bench ------------------------------------------- */

/* sin(2 pi t) for any t, without libm: Bhaskara I's approximation (error
 * below 0.002), plenty for a smooth synthetic image. */
static double bench_sin(double t)
{
    double x, s = 1.0, pi = 3.14159265358979;

    t -= (double)(long)t;
    if (t < 0)
        t += 1.0;
    if (t >= 0.5) {
        t -= 0.5;
        s = -1.0;
    }
    x = t * 2.0 * pi; /* 0 .. pi */
    return s * 16.0 * x * (pi - x) / (5.0 * pi * pi - 4.0 * x * (pi - x));
}

static uint8_t bench_clamp(double v) { return v < 0 ? 0 : v > 255 ? 255 : (uint8_t)(v + 0.5); }

/* A synthetic photograph, deterministic: smooth colour fields, a horizon,
 * soft-edged discs (objects in and out of focus) and sensor grain. */
static void bench_photo_line(unsigned w, unsigned h, unsigned y, uint8_t *out)
{
    static const struct { double cx, cy, r, soft, rgb[3]; } disc[] = {
        {0.30, 0.35, 0.12, 0.010, {230, 190, 60}}, {0.70, 0.55, 0.20, 0.060, {40, 90, 160}},
        {0.55, 0.80, 0.09, 0.004, {200, 40, 50}},  {0.15, 0.75, 0.15, 0.030, {60, 150, 70}},
        {0.85, 0.20, 0.07, 0.002, {250, 250, 240}}};
    double fy = (double)y / h;
    uint32_t rnd = 2463534242u ^ (y * 2654435761u);

    for (unsigned x = 0; x < w; x++) {
        double fx = (double)x / w, c[3];
        c[0] = 120 + 70 * bench_sin(fx * 1.3 + fy * 0.7) + 35 * bench_sin(fy * 2.1 + 0.25);
        c[1] = 115 + 60 * bench_sin(fx * 0.9 - fy * 1.1 + 0.15) + 25 * bench_sin(fx * 3.3);
        c[2] = 110 + 80 * bench_sin(fx * 0.5 + fy * 1.7 + 0.5) + 10 * bench_sin(fx * 9 + fy * 7);
        if (fy > 0.62 + 0.05 * bench_sin(fx * 2.0)) { /* ground: darker, with texture */
            for (int k = 0; k < 3; k++)
                c[k] = c[k] * 0.6 + 20 * bench_sin(fx * 40 + fy * 13 + k * 0.1);
        }
        for (unsigned d = 0; d < sizeof(disc) / sizeof(disc[0]); d++) {
            double dx = fx - disc[d].cx, dy = (fy - disc[d].cy) * h / w, d2 = dx * dx + dy * dy;
            double r = disc[d].r, s = disc[d].soft, a;
            if (d2 >= (r + s) * (r + s))
                continue;
            a = d2 <= (r - s) * (r - s) ? 1.0 : ((r + s) * (r + s) - d2) / (4 * r * s);
            a = a > 1 ? 1 : a;
            for (int k = 0; k < 3; k++)
                c[k] = c[k] * (1 - a) + (disc[d].rgb[k] * (0.8 + 0.2 * bench_sin(fy * 5 + fx))) * a;
        }
        for (int k = 0; k < 3; k++) {
            rnd ^= rnd << 13, rnd ^= rnd >> 17, rnd ^= rnd << 5; /* xorshift32 */
            out[3 * x + k] = bench_clamp(c[k] + (double)(rnd % 13) - 6.0);
        }
    }
}

/* kind: 0 mixed (the chart), 1 text (the chart's text items only), 2 photo. */
static int bench_raster(const char *path, int kind)
{
    static struct sim_scanner_doc doc;
    struct hal_scan_page pg = {.width = scan_job_pixels(2100, 300),
                               .height = scan_job_pixels(2970, 300), .components = 3};
    FILE *f = fopen(path, "wb");
    uint8_t *line = malloc((size_t)pg.width * 3);
    unsigned n = 0;

    if (!f || !line)
        return 1;
    if (kind != 2) {
        sim_scanner_layout(&doc, &pg, 300);
        for (unsigned i = 0; i < doc.count; i++) {
            if (kind == 0 || doc.item[i].kind == SIM_ITEM_TEXT)
                doc.item[n++] = doc.item[i];
        }
        doc.count = n; /* text items keep pointing into doc's own pool */
    }
    fprintf(f, "P6\n%u %u\n255\n", pg.width, pg.height);
    for (unsigned y = 0; y < pg.height; y++) {
        if (kind == 2)
            bench_photo_line(pg.width, pg.height, y, line);
        else
            sim_scanner_draw_line(&doc, y, line);
        fwrite(line, 3, pg.width, f);
    }
    free(line);
    return fclose(f) == 0 ? 0 : 1;
}

static int bench_ppm(const char *path, enum hal_scan_color color)
{
    struct bench_opts o = {.pages = 1, .dpi = 300, .color = color == HAL_SCAN_GREY};
    struct sim_scanner s;
    struct hal_scanner hal;
    struct hal_scan_params p = bench_params(&o);
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

/* ---- budget ------------------------------------------------------------ */

static int bench_passed, bench_failed;

static void bench_check(int ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void bench_check(int ok, const char *fmt, ...)
{
    va_list ap;

    printf("%s - ", ok ? "ok" : "not ok");
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    ok ? bench_passed++ : bench_failed++;
}

/* Runs a PDF job; 0 or a failure already reported. */
static int bench_budget_run(unsigned pages, enum bench_color color, unsigned dpi,
                            struct bench_result *r)
{
    struct bench_opts o = {.pages = pages, .type = BENCH_PDF, .color = color, .dpi = dpi,
                           .send = 1};
    int rc = bench_run(&o, r);

    bench_check(rc == 0 && r->pages == pages && r->files == 1,
                "a %u dpi %s PDF job of %u page(s) runs (%u pages, %llu bytes)", dpi,
                color == BENCH_BW ? "black-and-white" : "colour", pages, r->pages,
                (unsigned long long)r->file_bytes);
    return rc;
}

/* Peak heap is the same for 1 page and N pages (within 1%) and under the
 * budget: the PDF is a virtual file, so pages cost spool, not RAM. */
static void bench_budget_mode(enum bench_color color, size_t budget_300, size_t budget_600,
                              const char *budget_name)
{
    const char *what = color == BENCH_BW ? "black-and-white (G4)" : "colour (JPEG)";
    struct bench_result one, many, hi;

    if (bench_budget_run(1, color, 300, &one) != 0 ||
        bench_budget_run(BENCH_BUDGET_PAGES, color, 300, &many) != 0)
        return;
    bench_check(many.heap_peak * 1000 <= one.heap_peak * (1000 + BENCH_SAME_PERMILLE) &&
                    one.heap_peak * 1000 <= many.heap_peak * (1000 + BENCH_SAME_PERMILLE),
                "%s 300 dpi PDF: heap peak 1 page %zu, %u pages %zu bytes (within 1%%)", what,
                one.heap_peak, BENCH_BUDGET_PAGES, many.heap_peak);
    bench_check(one.heap_peak <= budget_300 && many.heap_peak <= budget_300,
                "%s 300 dpi: heap peak %zu <= %s_300 %zu bytes", what,
                many.heap_peak > one.heap_peak ? many.heap_peak : one.heap_peak, budget_name,
                budget_300);
    bench_check(many.flights == one.flights, "%s: client flights do not grow with pages (%u, %u)",
                what, one.flights, many.flights);
    if (bench_budget_run(1, color, 600, &hi) != 0)
        return;
    bench_check(hi.heap_peak <= budget_600, "%s 600 dpi: heap peak %zu <= %s_600 %zu bytes", what,
                hi.heap_peak, budget_name, budget_600);
    printf("# %s heap peak: 300 dpi %zu bytes (+ band buffer %zu), 600 dpi %zu bytes "
           "(+ band buffer %zu), %zu / %zu allocation calls\n",
           what, one.heap_peak, one.band_bytes, hi.heap_peak, hi.band_bytes, one.alloc_calls,
           hi.alloc_calls);
}

static int bench_budget(void)
{
    struct bench_result r;
    struct bench_opts o = {.pages = 1, .type = BENCH_JPEG, .color = BENCH_COLOR, .dpi = 75};

    /* A zero count would mean the allocator is not interposed (libjpeg allocates). */
    bench_run(&o, &r);
    bench_check(r.alloc_calls > 0 && r.heap_peak > 0,
                "the counting allocator sees libjpeg (%zu calls, %zu bytes)", r.alloc_calls,
                r.heap_peak);
    bench_budget_mode(BENCH_COLOR, SCAN_HEAP_BUDGET_COLOR_300, SCAN_HEAP_BUDGET_COLOR_600,
                      "SCAN_HEAP_BUDGET_COLOR");
    bench_budget_mode(BENCH_BW, SCAN_HEAP_BUDGET_BW_300, SCAN_HEAP_BUDGET_BW_600,
                      "SCAN_HEAP_BUDGET_BW");
    printf("budget: %d passed, %d failed\n", bench_passed, bench_failed);
    return bench_failed ? 1 : 0;
}

/* ---- command line ------------------------------------------------------ */

static int bench_pick(const char *v, const char *const *names, int n)
{
    for (int i = 0; v && i < n; i++) {
        if (!strcmp(v, names[i]))
            return i;
    }
    return -1;
}

static int bench_parse(int argc, char **argv, struct bench_opts *o)
{
    static const char *const types[] = {"jpeg", "pdf", "tiff", "mtiff"};
    static const char *const colors[] = {"color", "grey", "bw", "gray"};
    int k;

    *o = (struct bench_opts){.pages = (unsigned)atoi(argv[2]), .dpi = 300,
                             .send = !strcmp(argv[1], "job")};
    if (o->pages < 1 || o->pages > SCAN_JOB_MAX_PAGES)
        return -1;
    for (int i = 3; i < argc; i += 2) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            return -1;
        if (!strcmp(argv[i], "--type") && (k = bench_pick(v, types, 4)) >= 0)
            o->type = (enum bench_type)k;
        else if (!strcmp(argv[i], "--color") && (k = bench_pick(v, colors, 4)) >= 0)
            o->color = (enum bench_color)(k == 3 ? BENCH_GREY : k);
        else if (!strcmp(argv[i], "--dpi") && atoi(v) >= 75 && atoi(v) <= 600)
            o->dpi = (unsigned)atoi(v);
        else if (!strcmp(argv[i], "--input"))
            o->input = v;
        else if (!strcmp(argv[i], "--out"))
            o->out_dir = v;
        else
            return -1;
    }
    /* As fw_job_validate(): a JPEG file cannot hold a black-and-white page. */
    return o->type == BENCH_JPEG && o->color == BENCH_BW ? -1 : 0;
}

int main(int argc, char **argv)
{
    static const char *const kinds[] = {"mixed", "text", "photo"};
    struct bench_opts o;
    struct bench_result r;
    int k;

    if (argc >= 3 && !strcmp(argv[1], "ppm"))
        return bench_ppm(argv[2], argc > 3 && !strcmp(argv[3], "grey") ? HAL_SCAN_GREY
                                                                          : HAL_SCAN_COLOR);
    if (argc == 4 && !strcmp(argv[1], "raster") && (k = bench_pick(argv[2], kinds, 3)) >= 0)
        return bench_raster(argv[3], k);
    if (argc >= 2 && !strcmp(argv[1], "budget"))
        return bench_budget();
    if (argc >= 3 && (!strcmp(argv[1], "encode") || !strcmp(argv[1], "job")) &&
        bench_parse(argc, argv, &o) == 0) {
        int rc = bench_run(&o, &r);
        bench_print(&o, &r);
        return rc;
    }
    fprintf(stderr, "usage: bench_job ppm OUT [color|grey] | raster mixed|text|photo OUT |\n"
                    "       encode|job PAGES [--type jpeg|pdf|tiff|mtiff] [--color color|grey|bw]\n"
                    "       [--dpi N] [--input FILE] [--out DIR] | budget\n");
    return 2;
}
