/*
 * Unit tests of the panel (ui/): the state machine driven by events, checked
 * on the model and on what the services were asked; the renderer checked
 * against reference PNGs (tests/ui/ref_*.png, compared exactly) and against
 * itself (drawing only dirty areas gives the same frame as a full redraw).
 *
 * UI_UPDATE_REFS=1 rewrites the reference PNGs instead of comparing (look
 * at them before committing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <png.h>

#include "sim_display.h"
#include "ui_font.h"
#include "ui_layout.h"
#include "ui_model.h"
#include "ui_render.h"

/* ---- recording services ---- */

typedef struct rec {
    int start_calls, cancel_calls, complete_calls, save_calls, test_calls, find_calls, add_calls;
    char to[UI_FIELD_MAX + 1], cc[UI_FIELD_MAX + 1], from[UI_ADDR_MAX + 1], subject[256], file[80];
    ui_options_t options;
    int deleted[8], deleted_count;
    ui_setup_t saved;
    char saved_password[64];
    int sign_in_required, from_locked;
    ui_ab_entry_t book[4];
    long book_count;
} rec_t;

static int rec_start(void *ctx, const ui_job_t *job)
{
    rec_t *r = ctx;

    r->start_calls++;
    snprintf(r->to, sizeof(r->to), "%s", job->to);
    snprintf(r->cc, sizeof(r->cc), "%s", job->cc);
    snprintf(r->from, sizeof(r->from), "%s", job->from);
    snprintf(r->subject, sizeof(r->subject), "%s", job->subject);
    snprintf(r->file, sizeof(r->file), "%s", job->file_name);
    r->options = job->options;
    return 0;
}

static void rec_cancel(void *ctx) { ((rec_t *)ctx)->cancel_calls++; }

static int rec_complete(void *ctx, const char *prefix, size_t len, ui_ab_entry_t *out)
{
    rec_t *r = ctx;

    r->complete_calls++;
    for (long i = 0; i < r->book_count; i++)
        if ((strlen(r->book[i].alias) >= len && strncasecmp(r->book[i].alias, prefix, len) == 0) ||
            (strlen(r->book[i].addr) >= len && strncasecmp(r->book[i].addr, prefix, len) == 0)) {
            *out = r->book[i];
            return 1;
        }
    return 0;
}

static long rec_count(void *ctx, ui_book_t b)
{
    (void)b;
    return ((rec_t *)ctx)->book_count;
}

static int rec_get(void *ctx, ui_book_t b, uint32_t i, ui_ab_entry_t *out)
{
    rec_t *r = ctx;

    (void)b;
    if ((long)i >= r->book_count)
        return -1;
    *out = r->book[i];
    return 0;
}

static int rec_add(void *ctx, const char *alias, const char *addr)
{
    rec_t *r = ctx;

    r->add_calls++;
    if (r->book_count >= 4)
        return -1;
    snprintf(r->book[r->book_count].alias, sizeof(r->book[0].alias), "%s", alias[0] ? alias : addr);
    snprintf(r->book[r->book_count].addr, sizeof(r->book[0].addr), "%s", addr);
    r->book_count++;
    return 0;
}

static int rec_delete(void *ctx, uint32_t i)
{
    rec_t *r = ctx;

    r->deleted[r->deleted_count++] = (int)i;
    memmove(&r->book[i], &r->book[i + 1], (size_t)(r->book_count - (long)i - 1) * sizeof(r->book[0]));
    r->book_count--;
    return 0;
}

static int rec_sign_in(void *ctx, const char *user, const char *pass, char *from, size_t size)
{
    (void)ctx;
    if (strcmp(user, "bob") != 0 || strcmp(pass, "pw") != 0)
        return -1;
    snprintf(from, size, "bob@example.test");
    return 0;
}

static int rec_load(void *ctx, ui_setup_t *s)
{
    rec_t *r = ctx;

    memset(s, 0, sizeof(*s));
    s->gateway = "mail.example.test";
    s->port = 25;
    s->user = "scanner";
    s->password_set = 1;
    s->from_addr = "scanner@example.test";
    s->from_name = r->from_locked ? "" : "Type your address";
    s->from_locked = r->from_locked;
    s->subject = "Scanned document";
    s->max_attachment = UI_MAXATT_5M;
    s->sign_in_required = r->sign_in_required;
    return 0;
}

static int rec_save(void *ctx, const ui_setup_t *s)
{
    rec_t *r = ctx;

    r->save_calls++;
    r->saved = *s;
    snprintf(r->saved_password, sizeof(r->saved_password), "%s", s->password ? s->password : "");
    r->saved.gateway = NULL; /* the panel's strings die with the call */
    return 0;
}

static int rec_test(void *ctx, const ui_setup_t *s)
{
    (void)s;
    ((rec_t *)ctx)->test_calls++;
    return 0;
}

static int rec_find(void *ctx)
{
    ((rec_t *)ctx)->find_calls++;
    return 0;
}

static const ui_services_api_t rec_api = {rec_start, rec_cancel, rec_complete, rec_count, rec_get, rec_add,
                                          rec_delete, rec_sign_in, rec_load, rec_save, rec_test, rec_find,
                                          NULL,       NULL,        NULL,     NULL};

typedef struct fx {
    rec_t rec;
    ui_t ui;
    ui_layout_t layout;
} fx_t;

