/* mfp-sim panel (sim_panel.h): the panel's state machine and renderer
 * driven by a script, headless, with PNG snapshots.
 *
 * FAKE SERVICES: the job, settings, address book, Test and Find gateways
 * behind the panel are simulator fakes in this file (sim_fake_*), not the
 * firmware's fw_job / fw_settings / address book. They only make the
 * panel's flows playable; the lead wires the real services in. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_display.h"
#include "sim_panel.h"
#include "ui_layout.h"
#include "ui_model.h"
#include "ui_render.h"

#define SIM_FAKE_BOOK_MAX 2048
#define SIM_TICK_MS 50

/* ---- FAKE services ---- */

typedef struct sim_fake {
    ui_ab_entry_t book[SIM_FAKE_BOOK_MAX];
    long count;
    /* settings */
    char gateway[254], user[128], from_addr[255], from_name[128], subject[256];
    int password_set;
    ui_setup_t setup;
    /* job */
    int job_running, job_cancel;
    uint32_t job_ms;
    char job_to[UI_FIELD_MAX + 1];
    int pending_test, pending_find;
} sim_fake_t;

static int sim_fake_start_job(void *ctx, const ui_job_t *job)
{
    sim_fake_t *f = ctx;

    f->job_running = 1;
    f->job_cancel = 0;
    f->job_ms = 0;
    snprintf(f->job_to, sizeof(f->job_to), "%s", job->to[0] ? job->to : job->cc);
    return 0;
}

static void sim_fake_cancel_job(void *ctx) { ((sim_fake_t *)ctx)->job_cancel = 1; }

static int sim_fake_starts(const char *s, const char *p, size_t n)
{
    return strlen(s) >= n && strncasecmp(s, p, n) == 0;
}

static int sim_fake_complete(void *ctx, const char *prefix, size_t len, ui_ab_entry_t *out)
{
    sim_fake_t *f = ctx;

    for (long i = 0; i < f->count; i++)
        if (sim_fake_starts(f->book[i].alias, prefix, len) || sim_fake_starts(f->book[i].addr, prefix, len)) {
            *out = f->book[i];
            return 1;
        }
    return 0;
}

static long sim_fake_ab_count(void *ctx, ui_book_t book)
{
    (void)book; /* "All" is the local book until the directory joins it */
    return ((sim_fake_t *)ctx)->count;
}

static int sim_fake_ab_get(void *ctx, ui_book_t book, uint32_t i, ui_ab_entry_t *out)
{
    sim_fake_t *f = ctx;

    (void)book;
    if ((long)i >= f->count)
        return -1;
    *out = f->book[i];
    return 0;
}

static int sim_fake_ab_add(void *ctx, const char *alias, const char *addr)
{
    sim_fake_t *f = ctx;

    if (f->count >= SIM_FAKE_BOOK_MAX)
        return -1;
    snprintf(f->book[f->count].alias, sizeof(f->book[0].alias), "%s", alias[0] ? alias : addr);
    snprintf(f->book[f->count].addr, sizeof(f->book[0].addr), "%s", addr);
    f->count++;
    return 0;
}

static int sim_fake_ab_delete(void *ctx, uint32_t i)
{
    sim_fake_t *f = ctx;

    if ((long)i >= f->count)
        return -1;
    memmove(&f->book[i], &f->book[i + 1], (size_t)(f->count - (long)i - 1) * sizeof(f->book[0]));
    f->count--;
    return 0;
}

static int sim_fake_sign_in(void *ctx, const char *user, const char *password, char *from, size_t size)
{
    (void)ctx;
    if (strcmp(user, "alice") != 0 || strcmp(password, "secret") != 0)
        return -1;
    snprintf(from, size, "alice@example.test");
    return 0;
}

static int sim_fake_load_setup(void *ctx, ui_setup_t *out)
{
    sim_fake_t *f = ctx;

    *out = f->setup;
    out->gateway = f->gateway;
    out->user = f->user;
    out->password = NULL;
    out->password_set = f->password_set;
    out->from_addr = f->from_addr;
    out->from_name = f->from_name;
    out->subject = f->subject;
    return 0;
}