static int setup(void **state)
{
    fx_t *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    strcpy(f->rec.book[0].alias, "Alice Martin");
    strcpy(f->rec.book[0].addr, "alice@example.test");
    strcpy(f->rec.book[1].alias, "Bob Dupont");
    strcpy(f->rec.book[1].addr, "bob@example.test");
    strcpy(f->rec.book[2].alias, "Ольга Петрова");
    strcpy(f->rec.book[2].addr, "olga@example.test");
    f->rec.book_count = 3;
    ui_init(&f->ui, &(ui_services_t){&rec_api, &f->rec}, 1000);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx_t *f = *state;

    ui_free(&f->ui);
    free(f);
    return 0;
}

/* ---- event helpers ---- */

static int press(fx_t *f, uint16_t id)
{
    /* Through the touch path: find the widget, tap its centre. */
    const ui_widget_t *w;
    ui_touch_event_t t;
    int rc;

    ui_layout_build(&f->layout, &f->ui.m);
    w = ui_layout_find(&f->layout, id);
    if (w == NULL)
        fail_msg("no widget 0x%x on screen %d", id, f->ui.m.screen);
    t = (ui_touch_event_t){{UI_EV_TOUCH_DOWN}, (int16_t)(w->x + w->w / 2), (int16_t)(w->y + w->h / 2)};
    rc = ui_dispatch(&f->ui, &t.base);
    assert_int_equal(rc, 0);
    t.base.type = UI_EV_TOUCH_UP;
    return ui_dispatch(&f->ui, &t.base);
}

static int type(fx_t *f, const char *s)
{
    return ui_dispatch(&f->ui, &((ui_text_event_t){{UI_EV_TEXT}, s, strlen(s)}).base);
}

static int key(fx_t *f, ui_key_t k) { return ui_dispatch(&f->ui, &((ui_key_event_t){{UI_EV_KEY}, k}).base); }

static void tick(fx_t *f, uint32_t now) { ui_dispatch(&f->ui, &((ui_tick_event_t){{UI_EV_TICK}, now}).base); }

/* Presses the on-screen key whose label is s. */
static int press_key(fx_t *f, const char *label)
{
    size_t n;
    const ui_kb_key_t *k = ui_kb_keys((ui_kb_mode_t)f->ui.m.kb.mode, &n);

    for (size_t i = 0; i < n; i++)
        if (k[i].label != NULL && strcmp(k[i].label, label) == 0)
            return press(f, (uint16_t)(UI_ID_KEY + i));
    fail_msg("no key %s", label);
    return -1;
}

static void open_send(fx_t *f)
{
    assert_int_equal(press(f, UI_ID_EMAIL), 0);
    assert_int_equal(f->ui.m.screen, UI_SCR_SEND);
}

/* ---- state machine ---- */

static void test_email_opens_send_with_default_subject_and_from_hint(void **state)
{
    fx_t *f = *state;

    assert_int_equal(f->ui.m.screen, UI_SCR_HOME);
    open_send(f);
    assert_string_equal(f->ui.m.field[UI_F_SUBJECT], "Scanned document");
    assert_string_equal(f->ui.m.field[UI_F_FROM], "");
    assert_true(f->ui.m.from_is_hint);
    assert_string_equal(f->ui.m.from_hint, "Type your address");
    assert_int_equal(f->ui.m.focus, UI_F_TO);
}

static void test_typing_shows_first_address_book_match_and_enter_accepts_it(void **state)
{
    fx_t *f = *state;

    open_send(f);
    assert_int_equal(press(f, UI_ID_FIELD + UI_F_TO), 0);
    assert_int_equal(f->ui.m.screen, UI_SCR_KEYBOARD);
    assert_int_equal(press_key(f, "b"), 0);
    assert_true(f->ui.m.kb.has_suggestion);
    assert_string_equal(f->ui.m.kb.suggestion.addr, "bob@example.test");
    assert_int_equal(key(f, UI_KEY_ENTER), 0);
    assert_string_equal(f->ui.m.kb.text, "bob@example.test; ");
    assert_false(f->ui.m.kb.has_suggestion);
    /* Case-insensitive, by alias. */
    assert_int_equal(type(f, "ALI"), 0);
    assert_string_equal(f->ui.m.kb.suggestion.addr, "alice@example.test");
    assert_int_equal(press(f, UI_ID_SUGGESTION), 0);
    assert_int_equal(press(f, UI_ID_OK), 0);
    assert_int_equal(f->ui.m.screen, UI_SCR_SEND);
    assert_string_equal(f->ui.m.field[UI_F_TO], "bob@example.test; alice@example.test");
}

static void test_autocomplete_matches_utf8_alias(void **state)
{
    fx_t *f = *state;

    open_send(f);
    press(f, UI_ID_FIELD + UI_F_CC);
    assert_int_equal(type(f, "Ольга"), 0);
    assert_true(f->ui.m.kb.has_suggestion);
    assert_string_equal(f->ui.m.kb.suggestion.addr, "olga@example.test");
}

static void test_no_match_removes_the_suggestion(void **state)
{
    fx_t *f = *state;

    open_send(f);
    press(f, UI_ID_FIELD + UI_F_TO);
    type(f, "a");
    assert_true(f->ui.m.kb.has_suggestion);
    type(f, "x");
    assert_false(f->ui.m.kb.has_suggestion);
    press_key(f, "\xE2\x86\x90"); /* backspace brings it back */
    assert_true(f->ui.m.kb.has_suggestion);
    ui_layout_build(&f->layout, &f->ui.m);
    assert_non_null(ui_layout_find(&f->layout, UI_ID_SUGGESTION));
}

static void test_enter_and_semicolon_separate_addresses(void **state)
{
    fx_t *f = *state;

    open_send(f);
    press(f, UI_ID_FIELD + UI_F_TO);
    type(f, "x@example.org");
    key(f, UI_KEY_ENTER);
    type(f, "y@example.org;z@example.org");
    assert_int_equal(press(f, UI_ID_OK), 0);
    assert_string_equal(f->ui.m.field[UI_F_TO], "x@example.org; y@example.org;z@example.org");
}

static void test_invalid_address_is_refused_with_the_reason_and_the_keyboard_stays(void **state)
{
    fx_t *f = *state;

    open_send(f);
    press(f, UI_ID_FIELD + UI_F_TO);
    type(f, "alice@example.test; bob@");
    assert_int_equal(press(f, UI_ID_OK), UI_ERR_INVALID);
    assert_int_equal(f->ui.m.screen, UI_SCR_KEYBOARD);
    assert_int_equal(f->ui.m.field_error, UI_F_TO);
    assert_int_equal(f->ui.m.status_kind, UI_STATUS_ERROR);
    assert_non_null(strstr(f->ui.m.status, "\"bob@\" is not an e-mail address"));
    assert_string_equal(f->ui.m.field[UI_F_TO], ""); /* nothing copied */
}

static void test_field_validation_reasons(void **state)
{
    char why[UI_TEXT_MAX + 1];

    (void)state;
    assert_int_equal(ui_validate_field(UI_F_PORT, "0", 1, why, sizeof(why)), UI_ERR_INVALID);
    assert_non_null(strstr(why, "1 to 65535"));
    assert_int_equal(ui_validate_field(UI_F_PORT, "70000", 5, why, sizeof(why)), UI_ERR_INVALID);
    assert_int_equal(ui_validate_field(UI_F_PORT, "587", 3, why, sizeof(why)), 0);
    assert_int_equal(ui_validate_field(UI_F_GATEWAY, "198.51.100.1", 12, why, sizeof(why)), 0);
    assert_int_equal(ui_validate_field(UI_F_GATEWAY, "198.51.100.300", 14, why, sizeof(why)), UI_ERR_INVALID);
    assert_int_equal(ui_validate_field(UI_F_GATEWAY, "mail.example.test", 17, why, sizeof(why)), 0);
    assert_int_equal(ui_validate_field(UI_F_GATEWAY, "-bad.example", 12, why, sizeof(why)), UI_ERR_INVALID);
    assert_int_equal(ui_validate_field(UI_F_FILE_NAME, "a/b", 3, why, sizeof(why)), UI_ERR_INVALID);
    assert_int_equal(ui_validate_field(UI_F_FILE_NAME, "Rechnung März", 14, why, sizeof(why)), 0);
    assert_int_equal(ui_validate_field(UI_F_SUBJECT, "a\r\nBcc: x", 9, why, sizeof(why)), UI_ERR_INVALID);
    assert_int_equal(ui_validate_field(UI_F_FROM, "a..b@example.test", 17, why, sizeof(why)), UI_ERR_INVALID);
    assert_int_equal(ui_validate_field(UI_F_FROM, "first.last+tag@example.test", 27, why, sizeof(why)), 0);
}

static void test_control_characters_are_not_typed(void **state)
{
    fx_t *f = *state;

    open_send(f);
    press(f, UI_ID_FIELD + UI_F_SUBJECT);
    assert_int_equal(type(f, "x\r\nBcc: evil@example.test"), UI_ERR_INVALID);
    assert_string_equal(f->ui.m.kb.text, "Scanned document");
    assert_int_equal(type(f, "\xC3\x28"), UI_ERR_INVALID); /* broken UTF-8 */
}

static void test_start_asks_the_job_manager_with_the_fields(void **state)
{
    fx_t *f = *state;

    open_send(f);
    press(f, UI_ID_FIELD + UI_F_TO);
    type(f, "carol@example.org");
    press(f, UI_ID_OK);
    press(f, UI_ID_MORE);
    assert_int_equal(f->ui.m.screen, UI_SCR_OPTIONS);
    press(f, UI_ID_DD + UI_DD_FILE_TYPE);
    assert_int_equal(f->ui.m.dropdown, UI_DD_FILE_TYPE);
    press(f, UI_ID_CHOICE + UI_FILE_TIFF);
    assert_int_equal(f->ui.m.dropdown, UI_DD_NONE);
    press(f, UI_ID_OK);
    assert_int_equal(press(f, UI_ID_START), 0);
    assert_int_equal(f->rec.start_calls, 1);
    assert_string_equal(f->rec.to, "carol@example.org");
    assert_string_equal(f->rec.from, "scanner@example.test"); /* the hint stands for the default */
    assert_string_equal(f->rec.subject, "Scanned document");
    assert_int_equal(f->rec.options.file_type, UI_FILE_TIFF);
    assert_int_equal(f->rec.options.resolution, UI_RES_300);
    assert_int_equal(f->ui.m.screen, UI_SCR_PROGRESS);
}

static void test_start_without_recipient_is_refused(void **state)
{
    fx_t *f = *state;

    open_send(f);
    assert_int_equal(key(f, UI_KEY_START), UI_ERR_INVALID);
    assert_int_equal(f->rec.start_calls, 0);
    assert_int_equal(f->ui.m.field_error, UI_F_TO);
    assert_non_null(strstr(f->ui.m.status, "at least one recipient"));
}