static int sim_fake_save_setup(void *ctx, const ui_setup_t *in)
{
    sim_fake_t *f = ctx;

    f->setup = *in;
    snprintf(f->gateway, sizeof(f->gateway), "%s", in->gateway);
    snprintf(f->user, sizeof(f->user), "%s", in->user);
    snprintf(f->from_addr, sizeof(f->from_addr), "%s", in->from_addr);
    snprintf(f->from_name, sizeof(f->from_name), "%s", in->from_name);
    snprintf(f->subject, sizeof(f->subject), "%s", in->subject);
    if (in->password != NULL && in->password[0] != '\0')
        f->password_set = 1;
    return 0;
}

static int sim_fake_test(void *ctx, const ui_setup_t *s)
{
    (void)s;
    ((sim_fake_t *)ctx)->pending_test = 1;
    return 0;
}

static int sim_fake_find(void *ctx)
{
    ((sim_fake_t *)ctx)->pending_find = 1;
    return 0;
}

static const ui_services_api_t sim_fake_api = {
    sim_fake_start_job, sim_fake_cancel_job, sim_fake_complete, sim_fake_ab_count, sim_fake_ab_get,
    sim_fake_ab_add,    sim_fake_ab_delete,  sim_fake_sign_in,  sim_fake_load_setup, sim_fake_save_setup,
    sim_fake_test,      sim_fake_find,
};

static void sim_fake_init(sim_fake_t *f, long book)
{
    static const char *const seed[][2] = {
        {"Alice Martin", "alice@example.test"},   {"Bob Dupont", "bob@example.test"},
        {"Carol Nguyen", "carol@example.test"},   {"Accounts", "accounts@example.test"},
        {"Ольга Петрова", "olga@example.test"},   {"Zoë Ångström", "zoe@example.test"},
        {"Dmitri Ivanov", "dmitri@example.test"}, {"Front desk", "reception@example.test"},
        {"Eve Laurent", "eve@example.test"},      {"Frank Müller", "frank@example.test"},
    };

    memset(f, 0, sizeof(*f));
    for (size_t i = 0; i < sizeof(seed) / sizeof(seed[0]); i++)
        sim_fake_ab_add(f, seed[i][0], seed[i][1]);
    /* --book N: filler entries to measure autocomplete on a full book;
     * "zz" names sort after the seed so prefixes of the seed still match
     * early and an unmatched prefix scans them all. */
    for (long i = f->count; i < book && i < SIM_FAKE_BOOK_MAX; i++) {
        char alias[32], addr[64];

        snprintf(alias, sizeof(alias), "zz user %04ld", i);
        snprintf(addr, sizeof(addr), "zz.user%04ld@example.test", i);
        sim_fake_ab_add(f, alias, addr);
    }
    snprintf(f->gateway, sizeof(f->gateway), "mail.example.test");
    snprintf(f->from_addr, sizeof(f->from_addr), "scanner@example.test");
    snprintf(f->from_name, sizeof(f->from_name), "Enter your e-mail address");
    snprintf(f->subject, sizeof(f->subject), "Scanned document");
    f->setup.port = 25;
    f->setup.tls = UI_TLS_STARTTLS;
    f->setup.max_attachment = UI_MAXATT_5M;
}

/* Advances the fake job by one tick and reports what happened. */
static void sim_fake_tick(sim_fake_t *f, ui_t *ui)
{
    if (f->pending_test) {
        f->pending_test = 0;
        ui_dispatch(ui, &((ui_test_event_t){{UI_EV_TEST_RESULT}, 1, "Gateways OK (simulator fake)"}).base);
    }
    if (f->pending_find) {
        static const char *const hosts[] = {"mail.example.test", "smtp.example.test"};
        static const uint16_t ports[] = {25, 587};

        f->pending_find = 0;
        ui_dispatch(ui, &((ui_gateways_event_t){{UI_EV_GATEWAYS}, 2, hosts, ports}).base);
    }
    if (!f->job_running)
        return;
    f->job_ms += SIM_TICK_MS;
    if (f->job_cancel) {
        f->job_running = 0;
        ui_dispatch(ui, &((ui_result_event_t){{UI_EV_JOB_RESULT}, 0, NULL, "scanning (stopped at the panel)",
                                              NULL, "Nothing was sent. Start again when ready.", NULL})
                             .base);
    } else if (f->job_ms < 900) {
        ui_dispatch(ui, &((ui_progress_event_t){{UI_EV_JOB_PROGRESS}, UI_STAGE_SCANNING, 1 + f->job_ms / 300, 3,
                                                0, 0, 0, 0})
                             .base);
    } else if (f->job_ms < 1500) {
        uint64_t total = 180000, sent = (uint64_t)(f->job_ms - 900) * total / 600;

        ui_dispatch(ui, &((ui_progress_event_t){{UI_EV_JOB_PROGRESS}, UI_STAGE_SENDING, 3, 3, 1, 1, sent, total})
                             .base);
    } else {
        char summary[UI_TEXT_MAX + 1];

        f->job_running = 0;
        snprintf(summary, sizeof(summary), "3 pages, 1 e-mail to %.120s", f->job_to);
        ui_dispatch(ui, &((ui_result_event_t){{UI_EV_JOB_RESULT}, 1, summary, NULL, NULL, NULL, NULL}).base);
    }
}

/* ---- the script player ---- */

typedef struct sim_panel {
    sim_fake_t fake;
    ui_t ui;
    ui_render_t render;
    sim_display_t display;
    struct hal_display hal;
    uint16_t fb[UI_SCREEN_W * UI_SCREEN_H];
    uint16_t band[UI_SCREEN_W * 40];
    uint32_t now;
    uint64_t events;
} sim_panel_t;

static const char *const sim_screen_names[UI_SCR_COUNT] = {
    "home", "sign-in", "send", "keyboard", "addrbook", "options", "progress", "result", "admin", "setup"};

static int sim_panel_event(sim_panel_t *p, const ui_event_t *e)
{
    int rc = ui_dispatch(&p->ui, e);

    p->events++;
    if (ui_render_frame(&p->render, &p->ui.m) != 0)
        return -1;
    return rc == UI_ERR_BAD_ARG ? -1 : 0;
}

static int sim_panel_tap(sim_panel_t *p, int x, int y)
{
    ui_touch_event_t t = {{UI_EV_TOUCH_DOWN}, (int16_t)x, (int16_t)y};

    if (sim_panel_event(p, &t.base) != 0)
        return -1;
    t.base.type = UI_EV_TOUCH_UP;
    return sim_panel_event(p, &t.base);
}

static int sim_panel_line(sim_panel_t *p, char *line, const char *snapdir, int lineno)
{
    char *arg;
    size_t n = strlen(line);

    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    while (*line == ' ' || *line == '\t')
        line++;
    if (*line == '\0' || *line == '#')
        return 0;
    arg = strchr(line, ' ');
    if (arg != NULL)
        *arg++ = '\0';
    else
        arg = line + strlen(line);
    if (strcmp(line, "tap") == 0) {
        int x, y;

        if (sscanf(arg, "%d %d", &x, &y) != 2)
            goto bad;
        return sim_panel_tap(p, x, y);
    }
    if (strcmp(line, "press") == 0) {
        const ui_layout_t *l = &p->render.layout;

        for (size_t i = l->count; i-- > 0;)
            if (l->w[i].id != UI_ID_NONE && l->w[i].text != NULL && strcmp(l->w[i].text, arg) == 0)
                return sim_panel_tap(p, l->w[i].x + l->w[i].w / 2, l->w[i].y + l->w[i].h / 2);
        fprintf(stderr, "panel: line %d: no widget labelled \"%s\" on the %s screen\n", lineno, arg,
                sim_screen_names[p->ui.m.screen]);
        return -1;
    }
    if (strcmp(line, "type") == 0) {
        ui_text_event_t t = {{UI_EV_TEXT}, arg, strlen(arg)};

        return sim_panel_event(p, &t.base);
    }
    if (strcmp(line, "key") == 0) {
        static const struct {
            const char *name;
            ui_key_t key;
        } keys[] = {{"enter", UI_KEY_ENTER}, {"backspace", UI_KEY_BACKSPACE}, {"escape", UI_KEY_ESCAPE},
                    {"home", UI_KEY_HOME},   {"start", UI_KEY_START},         {"stop", UI_KEY_STOP},
                    {"reset", UI_KEY_RESET}};

        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
            if (strcmp(arg, keys[i].name) == 0)
                return sim_panel_event(p, &((ui_key_event_t){{UI_EV_KEY}, keys[i].key}).base);
        goto bad;
    }
    if (strcmp(line, "wait") == 0) {
        long ms = strtol(arg, NULL, 10);

        for (long t = 0; t < ms; t += SIM_TICK_MS) {
            p->now += SIM_TICK_MS;
            sim_fake_tick(&p->fake, &p->ui);
            if (sim_panel_event(p, &((ui_tick_event_t){{UI_EV_TICK}, p->now}).base) != 0)
                return -1;
        }
        return 0;
    }
    if (strcmp(line, "snap") == 0) {
        char path[4096];

        if (*arg == '\0' || strchr(arg, '/') != NULL)
            goto bad;
        snprintf(path, sizeof(path), "%s/%s", snapdir, arg);
        if (sim_display_write_png(&p->display, path) != 0) {
            fprintf(stderr, "panel: %s: %s\n", path, strerror(errno));
            return -1;
        }
        printf("snap %s (crc32 %08x)\n", path, (unsigned)sim_display_crc(&p->display));
        return 0;
    }
    if (strcmp(line, "expect") == 0) {
        if (strncmp(arg, "screen ", 7) == 0) {
            if (strcmp(arg + 7, sim_screen_names[p->ui.m.screen]) == 0)
                return 0;
            fprintf(stderr, "panel: line %d: expected screen %s, on %s\n", lineno, arg + 7,
                    sim_screen_names[p->ui.m.screen]);
            return -1;
        }
        if (strncmp(arg, "status ", 7) == 0) {
            if (strstr(p->ui.m.status, arg + 7) != NULL)
                return 0;
            fprintf(stderr, "panel: line %d: status is \"%s\"\n", lineno, p->ui.m.status);
            return -1;
        }
    }
bad:
    fprintf(stderr, "panel: line %d: cannot read \"%s %s\"\n", lineno, line, arg);
    return -1;
}