static void start_job(fx_t *f)
{
    open_send(f);
    press(f, UI_ID_FIELD + UI_F_TO);
    type(f, "carol@example.org");
    press(f, UI_ID_OK);
    assert_int_equal(press(f, UI_ID_START), 0);
}

static void test_stop_cancels_the_job_once_and_the_result_shows(void **state)
{
    fx_t *f = *state;

    start_job(f);
    ui_dispatch(&f->ui, &((ui_progress_event_t){{UI_EV_JOB_PROGRESS}, UI_STAGE_SCANNING, 2, 5, 0, 0, 0, 0}).base);
    assert_int_equal(f->ui.m.progress.page, 2);
    press(f, UI_ID_STOP);
    key(f, UI_KEY_STOP);
    assert_int_equal(f->rec.cancel_calls, 1);
    assert_true(f->ui.m.progress.stopping);
    ui_dispatch(&f->ui, &((ui_result_event_t){{UI_EV_JOB_RESULT}, 0, NULL, "scanning", NULL, "Start again", NULL}).base);
    assert_int_equal(f->ui.m.screen, UI_SCR_RESULT);
    assert_false(f->ui.m.result.ok);
    assert_string_equal(f->ui.m.result.next, "Start again");
}

static void test_failed_result_keeps_the_gateway_reply_and_rejected_recipients(void **state)
{
    fx_t *f = *state;

    start_job(f);
    ui_dispatch(&f->ui, &((ui_result_event_t){{UI_EV_JOB_RESULT}, 0, NULL, "sending (RCPT TO)",
                                              "550 5.1.1 <carol@example.org>: user unknown",
                                              "Check the address and send again", "carol@example.org"})
                             .base);
    assert_int_equal(f->ui.m.screen, UI_SCR_RESULT);
    assert_string_equal(f->ui.m.result.reply, "550 5.1.1 <carol@example.org>: user unknown");
    assert_string_equal(f->ui.m.result.rejected, "carol@example.org");
    assert_non_null(strstr(f->ui.m.warning, "550 5.1.1"));
    press(f, UI_ID_OK); /* not sent: back to the fields, kept */
    assert_int_equal(f->ui.m.screen, UI_SCR_SEND);
    assert_string_equal(f->ui.m.field[UI_F_TO], "carol@example.org");
    press(f, UI_ID_HOME);
    assert_int_equal(press(f, UI_ID_WARNING), 0);
    assert_int_equal(f->ui.m.dialog, UI_DLG_WARNING);
}

static void test_inactivity_timeout_returns_home_and_clears_the_job(void **state)
{
    fx_t *f = *state;

    open_send(f);
    press(f, UI_ID_FIELD + UI_F_TO);
    type(f, "carol@example.org");
    tick(f, 1000 + UI_INACTIVITY_MS - 1);
    assert_int_equal(f->ui.m.screen, UI_SCR_KEYBOARD);
    tick(f, 1000 + UI_INACTIVITY_MS);
    assert_int_equal(f->ui.m.screen, UI_SCR_HOME);
    assert_string_equal(f->ui.m.kb.text, "");
    for (int i = 0; i < UI_F_JOB_COUNT; i++)
        assert_string_equal(f->ui.m.field[i], "");
}

static void test_timeout_never_interrupts_a_running_job(void **state)
{
    fx_t *f = *state;

    start_job(f);
    tick(f, 1000 + 5 * UI_INACTIVITY_MS);
    assert_int_equal(f->ui.m.screen, UI_SCR_PROGRESS);
}

static void test_reset_clears_fields_and_options(void **state)
{
    fx_t *f = *state;

    open_send(f);
    press(f, UI_ID_FIELD + UI_F_TO);
    type(f, "carol@example.org");
    press(f, UI_ID_OK);
    f->ui.m.options.color = UI_COLOR_BW;
    key(f, UI_KEY_RESET);
    assert_int_equal(f->ui.m.screen, UI_SCR_HOME);
    assert_string_equal(f->ui.m.field[UI_F_TO], "");
    assert_int_equal(f->ui.m.options.color, UI_COLOR_COLOR);
}

static void test_locked_from_cannot_be_changed(void **state)
{
    fx_t *f = *state;

    f->rec.from_locked = 1;
    open_send(f);
    assert_string_equal(f->ui.m.field[UI_F_FROM], "scanner@example.test");
    assert_int_equal(press(f, UI_ID_FIELD + UI_F_FROM), 0); /* disabled: the tap hits nothing */
    assert_int_equal(f->ui.m.screen, UI_SCR_SEND);
    assert_int_equal(ui_dispatch(&f->ui, &((ui_press_event_t){{UI_EV_PRESS}, UI_ID_FIELD + UI_F_FROM}).base),
                     UI_ERR_INVALID);
    assert_int_equal(f->ui.m.screen, UI_SCR_SEND);
}

static void test_sign_in_is_asked_first_when_required(void **state)
{
    fx_t *f = *state;

    f->rec.sign_in_required = 1;
    press(f, UI_ID_EMAIL);
    assert_int_equal(f->ui.m.screen, UI_SCR_SIGN_IN);
    press(f, UI_ID_FIELD + UI_F_USER);
    type(f, "bob");
    press(f, UI_ID_OK);
    press(f, UI_ID_FIELD + UI_F_PASSWORD);
    type(f, "wrong");
    press(f, UI_ID_OK);
    assert_int_equal(press(f, UI_ID_SIGN_IN), UI_ERR_INVALID);
    assert_string_equal(f->ui.m.field[UI_F_PASSWORD], ""); /* wiped either way */
    press(f, UI_ID_FIELD + UI_F_PASSWORD);
    type(f, "pw");
    press(f, UI_ID_OK);
    assert_int_equal(press(f, UI_ID_SIGN_IN), 0);
    assert_int_equal(f->ui.m.screen, UI_SCR_SEND);
    assert_string_equal(f->ui.m.field[UI_F_FROM], "bob@example.test");
    assert_string_equal(f->ui.m.field[UI_F_PASSWORD], "");
}

static void test_address_book_adds_removes_and_deletes_after_confirmation(void **state)
{
    fx_t *f = *state;

    open_send(f);
    press(f, UI_ID_BOOK + UI_F_CC);
    assert_int_equal(f->ui.m.screen, UI_SCR_ADDRBOOK);
    assert_int_equal(f->ui.m.ab.count, 3);
    press(f, UI_ID_ROW + 0);
    press(f, UI_ID_ROW + 2);
    press(f, UI_ID_AB_ADD);
    assert_string_equal(f->ui.m.field[UI_F_CC], "alice@example.test; olga@example.test");
    press(f, UI_ID_ROW + 0);
    press(f, UI_ID_AB_ADD); /* no duplicates */
    assert_string_equal(f->ui.m.field[UI_F_CC], "alice@example.test; olga@example.test");
    press(f, UI_ID_ROW + 0);
    press(f, UI_ID_AB_REMOVE);
    assert_string_equal(f->ui.m.field[UI_F_CC], "olga@example.test");
    press(f, UI_ID_ROW + 1);
    press(f, UI_ID_AB_DELETE);
    assert_int_equal(f->ui.m.dialog, UI_DLG_DELETE);
    press(f, UI_ID_DLG_NO);
    assert_int_equal(f->rec.deleted_count, 0);
    press(f, UI_ID_AB_DELETE);
    press(f, UI_ID_DLG_YES);
    assert_int_equal(f->rec.deleted_count, 1);
    assert_int_equal(f->rec.deleted[0], 1);
    assert_int_equal(f->ui.m.ab.count, 2);
    press(f, UI_ID_OK);
    assert_int_equal(f->ui.m.screen, UI_SCR_SEND);
}

static void test_new_local_entry_asks_name_then_address(void **state)
{
    fx_t *f = *state;

    open_send(f);
    press(f, UI_ID_BOOK + UI_F_TO);
    press(f, UI_ID_AB_NEW);
    assert_int_equal(f->ui.m.kb.target, UI_F_AB_NAME);
    press(f, UI_ID_OK); /* empty name: the address will be the alias */
    assert_int_equal(f->ui.m.kb.target, UI_F_AB_ADDR);
    type(f, "dan@example.org");
    assert_int_equal(press(f, UI_ID_OK), 0);
    assert_int_equal(f->ui.m.screen, UI_SCR_ADDRBOOK);
    assert_int_equal(f->rec.add_calls, 1);
    assert_string_equal(f->rec.book[3].alias, "dan@example.org");
}

static void test_scroll_arrow_held_scrolls_fast(void **state)
{
    fx_t *f = *state;
    ui_touch_event_t t;
    const ui_widget_t *w;

    for (int i = 3; i < 4; i++)
        rec_add(&f->rec, "x", "x@example.org");
    f->rec.book_count = 4;
    open_send(f);
    press(f, UI_ID_BOOK + UI_F_TO);
    /* UI_AB_ROWS rows of 4 entries: at most one row to scroll. */
    ui_layout_build(&f->layout, &f->ui.m);
    w = ui_layout_find(&f->layout, UI_ID_AB_DOWN);
    t = (ui_touch_event_t){{UI_EV_TOUCH_DOWN}, (int16_t)(w->x + 5), (int16_t)(w->y + 5)};
    ui_dispatch(&f->ui, &t.base);
    tick(f, 1000 + UI_SCROLL_HOLD_MS + 10 * UI_SCROLL_REPEAT_MS);
    assert_int_equal(f->ui.m.ab.top, 0); /* 4 entries fit: nothing to scroll */
    t.base.type = UI_EV_TOUCH_UP;
    ui_dispatch(&f->ui, &t.base);
    assert_int_equal(f->ui.m.ab.hold, 0);
}

static void test_setup_never_shows_the_password_and_saves_valid_fields(void **state)
{
    fx_t *f = *state;

    press(f, UI_ID_ADMIN);
    press(f, UI_ID_EMAIL_SETUP);
    assert_int_equal(f->ui.m.screen, UI_SCR_SETUP);
    assert_string_equal(f->ui.m.field[UI_F_SMTP_PASS], "");
    assert_true(f->ui.m.setup.password_set);
    ui_layout_build(&f->layout, &f->ui.m);
    assert_string_equal(ui_layout_find(&f->layout, UI_ID_FIELD + UI_F_SMTP_PASS)->text, "(stored, not shown)");
    press(f, UI_ID_FIELD + UI_F_SMTP_PASS);
    type(f, "pw");
    ui_layout_build(&f->layout, &f->ui.m);
    assert_true(f->layout.w[4].flags & UI_WF_MASKED); /* the keyboard's text line */
    press(f, UI_ID_OK);
    press(f, UI_ID_FIELD + UI_F_PORT);
    type(f, "9");
    assert_int_equal(press(f, UI_ID_OK), 0);
    assert_string_equal(f->ui.m.field[UI_F_PORT], "259");
    press(f, UI_ID_CANCEL); /* leaving E-mail Setup wipes the typed password */
    assert_string_equal(f->ui.m.field[UI_F_SMTP_PASS], "");
}