int sim_panel_main(int argc, char **argv)
{
    static const struct option opts[] = {{"headless", no_argument, NULL, 'H'}, {"script", required_argument, NULL, 's'},
                                         {"snap", required_argument, NULL, 'o'}, {"book", required_argument, NULL, 'b'},
                                         {"stats", no_argument, NULL, 'S'},     {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *script = NULL, *snapdir = ".";
    int headless = 0, stats = 0, c, rc = 1, lineno = 0;
    long book = 0;
    sim_panel_t *p = NULL;
    FILE *f = NULL;
    char line[4096];

    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'H': headless = 1; break;
        case 's': script = optarg; break;
        case 'o': snapdir = optarg; break;
        case 'b': book = strtol(optarg, NULL, 10); break;
        case 'S': stats = 1; break;
        case 'h':
            printf("usage: mfp-sim panel --headless --script FILE [--snap DIR] [--book N] [--stats]\n");
            return 0;
        default: return 2;
        }
    }
    if (!headless || script == NULL) {
        fprintf(stderr, "panel: this build has no window: use --headless --script FILE\n");
        return 2;
    }
    f = fopen(script, "r");
    if (f == NULL) {
        fprintf(stderr, "panel: %s: %s\n", script, strerror(errno));
        goto exit;
    }
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        goto exit;
    sim_fake_init(&p->fake, book);
    sim_display_init(&p->display, p->fb, UI_SCREEN_W, UI_SCREEN_H);
    p->hal.api = &sim_display_api;
    p->hal.ctx = &p->display;
    ui_init(&p->ui, &(ui_services_t){&sim_fake_api, &p->fake}, 0);
    if (ui_render_init(&p->render, &p->hal, p->band, sizeof(p->band) / sizeof(p->band[0])) != 0 ||
        ui_render_frame(&p->render, &p->ui.m) != 0)
        goto exit;
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        if (sim_panel_line(p, line, snapdir, lineno) != 0)
            goto exit;
    }
    if (stats)
        printf("panel: %d lines, %llu events, %u frames, %llu pixels drawn, ui_t %zu bytes, renderer %zu bytes\n",
               lineno, (unsigned long long)p->events, (unsigned)p->render.stats.frames,
               (unsigned long long)p->render.stats.pixels_total, sizeof(ui_t), sizeof(ui_render_t));
    rc = 0;
exit:
    if (f != NULL)
        fclose(f);
    if (p != NULL) {
        ui_free(&p->ui);
        free(p);
    }
    return rc;
}