static void test_setup_port_out_of_range_is_refused_and_find_gateways_fills_the_gateway(void **state)
{
    fx_t *f = *state;
    static const char *const hosts[] = {"mail.example.test", "smtp.example.test"};
    static const uint16_t ports[] = {25, 587};

    press(f, UI_ID_ADMIN);
    press(f, UI_ID_EMAIL_SETUP);
    press(f, UI_ID_FIELD + UI_F_PORT);
    assert_int_equal(type(f, "0000"), UI_ERR_INVALID); /* 6 digits: too long */
    key(f, UI_KEY_BACKSPACE);
    key(f, UI_KEY_BACKSPACE);
    type(f, "0");
    assert_int_equal(press(f, UI_ID_OK), UI_ERR_INVALID);
    assert_non_null(strstr(f->ui.m.status, "65535"));
    press(f, UI_ID_CANCEL);
    press(f, UI_ID_FIND);
    assert_int_equal(f->rec.find_calls, 1);
    ui_dispatch(&f->ui, &((ui_gateways_event_t){{UI_EV_GATEWAYS}, 2, hosts, ports}).base);
    assert_int_equal(f->ui.m.dialog, UI_DLG_GATEWAYS);
    press(f, UI_ID_ROW + 1);
    press(f, UI_ID_DLG_OK);
    assert_string_equal(f->ui.m.field[UI_F_GATEWAY], "smtp.example.test");
    assert_string_equal(f->ui.m.field[UI_F_PORT], "587");
    press(f, UI_ID_TEST);
    assert_int_equal(f->rec.test_calls, 1);
    ui_dispatch(&f->ui, &((ui_test_event_t){{UI_EV_TEST_RESULT}, 1, "Gateways OK"}).base);
    assert_string_equal(f->ui.m.status, "Gateways OK");
    press(f, UI_ID_FIELD + UI_F_SMTP_PASS);
    type(f, "s3cret");
    press(f, UI_ID_OK);
    press(f, UI_ID_OK);
    assert_int_equal(f->rec.save_calls, 1);
    assert_int_equal(f->rec.saved.port, 587);
    assert_string_equal(f->rec.saved_password, "s3cret");
    assert_string_equal(f->ui.m.field[UI_F_SMTP_PASS], ""); /* wiped after saving */
    assert_int_equal(f->ui.m.screen, UI_SCR_ADMIN);
}

static void test_help_dialog_is_modal(void **state)
{
    fx_t *f = *state;
    const ui_widget_t *w;

    press(f, UI_ID_HELP);
    assert_int_equal(f->ui.m.dialog, UI_DLG_HELP);
    ui_layout_build(&f->layout, &f->ui.m);
    w = ui_layout_find(&f->layout, UI_ID_EMAIL);
    assert_int_equal(ui_layout_hit(&f->layout, w->x + 5, w->y + 5), UI_ID_NONE);
    press(f, UI_ID_DLG_OK);
    assert_int_equal(f->ui.m.dialog, UI_DLG_NONE);
}

/* ---- text ---- */

static void test_utf8_decoder_replaces_malformed_input(void **state)
{
    uint32_t cp;

    (void)state;
    assert_int_equal(ui_utf8_decode("\xD0\x96", 2, &cp), 2);
    assert_int_equal(cp, 0x416);
    assert_int_equal(ui_utf8_decode("\xE2\x80\xA6", 3, &cp), 3);
    assert_int_equal(cp, 0x2026);
    assert_int_equal(ui_utf8_decode("\xC0\xAF", 2, &cp), 1); /* overlong '/' */
    assert_int_equal(cp, 0xFFFD);
    assert_int_equal(ui_utf8_decode("\xED\xA0\x80", 3, &cp), 1); /* surrogate */
    assert_int_equal(cp, 0xFFFD);
    assert_int_equal(ui_utf8_decode("\xE2\x80", 2, &cp), 1); /* truncated */
    assert_int_equal(cp, 0xFFFD);
    assert_int_equal(ui_utf8_decode("\x80", 1, &cp), 1);
    assert_int_equal(cp, 0xFFFD);
}

static void test_fonts_cover_latin1_cyrillic_and_fall_back_to_the_replacement(void **state)
{
    (void)state;
    for (int f = 0; f < UI_FONT_COUNT; f++) {
        const ui_font_t *font = &ui_font_table[f];
        const ui_glyph_t *rep = ui_font_glyph(font, 0xFFFD);

        assert_int_equal(rep->cp, 0xFFFD);
        assert_int_equal(ui_font_glyph(font, 0xE9)->cp, 0xE9);   /* é */
        assert_int_equal(ui_font_glyph(font, 0x44F)->cp, 0x44F); /* я */
        assert_int_equal(ui_font_glyph(font, 0x2026)->cp, 0x2026);
        assert_int_equal(ui_font_glyph(font, 0x25BC)->cp, 0x25BC);
        assert_ptr_equal(ui_font_glyph(font, 0x4E2D), rep); /* CJK: not baked */
        for (unsigned i = 1; i < font->count; i++)
            assert_true(font->glyph[i - 1].cp < font->glyph[i].cp);
    }
}

/* ---- layout ---- */

static void test_every_screen_fits_the_widget_table_and_the_screen(void **state)
{
    fx_t *f = *state;

    for (int s = 0; s < UI_SCR_COUNT; s++)
        for (int d = UI_DLG_NONE; d <= UI_DLG_GATEWAYS; d++)
            for (int kb = 0; kb < UI_KB_MODES; kb++) {
                f->ui.m.screen = (ui_screen_t)s;
                f->ui.m.dialog = (uint8_t)d;
                f->ui.m.kb.mode = (uint8_t)kb;
                f->ui.m.kb.has_suggestion = 1;
                f->ui.m.warning[0] = 'w';
                f->ui.m.setup.gw_count = UI_GATEWAYS_MAX;
                ui_layout_build(&f->layout, &f->ui.m);
                assert_true(f->layout.count < UI_WIDGETS_MAX);
                assert_true(f->layout.used < sizeof(f->layout.scratch));
                for (size_t i = 0; i < f->layout.count; i++) {
                    const ui_widget_t *w = &f->layout.w[i];

                    assert_true(w->x >= 0 && w->y >= 0 && w->x + w->w <= UI_SCREEN_W && w->y + w->h <= UI_SCREEN_H);
                }
            }
}

static void test_labels_fit_their_buttons(void **state)
{
    fx_t *f = *state;

    /* Every button's text fits without an ellipsis (icons apart). */
    for (int s = 0; s < UI_SCR_COUNT; s++) {
        f->ui.m.screen = (ui_screen_t)s;
        ui_layout_build(&f->layout, &f->ui.m);
        for (size_t i = 0; i < f->layout.count; i++) {
            const ui_widget_t *w = &f->layout.w[i];

            if ((w->kind == UI_W_BUTTON || w->kind == UI_W_KEY) && w->text != NULL && w->id != UI_ID_SUGGESTION &&
                ui_text_width(w->font, w->text, strlen(w->text)) > w->w - 12)
                fail_msg("\"%s\" does not fit its %d px button on screen %d", w->text, w->w, s);
        }
    }
}

/* ---- renderer ---- */

typedef struct rfx {
    fx_t *f;
    sim_display_t disp;
    struct hal_display hal;
    ui_render_t r;
    uint16_t fb[UI_SCREEN_W * UI_SCREEN_H];
    uint16_t band[UI_SCREEN_W * 24];
} rfx_t;

static rfx_t *rfx_new(fx_t *f)
{
    rfx_t *x = calloc(1, sizeof(*x));

    assert_non_null(x);
    x->f = f;
    sim_display_init(&x->disp, x->fb, UI_SCREEN_W, UI_SCREEN_H);
    x->hal = (struct hal_display){&sim_display_api, &x->disp};
    assert_int_equal(ui_render_init(&x->r, &x->hal, x->band, sizeof(x->band) / sizeof(x->band[0])), 0);
    assert_int_equal(ui_render_frame(&x->r, &f->ui.m), 0);
    return x;
}

/* Compares the framebuffer with tests/ui/NAME exactly (RGB565 expanded to
 * RGB888 as sim_display_write_png does). */
static void check_png(const sim_display_t *d, const char *name)
{
    char path[256], out[256];
    png_image img;
    uint8_t *ref;

    snprintf(path, sizeof(path), "tests/ui/%s", name);
    if (getenv("UI_UPDATE_REFS") != NULL) {
        assert_int_equal(sim_display_write_png(d, path), 0);
        return;
    }
    memset(&img, 0, sizeof(img));
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, path))
        fail_msg("cannot read the reference %s (run from the repository root)", path);
    img.format = PNG_FORMAT_RGB;
    assert_int_equal(img.width, UI_SCREEN_W);
    assert_int_equal(img.height, UI_SCREEN_H);
    ref = malloc(PNG_IMAGE_SIZE(img));
    assert_non_null(ref);
    assert_true(png_image_finish_read(&img, NULL, ref, 0, NULL));
    for (size_t i = 0; i < (size_t)UI_SCREEN_W * UI_SCREEN_H; i++) {
        uint16_t p = d->fb[i];
        unsigned r = p >> 11, g = (p >> 5) & 63u, b = p & 31u;

        if (ref[i * 3] != (uint8_t)(r << 3 | r >> 2) || ref[i * 3 + 1] != (uint8_t)(g << 2 | g >> 4) ||
            ref[i * 3 + 2] != (uint8_t)(b << 3 | b >> 2)) {
            snprintf(out, sizeof(out), "/tmp/actual_%s", name);
            sim_display_write_png(d, out);
            free(ref);
            fail_msg("%s differs at (%zu, %zu); this frame is in %s", path, i % UI_SCREEN_W, i / UI_SCREEN_W, out);
        }
    }
    free(ref);
}

static void test_home_and_send_screens_match_the_reference_pngs(void **state)
{
    fx_t *f = *state;
    rfx_t *x = rfx_new(f);

    check_png(&x->disp, "ref_home.png");
    open_send(f);
    press(f, UI_ID_FIELD + UI_F_TO);
    type(f, "al");
    assert_int_equal(ui_render_frame(&x->r, &f->ui.m), 0);
    check_png(&x->disp, "ref_keyboard.png");
    key(f, UI_KEY_ENTER);
    type(f, "Ünïcödé@example.test");
    press(f, UI_ID_CANCEL);
    press(f, UI_ID_FIELD + UI_F_TO);
    type(f, "olga@example.test; a.very.long.address.that.does.not.fit@subdomain.example.test");
    press(f, UI_ID_OK);
    press(f, UI_ID_FIELD + UI_F_SUBJECT);
    type(f, " \xD0\x9E\xD1\x82\xD1\x87\xD1\x91\xD1\x82 \xE2\x80\x94 Zoë");
    press(f, UI_ID_OK);
    assert_int_equal(ui_render_frame(&x->r, &f->ui.m), 0);
    check_png(&x->disp, "ref_send.png");
    free(x);
}

static void test_dirty_frames_equal_a_full_redraw_and_a_keystroke_redraws_little(void **state)
{
    fx_t *f = *state;
    rfx_t *x = rfx_new(f), *y;
    static const char *const keys[] = {"c", "a", "r", "o", "l", "@"};

    open_send(f);
    press(f, UI_ID_FIELD + UI_F_TO);
    assert_int_equal(ui_render_frame(&x->r, &f->ui.m), 0);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        press_key(f, keys[i]);
        assert_int_equal(ui_render_frame(&x->r, &f->ui.m), 0);
        /* A keystroke redraws the text line (and the suggestion), not the keyboard. */
        assert_true(x->r.stats.pixels < UI_SCREEN_W * UI_SCREEN_H / 4);
        print_message("keystroke '%s': %u pixels in %u areas\n", keys[i], x->r.stats.pixels, x->r.stats.areas);
    }
    y = rfx_new(f);
    assert_memory_equal(x->fb, y->fb, sizeof(x->fb));
    /* Nothing changed: nothing drawn. */
    assert_int_equal(ui_render_frame(&x->r, &f->ui.m), 0);
    assert_int_equal(x->r.stats.pixels, 0);
    free(x);
    free(y);
}

static void test_long_text_never_leaves_its_field(void **state)
{
    fx_t *f = *state;
    rfx_t *x;
    const ui_widget_t *w;

    open_send(f);
    for (int i = 0; i < 8; i++) {
        press(f, UI_ID_FIELD + UI_F_BCC);
        type(f, "; wwwwwwwwwwwwwwwwwwww@example.test");
        press(f, UI_ID_OK);
    }
    x = rfx_new(f);
    w = ui_layout_find(&x->r.layout, UI_ID_FIELD + UI_F_BCC);
    assert_non_null(w);
    /* The gap between the field and its book button is background. */
    for (int yy = w->y; yy < w->y + w->h; yy++)
        for (int xx = w->x + w->w; xx < w->x + w->w + 6; xx++)
            assert_int_equal(x->fb[yy * UI_SCREEN_W + xx], x->fb[(w->y - 3) * UI_SCREEN_W + xx]);
    free(x);
}

static void test_render_init_refuses_a_small_buffer(void **state)
{
    sim_display_t d;
    uint16_t *fb = calloc(UI_SCREEN_W * UI_SCREEN_H, sizeof(uint16_t));
    struct hal_display hal = {&sim_display_api, &d};
    ui_render_t *r = calloc(1, sizeof(*r));
    uint16_t band[16];

    (void)state;
    sim_display_init(&d, fb, UI_SCREEN_W, UI_SCREEN_H);
    assert_int_equal(ui_render_init(r, &hal, band, 16), UI_RENDER_ERR_BAD_ARG);
    free(r);
    free(fb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_email_opens_send_with_default_subject_and_from_hint, setup, teardown),
        cmocka_unit_test_setup_teardown(test_typing_shows_first_address_book_match_and_enter_accepts_it, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_autocomplete_matches_utf8_alias, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_match_removes_the_suggestion, setup, teardown),
        cmocka_unit_test_setup_teardown(test_enter_and_semicolon_separate_addresses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_address_is_refused_with_the_reason_and_the_keyboard_stays,
                                        setup, teardown),
        cmocka_unit_test(test_field_validation_reasons),
        cmocka_unit_test_setup_teardown(test_control_characters_are_not_typed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_asks_the_job_manager_with_the_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_without_recipient_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_cancels_the_job_once_and_the_result_shows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_result_keeps_the_gateway_reply_and_rejected_recipients, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_inactivity_timeout_returns_home_and_clears_the_job, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeout_never_interrupts_a_running_job, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_clears_fields_and_options, setup, teardown),
        cmocka_unit_test_setup_teardown(test_locked_from_cannot_be_changed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sign_in_is_asked_first_when_required, setup, teardown),
        cmocka_unit_test_setup_teardown(test_address_book_adds_removes_and_deletes_after_confirmation, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_new_local_entry_asks_name_then_address, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scroll_arrow_held_scrolls_fast, setup, teardown),
        cmocka_unit_test_setup_teardown(test_setup_never_shows_the_password_and_saves_valid_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_setup_port_out_of_range_is_refused_and_find_gateways_fills_the_gateway,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_help_dialog_is_modal, setup, teardown),
        cmocka_unit_test(test_utf8_decoder_replaces_malformed_input),
        cmocka_unit_test(test_fonts_cover_latin1_cyrillic_and_fall_back_to_the_replacement),
        cmocka_unit_test_setup_teardown(test_every_screen_fits_the_widget_table_and_the_screen, setup, teardown),
        cmocka_unit_test_setup_teardown(test_labels_fit_their_buttons, setup, teardown),
        cmocka_unit_test_setup_teardown(test_home_and_send_screens_match_the_reference_pngs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dirty_frames_equal_a_full_redraw_and_a_keystroke_redraws_little, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_long_text_never_leaves_its_field, setup, teardown),
        cmocka_unit_test(test_render_init_refuses_a_small_buffer),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
