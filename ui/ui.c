/* The panel's state machine: one function per screen state, a top state
 * for what every screen shares (Home, Stop, Reset, Help, drop-downs, the
 * inactivity timeout, job events). States change the model and call the
 * services; they never draw. */
#include <string.h>

#include "ui_font.h"
#include "ui_layout.h"
#include "ui_model.h"
#include "ui_str.h"

/* Recipients of one job, To + Cc + Bcc (the job manager's FW_JOB_RCPT_MAX). */
#ifndef UI_RCPT_MAX
#define UI_RCPT_MAX 32
#endif

typedef enum { UI_UNHANDLED = 0, UI_HANDLED, UI_REFUSED } ui_ret_t;
typedef ui_ret_t (*ui_state_fn)(ui_t *ui, const ui_event_t *e);

/* How a field is validated and edited. */
typedef enum {
    UI_FK_TEXT = 0,   /* header text: no control characters */
    UI_FK_BODY,       /* message: line feeds allowed */
    UI_FK_ADDR_LIST,  /* addresses separated by ';' */
    UI_FK_ADDR,       /* exactly one address */
    UI_FK_FILE,       /* attachment base name */
    UI_FK_HOST,       /* IPv4 address or FQDN */
    UI_FK_PORT,       /* 1..65535 */
    UI_FK_SECRET      /* password: anything but CR, LF, NUL; masked */
} ui_fkind_t;

static const struct {
    const char *label;
    uint16_t max;
    uint8_t kind;
} ui_fields[UI_F_COUNT] = {
    [UI_F_FROM] = {"From:", UI_ADDR_MAX, UI_FK_ADDR},
    [UI_F_TO] = {"To:", UI_FIELD_MAX, UI_FK_ADDR_LIST},
    [UI_F_CC] = {"Cc:", UI_FIELD_MAX, UI_FK_ADDR_LIST},
    [UI_F_BCC] = {"Bcc:", UI_FIELD_MAX, UI_FK_ADDR_LIST},
    [UI_F_SUBJECT] = {"Subject:", 255, UI_FK_TEXT},
    [UI_F_MESSAGE] = {"Message:", UI_FIELD_MAX, UI_FK_BODY},
    [UI_F_FILE_NAME] = {"File name:", 64, UI_FK_FILE},
    [UI_F_USER] = {"User name:", 127, UI_FK_TEXT},
    [UI_F_PASSWORD] = {"Password:", 127, UI_FK_SECRET},
    [UI_F_AB_NAME] = {"Name:", UI_ALIAS_MAX, UI_FK_TEXT},
    [UI_F_AB_ADDR] = {"Address:", UI_ADDR_MAX, UI_FK_ADDR},
    [UI_F_GATEWAY] = {"SMTP gateway:", 253, UI_FK_HOST},
    [UI_F_PORT] = {"Port:", 5, UI_FK_PORT},
    [UI_F_SMTP_USER] = {"SMTP user:", 127, UI_FK_TEXT},
    [UI_F_SMTP_PASS] = {"SMTP password:", 127, UI_FK_SECRET},
    [UI_F_DEF_FROM] = {"Default From:", UI_ADDR_MAX, UI_FK_ADDR},
    [UI_F_DEF_NAME] = {"Display name:", 127, UI_FK_TEXT},
    [UI_F_DEF_SUBJECT] = {"Default subject:", 255, UI_FK_TEXT},
    [UI_F_LDAP_SERVER] = {"LDAP server:", 253, UI_FK_HOST},
    [UI_F_LDAP_PORT] = {"Port:", 5, UI_FK_PORT},
    [UI_F_LDAP_BASE] = {"Base DN:", 255, UI_FK_TEXT},
    [UI_F_LDAP_BIND_DN] = {"Bind DN:", 255, UI_FK_TEXT},
    [UI_F_LDAP_BIND_PW] = {"Bind password:", 127, UI_FK_SECRET},
    [UI_F_LDAP_ATTRS] = {"Search attributes:", 255, UI_FK_TEXT},
    [UI_F_LDAP_NAME_ATTR] = {"Name attribute:", 63, UI_FK_TEXT},
    [UI_F_LDAP_MAIL_ATTR] = {"Mail attribute:", 63, UI_FK_TEXT},
    [UI_F_LDAP_MAX] = {"Maximum results:", 2, UI_FK_PORT},
    [UI_F_LDAP_TIMEOUT] = {"Timeout (s):", 3, UI_FK_PORT},
    [UI_F_AB_FILTER] = {"Search:", 64, UI_FK_TEXT},
};

static ui_ret_t ui_st_top(ui_t *ui, const ui_event_t *e);
static ui_ret_t ui_st_home(ui_t *ui, const ui_event_t *e);
static ui_ret_t ui_st_sign_in(ui_t *ui, const ui_event_t *e);
static ui_ret_t ui_st_send(ui_t *ui, const ui_event_t *e);
static ui_ret_t ui_st_keyboard(ui_t *ui, const ui_event_t *e);
static ui_ret_t ui_st_addrbook(ui_t *ui, const ui_event_t *e);
static ui_ret_t ui_st_options(ui_t *ui, const ui_event_t *e);
static ui_ret_t ui_st_progress(ui_t *ui, const ui_event_t *e);
static ui_ret_t ui_st_result(ui_t *ui, const ui_event_t *e);
static ui_ret_t ui_st_admin(ui_t *ui, const ui_event_t *e);
static ui_ret_t ui_st_setup(ui_t *ui, const ui_event_t *e);
static ui_ret_t ui_st_ldap(ui_t *ui, const ui_event_t *e);

static const ui_state_fn ui_states[UI_SCR_COUNT] = {
    [UI_SCR_HOME] = ui_st_home,         [UI_SCR_SIGN_IN] = ui_st_sign_in,
    [UI_SCR_SEND] = ui_st_send,         [UI_SCR_KEYBOARD] = ui_st_keyboard,
    [UI_SCR_ADDRBOOK] = ui_st_addrbook, [UI_SCR_OPTIONS] = ui_st_options,
    [UI_SCR_PROGRESS] = ui_st_progress, [UI_SCR_RESULT] = ui_st_result,
    [UI_SCR_ADMIN] = ui_st_admin,       [UI_SCR_SETUP] = ui_st_setup,
    [UI_SCR_LDAP] = ui_st_ldap,
};

static void ui_tran(ui_t *ui, ui_screen_t to);
static void ui_status(ui_t *ui, ui_status_kind_t kind, const char *a, const char *b);
static void ui_refuse(ui_t *ui, ui_field_t f, const char *why);
static void ui_clear_job(ui_t *ui);
static void ui_options_default(ui_options_t *o);
static void ui_wipe(void *p, size_t n);
static int ui_load_setup(ui_t *ui, ui_setup_t *s);
static void ui_kb_open(ui_t *ui, ui_field_t f, ui_screen_t back);
static ui_ret_t ui_kb_insert(ui_t *ui, const char *s, size_t n);
static void ui_kb_backspace(ui_t *ui);
static ui_ret_t ui_kb_enter(ui_t *ui);
static ui_ret_t ui_kb_ok(ui_t *ui);
static void ui_kb_suggest(ui_t *ui);
static int ui_kb_completes(const ui_t *ui);
static size_t ui_kb_token(const ui_t *ui);
static void ui_ab_open(ui_t *ui, ui_field_t target);
static void ui_ab_refresh(ui_t *ui);
static void ui_ab_filter(ui_t *ui);
static void ui_ab_scroll(ui_t *ui, long rows);
static ui_ret_t ui_ab_add(ui_t *ui);
static void ui_ab_remove(ui_t *ui);
static void ui_dropdown_set(ui_t *ui, ui_dropdown_t dd, unsigned v);
static ui_ret_t ui_start(ui_t *ui);
static void ui_stop(ui_t *ui);
static ui_ret_t ui_setup_save(ui_t *ui, int test_only);
static ui_ret_t ui_ldap_save(ui_t *ui, int test_only);
static ui_ret_t ui_signed_in(ui_t *ui, const char *from, const char *name, int lock);
static void ui_put_number(ui_t *ui, ui_field_t f, uint64_t v);
static uint32_t ui_number(const char *s);
static void ui_copy_field(ui_t *ui, ui_field_t f, const char *s);
static int ui_is_address(const char *s, size_t n);
static int ui_is_host(const char *s, size_t n);
static size_t ui_trim(const char **s, size_t n);
static void ui_copy_str(char *dst, size_t size, const char *s);
static void ui_clear_error(ui_model_t *m);
static ui_ret_t ui_check_fields(ui_t *ui, ui_field_t first, ui_field_t last);
static int ui_from_refused(ui_t *ui, ui_field_t f);
static void ui_wipe_secret(ui_t *ui, ui_field_t f);
static void ui_test_status(ui_t *ui, const ui_event_t *e, const char *ok, const char *failed);
static ui_ret_t ui_form_press(ui_t *ui, uint16_t id, ui_field_t first, ui_field_t last, ui_screen_t form,
                              ui_ret_t (*save)(ui_t *ui, int test_only));
static ui_ret_t ui_form_saved(ui_t *ui, ui_field_t secret, const char *what);

/* ------------------------------------------------------------------ API */

void ui_init(ui_t *ui, const ui_services_t *svc, uint32_t now_ms)
{
    memset(ui, 0, sizeof(*ui));
    ui->svc = *svc;
    ui->m.screen = UI_SCR_HOME;
    ui->m.prev = UI_SCR_HOME;
    ui->m.focus = UI_F_NONE;
    ui->m.field_error = UI_F_NONE;
    ui->m.now_ms = now_ms;
    ui->m.last_activity_ms = now_ms;
    ui_options_default(&ui->m.options);
    ui_states[UI_SCR_HOME](ui, &(ui_event_t){UI_EV_ENTRY});
}

void ui_free(ui_t *ui)
{
    ui_wipe(ui, sizeof(*ui));
}

const char *ui_field_label(ui_field_t f)
{
    return f < UI_F_COUNT ? ui_fields[f].label : "";
}

int ui_dispatch(ui_t *ui, const ui_event_t *e)
{
    ui_model_t *m = &ui->m;
    ui_ret_t r;

    if (e == NULL || e->type < UI_EV_PRESS)
        return UI_ERR_BAD_ARG;
    if (e->type == UI_EV_TOUCH_DOWN || e->type == UI_EV_TOUCH_UP || e->type == UI_EV_KEY ||
        e->type == UI_EV_TEXT)
        m->last_activity_ms = m->now_ms;
    if (e->type == UI_EV_TOUCH_DOWN || e->type == UI_EV_TOUCH_UP) {
        /* The layout is the one place that knows where widgets are; a tap
         * is a press of the widget under both finger down and finger up. */
        const ui_touch_event_t *t = (const ui_touch_event_t *)e;
        ui_layout_t l;
        uint16_t id;

        ui_layout_build(&l, m);
        id = ui_layout_hit(&l, t->x, t->y);
        if (e->type == UI_EV_TOUCH_DOWN) {
            ui->pressed = id;
            ui_states[m->screen](ui, e);
            return 0;
        }
        ui_states[m->screen](ui, e);
        if (id == UI_ID_NONE || id != ui->pressed) {
            ui->pressed = UI_ID_NONE;
            /* A tap beside an open drop-down closes it. */
            m->dropdown = UI_DD_NONE;
            return 0;
        }
        ui->pressed = UI_ID_NONE;
        return ui_dispatch(ui, &((ui_press_event_t){{UI_EV_PRESS}, id}).base);
    }
    if (e->type == UI_EV_PRESS) {
        uint16_t id = ((const ui_press_event_t *)e)->id;

        /* An error stays on the status line until the next action. */
        ui_clear_error(m);
        if (m->dropdown != UI_DD_NONE) {
            if (id >= UI_ID_CHOICE && id < UI_ID_CHOICE + 0x100)
                ui_dropdown_set(ui, (ui_dropdown_t)m->dropdown, id - UI_ID_CHOICE);
            m->dropdown = UI_DD_NONE;
            return 0;
        }
    }
    r = ui_states[m->screen](ui, e);
    if (r == UI_UNHANDLED)
        r = ui_st_top(ui, e);
    return r == UI_REFUSED ? UI_ERR_INVALID : 0;
}

/* ------------------------------------------------------------ top state */

static ui_ret_t ui_st_top(ui_t *ui, const ui_event_t *e)
{
    ui_model_t *m = &ui->m;

    switch (e->type) {
    case UI_EV_TICK:
        m->now_ms = ((const ui_tick_event_t *)e)->now_ms;
        /* Privacy on a shared device: an abandoned job is cleared. A
         * running job is not abandoned. */
        if (m->screen != UI_SCR_PROGRESS && (uint32_t)(m->now_ms - m->last_activity_ms) >= UI_INACTIVITY_MS &&
            (m->screen != UI_SCR_HOME || m->field[UI_F_TO][0] != '\0' || m->signed_in || m->prefilled)) {
            ui_clear_job(ui);
            ui_tran(ui, UI_SCR_HOME);
        }
        return UI_HANDLED;
    case UI_EV_KEY:
        switch (((const ui_key_event_t *)e)->key) {
        case UI_KEY_HOME:
            if (m->screen != UI_SCR_PROGRESS)
                ui_tran(ui, UI_SCR_HOME);
            return UI_HANDLED;
        case UI_KEY_STOP:
            ui_stop(ui);
            return UI_HANDLED;
        case UI_KEY_RESET:
            /* Reset clears the job's fields and options, not a running job. */
            if (m->progress.active)
                return UI_HANDLED;
            ui_clear_job(ui);
            ui_tran(ui, UI_SCR_HOME);
            return UI_HANDLED;
        default:
            return UI_HANDLED;
        }
    case UI_EV_PRESS: {
        uint16_t id = ((const ui_press_event_t *)e)->id;

        if (id == UI_ID_HOME && m->screen != UI_SCR_PROGRESS) {
            ui_tran(ui, UI_SCR_HOME);
        } else if (id == UI_ID_HELP) {
            m->dialog = UI_DLG_HELP;
        } else if (id == UI_ID_WARNING && m->warning[0] != '\0') {
            m->dialog = UI_DLG_WARNING;
        } else if (id == UI_ID_DLG_OK || id == UI_ID_DLG_NO) {
            m->dialog = UI_DLG_NONE;
        } else if (id > UI_ID_DD && id < UI_ID_DD + UI_DD_COUNT) {
            m->dropdown = (uint8_t)(id - UI_ID_DD);
        }
        return UI_HANDLED;
    }
    case UI_EV_JOB_PROGRESS: {
        const ui_progress_event_t *p = (const ui_progress_event_t *)e;

        m->progress.stage = (uint8_t)p->stage;
        m->progress.page = p->page;
        m->progress.pages = p->pages;
        m->progress.part = p->part;
        m->progress.parts = p->parts;
        m->progress.bytes = p->bytes;
        m->progress.total = p->total;
        return UI_HANDLED;
    }
    case UI_EV_JOB_RESULT: {
        const ui_result_event_t *r = (const ui_result_event_t *)e;

        m->progress.active = 0;
        m->result.ok = r->ok;
        ui_copy_str(m->result.summary, sizeof(m->result.summary), r->summary);
        ui_copy_str(m->result.stage, sizeof(m->result.stage), r->stage);
        ui_copy_str(m->result.reply, sizeof(m->result.reply), r->reply);
        ui_copy_str(m->result.next, sizeof(m->result.next), r->next);
        ui_copy_str(m->result.rejected, sizeof(m->result.rejected), r->rejected);
        if (!r->ok) {
            ui_sb_t sb;

            ui_sb_init(&sb, m->warning, sizeof(m->warning));
            ui_sb_put(&sb, m->progress.stopping ? "Job stopped" : "E-mail not sent: ");
            if (!m->progress.stopping)
                ui_sb_put(&sb, m->result.reply[0] ? m->result.reply : m->result.stage);
            ui_copy_str(m->warning_action, sizeof(m->warning_action), m->result.next);
        }
        if (m->screen == UI_SCR_PROGRESS)
            ui_tran(ui, UI_SCR_RESULT);
        return UI_HANDLED;
    }
    case UI_EV_WARNING: {
        const ui_warning_event_t *w = (const ui_warning_event_t *)e;

        ui_copy_str(m->warning, sizeof(m->warning), w->what);
        ui_copy_str(m->warning_action, sizeof(m->warning_action), w->action);
        return UI_HANDLED;
    }
    default:
        return UI_HANDLED;
    }
}

/* --------------------------------------------------------------- screens */

static ui_ret_t ui_st_home(ui_t *ui, const ui_event_t *e)
{
    ui_model_t *m = &ui->m;

    switch (e->type) {
    case UI_EV_ENTRY:
        m->focus = UI_F_NONE;
        if (m->status_kind != UI_STATUS_ERROR)
            ui_status(ui, UI_STATUS_INFO, m->progress.active ? "Sending in the background" : "Ready", NULL);
        return UI_HANDLED;
    case UI_EV_PRESS:
        switch (((const ui_press_event_t *)e)->id) {
        case UI_ID_EMAIL: {
            ui_setup_t s;

            if (m->progress.active) {
                ui_tran(ui, UI_SCR_PROGRESS);
                return UI_HANDLED;
            }
            ui_load_setup(ui, &s);
            ui_tran(ui, s.sign_in_required && !m->signed_in ? UI_SCR_SIGN_IN : UI_SCR_SEND);
            return UI_HANDLED;
        }
        case UI_ID_ADMIN:
            ui_tran(ui, UI_SCR_ADMIN);
            return UI_HANDLED;
        default:
            return UI_UNHANDLED;
        }
    default:
        return UI_UNHANDLED;
    }
}

static ui_ret_t ui_st_sign_in(ui_t *ui, const ui_event_t *e)
{
    ui_model_t *m = &ui->m;
    uint16_t id;

    switch (e->type) {
    case UI_EV_ENTRY:
        m->focus = UI_F_USER;
        if (m->prev != UI_SCR_KEYBOARD)
            ui_status(ui, UI_STATUS_INFO, "Sign in to send e-mail", NULL);
        return UI_HANDLED;
    case UI_EV_EXIT:
        ui_wipe_secret(ui, UI_F_PASSWORD);
        return UI_HANDLED;
    case UI_EV_PRESS:
        id = ((const ui_press_event_t *)e)->id;
        if (id == UI_ID_FIELD + UI_F_USER || id == UI_ID_FIELD + UI_F_PASSWORD) {
            ui_kb_open(ui, (ui_field_t)(id - UI_ID_FIELD), UI_SCR_SIGN_IN);
        } else if (id == UI_ID_SIGN_IN) {
            char from[UI_ADDR_MAX + 1] = "";
            int rc;

            if (m->signing_in)
                return UI_HANDLED; /* one sign-in at a time */
            rc = ui->svc.api->sign_in(ui->svc.ctx, m->field[UI_F_USER], m->field[UI_F_PASSWORD], from,
                                      sizeof(from));
            ui_wipe(m->field[UI_F_PASSWORD], sizeof(m->field[UI_F_PASSWORD]));
            if (rc == UI_SVC_PENDING) {
                /* The directory answers later; the panel stays live. */
                m->signing_in = 1;
                ui_status(ui, UI_STATUS_INFO, "Signing in...", NULL);
                return UI_HANDLED;
            }
            if (rc != 0) {
                ui_refuse(ui, UI_F_PASSWORD, "Sign-in refused: check the user name and the password");
                return UI_REFUSED;
            }
            return ui_signed_in(ui, from, NULL, 0);
        } else if (id == UI_ID_CANCEL) {
            ui_tran(ui, UI_SCR_HOME);
        } else {
            return UI_UNHANDLED;
        }
        return UI_HANDLED;
    case UI_EV_SIGN_IN: {
        const ui_sign_in_event_t *s = (const ui_sign_in_event_t *)e;

        if (!m->signing_in)
            return UI_HANDLED; /* cancelled meanwhile */
        m->signing_in = 0;
        if (!s->ok) {
            ui_refuse(ui, UI_F_PASSWORD, s->message ? s->message : "Sign-in refused");
            return UI_REFUSED;
        }
        return ui_signed_in(ui, s->from, s->name, s->lock_from);
    }
    default:
        return UI_UNHANDLED;
    }
}

static ui_ret_t ui_st_send(ui_t *ui, const ui_event_t *e)
{
    ui_model_t *m = &ui->m;
    uint16_t id;

    switch (e->type) {
    case UI_EV_ENTRY:
        if (!m->prefilled) {
            /* The administrator's defaults, once per job: a subject the
             * user cleared stays cleared. */
            ui_setup_t s;

            m->prefilled = 1;
            if (ui_load_setup(ui, &s) == 0) {
                if (!m->from_locked_user &&
                    (m->setup.from_locked || (m->field[UI_F_FROM][0] == '\0' && (s.from_name == NULL || s.from_name[0] == '\0'))))
                    ui_copy_field(ui, UI_F_FROM, s.from_addr);
                m->from_is_hint = m->field[UI_F_FROM][0] == '\0';
                if (m->field[UI_F_SUBJECT][0] == '\0')
                    ui_copy_field(ui, UI_F_SUBJECT, s.subject);
            }
        }
        if (m->focus >= UI_F_JOB_COUNT)
            m->focus = UI_F_TO;
        if (m->status_kind == UI_STATUS_INFO)
            ui_status(ui, UI_STATUS_INFO, "Fill in the fields and touch Start", NULL);
        return UI_HANDLED;
    case UI_EV_KEY:
        if (((const ui_key_event_t *)e)->key == UI_KEY_START)
            return ui_start(ui);
        return UI_UNHANDLED;
    case UI_EV_PRESS:
        id = ((const ui_press_event_t *)e)->id;
        if (id >= UI_ID_FIELD && id < UI_ID_FIELD + UI_F_JOB_COUNT) {
            ui_field_t f = (ui_field_t)(id - UI_ID_FIELD);

            m->focus = (uint8_t)f;
            if (ui_from_refused(ui, f))
                return UI_REFUSED;
            ui_kb_open(ui, f, UI_SCR_SEND);
        } else if (id >= UI_ID_BOOK + UI_F_FROM && id <= UI_ID_BOOK + UI_F_BCC) {
            ui_field_t f = (ui_field_t)(id - UI_ID_BOOK);

            if (ui_from_refused(ui, f))
                return UI_REFUSED;
            m->focus = (uint8_t)f;
            ui_ab_open(ui, f);
        } else if (id == UI_ID_MORE) {
            m->back = UI_SCR_SEND;
            ui_tran(ui, UI_SCR_OPTIONS);
        } else if (id == UI_ID_START) {
            return ui_start(ui);
        } else {
            return UI_UNHANDLED;
        }
        return UI_HANDLED;
    default:
        return UI_UNHANDLED;
    }
}

static ui_ret_t ui_st_keyboard(ui_t *ui, const ui_event_t *e)
{
    ui_model_t *m = &ui->m;

    switch (e->type) {
    case UI_EV_ENTRY:
        ui_kb_suggest(ui);
        ui_status(ui, UI_STATUS_INFO,
                  ui_fields[m->kb.target].kind == UI_FK_ADDR_LIST
                      ? "Separate addresses with ; or Enter. Enter accepts the suggestion."
                      : "Type, then touch OK",
                  NULL);
        return UI_HANDLED;
    case UI_EV_EXIT:
        ui_wipe(m->kb.text, sizeof(m->kb.text));
        m->kb.len = 0;
        m->kb.has_suggestion = 0;
        return UI_HANDLED;
    case UI_EV_TEXT: {
        const ui_text_event_t *t = (const ui_text_event_t *)e;

        return ui_kb_insert(ui, t->text, t->len);
    }
    case UI_EV_SUGGEST: {
        /* The merged list (local first) for a text: only if it is still the
         * one being typed; the first entry is what Enter accepts. */
        const ui_suggest_event_t *s = (const ui_suggest_event_t *)e;
        size_t t = ui_kb_token(ui);

        if (!ui_kb_completes(ui) || t == m->kb.len || s->prefix_len != (size_t)(m->kb.len - t) ||
            memcmp(s->prefix, m->kb.text + t, s->prefix_len) != 0)
            return UI_HANDLED;
        m->kb.has_suggestion = s->count > 0;
        if (s->count > 0)
            m->kb.suggestion = s->entry[0];
        if (s->notice != NULL)
            ui_status(ui, UI_STATUS_ERROR, s->notice, NULL);
        return UI_HANDLED;
    }
    case UI_EV_KEY:
        switch (((const ui_key_event_t *)e)->key) {
        case UI_KEY_ENTER:
            return ui_kb_enter(ui);
        case UI_KEY_BACKSPACE:
            ui_kb_backspace(ui);
            return UI_HANDLED;
        case UI_KEY_ESCAPE:
            ui_tran(ui, m->back);
            return UI_HANDLED;
        default:
            return UI_UNHANDLED;
        }
    case UI_EV_PRESS: {
        uint16_t id = ((const ui_press_event_t *)e)->id;
        size_t count;
        const ui_kb_key_t *keys = ui_kb_keys((ui_kb_mode_t)m->kb.mode, &count);

        if (id >= UI_ID_KEY && id < UI_ID_KEY + count) {
            const ui_kb_key_t *k = &keys[id - UI_ID_KEY];
            ui_ret_t r = UI_HANDLED;

            switch (k->action) {
            case UI_KA_INSERT:
                r = ui_kb_insert(ui, k->ins, strlen(k->ins));
                if (m->kb.mode == UI_KB_UPPER)
                    m->kb.mode = UI_KB_LOWER; /* shift is one-shot */
                break;
            case UI_KA_BACKSPACE:
                ui_kb_backspace(ui);
                break;
            case UI_KA_ENTER:
                r = ui_kb_enter(ui);
                break;
            case UI_KA_SHIFT:
                m->kb.mode = m->kb.mode == UI_KB_UPPER ? UI_KB_LOWER : UI_KB_UPPER;
                break;
            default:
                m->kb.mode = m->kb.mode == UI_KB_SYMBOLS ? UI_KB_LOWER : UI_KB_SYMBOLS;
                break;
            }
            return r;
        }
        if (id == UI_ID_SUGGESTION && m->kb.has_suggestion)
            return ui_kb_enter(ui);
        if (id == UI_ID_OK)
            return ui_kb_ok(ui);
        if (id == UI_ID_CANCEL) {
            ui_tran(ui, m->back);
            return UI_HANDLED;
        }
        return UI_UNHANDLED;
    }
    default:
        return UI_UNHANDLED;
    }
}

static ui_ret_t ui_st_addrbook(ui_t *ui, const ui_event_t *e)
{
    ui_model_t *m = &ui->m;

    switch (e->type) {
    case UI_EV_ENTRY:
        ui_ab_refresh(ui);
        if (m->status_kind == UI_STATUS_INFO)
            ui_status(ui, UI_STATUS_INFO, "Select names, then Add to or Remove from ", ui_fields[m->ab.target].label);
        return UI_HANDLED;
    case UI_EV_TOUCH_DOWN:
        /* Press and hold an arrow: one row now, then fast after a pause. */
        if (ui->pressed == UI_ID_AB_UP || ui->pressed == UI_ID_AB_DOWN) {
            m->ab.hold = ui->pressed == UI_ID_AB_UP ? -1 : 1;
            m->ab.hold_next_ms = m->now_ms + UI_SCROLL_HOLD_MS;
            ui_ab_scroll(ui, m->ab.hold);
        }
        return UI_HANDLED;
    case UI_EV_TOUCH_UP:
        m->ab.hold = 0;
        return UI_HANDLED;
    case UI_EV_SUGGEST:
        /* The directory answered the All search: the list grew. */
        if (m->ab.book == UI_BOOK_ALL) {
            ui_ab_refresh(ui);
            ui_status(ui, UI_STATUS_INFO, m->ab.count ? "Select names, then Add" : "No names found", NULL);
        }
        return UI_HANDLED;
    case UI_EV_TICK:
        m->now_ms = ((const ui_tick_event_t *)e)->now_ms;
        while (m->ab.hold != 0 && (int32_t)(m->now_ms - m->ab.hold_next_ms) >= 0) {
            ui_ab_scroll(ui, m->ab.hold);
            m->ab.hold_next_ms += UI_SCROLL_REPEAT_MS;
        }
        return UI_UNHANDLED; /* the top state still counts inactivity */
    case UI_EV_PRESS: {
        uint16_t id = ((const ui_press_event_t *)e)->id;

        if (id >= UI_ID_ROW && id < UI_ID_ROW + m->ab.row_count) {
            uint32_t idx = m->ab.top + (id - UI_ID_ROW);
            unsigned i;

            for (i = 0; i < m->ab.sel_count && m->ab.sel[i] != idx; i++)
                ;
            if (i < m->ab.sel_count) {
                m->ab.sel[i] = m->ab.sel[--m->ab.sel_count];
            } else if (m->ab.sel_count < UI_AB_SELECT_MAX) {
                m->ab.sel[m->ab.sel_count++] = idx;
            } else {
                ui_refuse(ui, UI_F_NONE, "Too many names selected: Add these first");
                return UI_REFUSED;
            }
            return UI_HANDLED;
        }
        switch (id) {
        case UI_ID_FIELD + UI_F_AB_FILTER:
            ui_kb_open(ui, UI_F_AB_FILTER, UI_SCR_ADDRBOOK);
            return UI_HANDLED;
        case UI_ID_AB_UP:
        case UI_ID_AB_DOWN:
            return UI_HANDLED; /* scrolled on TOUCH_DOWN */
        case UI_ID_AB_ADD:
            return ui_ab_add(ui);
        case UI_ID_AB_REMOVE:
            ui_ab_remove(ui);
            return UI_HANDLED;
        case UI_ID_AB_NEW:
            if (m->ab.book != UI_BOOK_LOCAL) {
                ui_refuse(ui, UI_F_NONE, "New names go to the Local address book: choose Local");
                return UI_REFUSED;
            }
            m->field[UI_F_AB_NAME][0] = '\0';
            m->field[UI_F_AB_ADDR][0] = '\0';
            ui_kb_open(ui, UI_F_AB_NAME, UI_SCR_ADDRBOOK);
            m->kb.chain = 1;
            return UI_HANDLED;
        case UI_ID_AB_DELETE:
            if (m->ab.book != UI_BOOK_LOCAL) {
                ui_refuse(ui, UI_F_NONE, "Only Local entries can be deleted: choose Local");
                return UI_REFUSED;
            }
            if (m->ab.sel_count == 0) {
                ui_refuse(ui, UI_F_NONE, "Select the addresses to delete first");
                return UI_REFUSED;
            }
            m->dialog = UI_DLG_DELETE;
            return UI_HANDLED;
        case UI_ID_DLG_YES: {
            unsigned n = m->ab.sel_count, failed = 0;

            /* Highest index first, so the indexes still to delete hold. */
            while (m->ab.sel_count > 0) {
                unsigned hi = 0;

                for (unsigned i = 1; i < m->ab.sel_count; i++)
                    if (m->ab.sel[i] > m->ab.sel[hi])
                        hi = i;
                if (ui->svc.api->ab_delete(ui->svc.ctx, m->ab.sel[hi]) != 0)
                    failed++;
                m->ab.sel[hi] = m->ab.sel[--m->ab.sel_count];
            }
            m->dialog = UI_DLG_NONE;
            ui_ab_refresh(ui);
            if (failed) {
                ui_refuse(ui, UI_F_NONE, "Some addresses could not be deleted (storage error)");
                return UI_REFUSED;
            }
            ui_status(ui, UI_STATUS_OK, n == 1 ? "1 address deleted" : "Addresses deleted", NULL);
            return UI_HANDLED;
        }
        case UI_ID_OK:
        case UI_ID_CANCEL:
            ui_tran(ui, m->back);
            return UI_HANDLED;
        default:
            return UI_UNHANDLED;
        }
    }
    default:
        return UI_UNHANDLED;
    }
}

static ui_ret_t ui_st_options(ui_t *ui, const ui_event_t *e)
{
    if (e->type == UI_EV_ENTRY) {
        ui_status(ui, UI_STATUS_INFO, "Options for this job", NULL);
        return UI_HANDLED;
    }
    if (e->type == UI_EV_PRESS && ((const ui_press_event_t *)e)->id == UI_ID_OK) {
        ui_tran(ui, ui->m.back);
        return UI_HANDLED;
    }
    return UI_UNHANDLED;
}

static ui_ret_t ui_st_progress(ui_t *ui, const ui_event_t *e)
{
    if (e->type == UI_EV_ENTRY) {
        ui_status(ui, UI_STATUS_INFO, ui->m.progress.stopping ? "Stopping..." : "Touch Stop to cancel", NULL);
        return UI_HANDLED;
    }
    if (e->type == UI_EV_PRESS && ((const ui_press_event_t *)e)->id == UI_ID_STOP) {
        ui_stop(ui);
        return UI_HANDLED;
    }
    return UI_UNHANDLED;
}

static ui_ret_t ui_st_result(ui_t *ui, const ui_event_t *e)
{
    ui_model_t *m = &ui->m;

    if (e->type == UI_EV_ENTRY) {
        if (m->result.ok)
            ui_status(ui, UI_STATUS_OK, "E-mail sent", NULL);
        else
            ui_status(ui, UI_STATUS_ERROR, "E-mail not sent", NULL);
        return UI_HANDLED;
    }
    if (e->type == UI_EV_PRESS && ((const ui_press_event_t *)e)->id == UI_ID_OK) {
        /* Sent: the job is done, its fields go. Not sent: back to the
         * fields, so the user can correct and start again. */
        int ok = m->result.ok;

        if (ok) {
            ui_clear_job(ui);
            m->warning[0] = '\0';
        }
        ui_tran(ui, ok ? UI_SCR_HOME : UI_SCR_SEND);
        return UI_HANDLED;
    }
    return UI_UNHANDLED;
}

static ui_ret_t ui_st_admin(ui_t *ui, const ui_event_t *e)
{
    if (e->type == UI_EV_ENTRY) {
        if (ui->m.status_kind == UI_STATUS_INFO)
            ui_status(ui, UI_STATUS_INFO, "Administration > Initial Setup", NULL);
        return UI_HANDLED;
    }
    if (e->type == UI_EV_PRESS) {
        uint16_t id = ((const ui_press_event_t *)e)->id;

        if (id == UI_ID_EMAIL_SETUP) {
            ui_tran(ui, UI_SCR_SETUP);
            return UI_HANDLED;
        }
        if (id == UI_ID_LDAP_SETUP) {
            ui_tran(ui, UI_SCR_LDAP);
            return UI_HANDLED;
        }
        if (id == UI_ID_CANCEL) {
            ui_tran(ui, UI_SCR_HOME);
            return UI_HANDLED;
        }
    }
    return UI_UNHANDLED;
}

static ui_ret_t ui_st_setup(ui_t *ui, const ui_event_t *e)
{
    ui_model_t *m = &ui->m;

    switch (e->type) {
    case UI_EV_ENTRY:
        if (m->prev == UI_SCR_ADMIN) {
            ui_setup_t s;

            ui_load_setup(ui, &s);
            ui_copy_field(ui, UI_F_GATEWAY, s.gateway);
            ui_put_number(ui, UI_F_PORT, s.port);
            ui_copy_field(ui, UI_F_SMTP_USER, s.user);
            m->field[UI_F_SMTP_PASS][0] = '\0';
            ui_copy_field(ui, UI_F_DEF_FROM, s.from_addr);
            ui_copy_field(ui, UI_F_DEF_NAME, s.from_name);
            ui_copy_field(ui, UI_F_DEF_SUBJECT, s.subject);
            m->setup.password_set = (uint8_t)(s.password_set != 0);
            m->setup.tls = s.tls < UI_TLS_COUNT ? s.tls : UI_TLS_STARTTLS;
            m->setup.max_attachment = s.max_attachment < UI_MAXATT_COUNT ? s.max_attachment : UI_MAXATT_NONE;
            m->setup.sign_in_required = (uint8_t)(s.sign_in_required != 0);
            ui_status(ui, UI_STATUS_INFO, "E-mail Setup: touch a field to change it", NULL);
        }
        return UI_HANDLED;
    case UI_EV_EXIT:
        ui_wipe_secret(ui, UI_F_SMTP_PASS);
        return UI_HANDLED;
    case UI_EV_TEST_RESULT:
        ui_test_status(ui, e, "Gateways OK", "Test failed");
        return UI_HANDLED;
    case UI_EV_GATEWAYS: {
        const ui_gateways_event_t *g = (const ui_gateways_event_t *)e;
        size_t n = g->count < UI_GATEWAYS_MAX ? g->count : UI_GATEWAYS_MAX;

        for (size_t i = 0; i < n; i++) {
            ui_copy_str(m->setup.gw[i], sizeof(m->setup.gw[i]), g->host[i]);
            m->setup.gw_port[i] = g->port[i];
        }
        m->setup.gw_count = (uint8_t)n;
        m->setup.gw_pick = 0;
        if (n == 0) {
            ui_refuse(ui, UI_F_GATEWAY, "No SMTP gateway found: enter its address");
            return UI_REFUSED;
        }
        ui_status(ui, UI_STATUS_INFO, "Pick a gateway, then OK", NULL);
        m->dialog = UI_DLG_GATEWAYS;
        return UI_HANDLED;
    }
    case UI_EV_PRESS: {
        uint16_t id = ((const ui_press_event_t *)e)->id;
        ui_ret_t r;

        if (m->dialog == UI_DLG_GATEWAYS) {
            if (id >= UI_ID_ROW && id < UI_ID_ROW + m->setup.gw_count) {
                m->setup.gw_pick = (uint8_t)(id - UI_ID_ROW);
            } else if (id == UI_ID_DLG_OK) {
                ui_copy_field(ui, UI_F_GATEWAY, m->setup.gw[m->setup.gw_pick]);
                ui_put_number(ui, UI_F_PORT, m->setup.gw_port[m->setup.gw_pick]);
                m->dialog = UI_DLG_NONE;
                ui_status(ui, UI_STATUS_INFO, "Gateway picked: touch OK to save", NULL);
            } else if (id == UI_ID_DLG_NO) {
                m->dialog = UI_DLG_NONE;
            }
            return UI_HANDLED;
        }
        r = ui_form_press(ui, id, UI_F_GATEWAY, UI_F_DEF_SUBJECT, UI_SCR_SETUP, ui_setup_save);
        if (r != UI_UNHANDLED)
            return r;
        if (id == UI_ID_LOCK_FROM) {
            m->setup.from_locked ^= 1u;
        } else if (id == UI_ID_REQUIRE_SIGN_IN) {
            m->setup.sign_in_required ^= 1u;
        } else if (id == UI_ID_FIND) {
            if (ui->svc.api->find_gateways(ui->svc.ctx) != 0) {
                ui_refuse(ui, UI_F_NONE, "Find gateways could not start (network down?)");
                return UI_REFUSED;
            }
            ui_status(ui, UI_STATUS_INFO, "Looking for gateways...", NULL);
        } else {
            return UI_UNHANDLED;
        }
        return UI_HANDLED;
    }
    default:
        return UI_UNHANDLED;
    }
}

static ui_ret_t ui_st_ldap(ui_t *ui, const ui_event_t *e)
{
    ui_model_t *m = &ui->m;

    switch (e->type) {
    case UI_EV_ENTRY:
        if (m->prev == UI_SCR_ADMIN) {
            ui_ldap_setup_t s;

            memset(&s, 0, sizeof(s));
            if (ui->svc.api->load_ldap == NULL || ui->svc.api->load_ldap(ui->svc.ctx, &s) != 0) {
                ui_refuse(ui, UI_F_NONE, "LDAP settings cannot be read");
                memset(&s, 0, sizeof(s));
            } else {
                ui_status(ui, UI_STATUS_INFO, "LDAP Setup: touch a field to change it", NULL);
            }
            ui_copy_field(ui, UI_F_LDAP_SERVER, s.server);
            if (s.port)
                ui_put_number(ui, UI_F_LDAP_PORT, s.port);
            else
                m->field[UI_F_LDAP_PORT][0] = '\0';
            ui_copy_field(ui, UI_F_LDAP_BASE, s.base_dn);
            ui_copy_field(ui, UI_F_LDAP_BIND_DN, s.bind_dn);
            m->field[UI_F_LDAP_BIND_PW][0] = '\0';
            ui_copy_field(ui, UI_F_LDAP_ATTRS, s.search_attrs);
            ui_copy_field(ui, UI_F_LDAP_NAME_ATTR, s.name_attr);
            ui_copy_field(ui, UI_F_LDAP_MAIL_ATTR, s.mail_attr);
            ui_put_number(ui, UI_F_LDAP_MAX, s.max_results);
            ui_put_number(ui, UI_F_LDAP_TIMEOUT, s.timeout_s);
            m->ldap.tls = s.tls < UI_LDAP_TLS_COUNT ? s.tls : UI_LDAP_TLS_STARTTLS;
            m->ldap.login = s.login < UI_LOGIN_COUNT ? s.login : UI_LOGIN_UID;
            m->ldap.use_ca = (uint8_t)(s.use_ca != 0);
            m->ldap.sign_in = (uint8_t)(s.sign_in != 0);
            m->ldap.lock_from = (uint8_t)(s.lock_from != 0);
            m->ldap.password_set = (uint8_t)(s.password_set != 0);
        }
        return UI_HANDLED;
    case UI_EV_EXIT:
        ui_wipe_secret(ui, UI_F_LDAP_BIND_PW);
        return UI_HANDLED;
    case UI_EV_TEST_RESULT:
        ui_test_status(ui, e, "LDAP OK", "LDAP Test failed");
        return UI_HANDLED;
    case UI_EV_PRESS: {
        uint16_t id = ((const ui_press_event_t *)e)->id;
        ui_ret_t r = ui_form_press(ui, id, UI_F_LDAP_SERVER, UI_F_LDAP_TIMEOUT, UI_SCR_LDAP, ui_ldap_save);

        if (r != UI_UNHANDLED)
            return r;
        if (id == UI_ID_LDAP_CA) {
            m->ldap.use_ca ^= 1u;
        } else if (id == UI_ID_LDAP_SIGN_IN) {
            m->ldap.sign_in ^= 1u;
        } else if (id == UI_ID_LDAP_LOCK_FROM) {
            m->ldap.lock_from ^= 1u;
        } else {
            return UI_UNHANDLED;
        }
        return UI_HANDLED;
    }
    default:
        return UI_UNHANDLED;
    }
}

/* ------------------------------------------------------------- helpers */

static void ui_tran(ui_t *ui, ui_screen_t to)
{
    ui_model_t *m = &ui->m;

    m->next = to;
    ui_states[m->screen](ui, &(ui_event_t){UI_EV_EXIT});
    m->prev = m->screen;
    m->screen = to;
    m->dropdown = UI_DD_NONE;
    m->dialog = UI_DLG_NONE;
    m->ab.hold = 0;
    ui_states[to](ui, &(ui_event_t){UI_EV_ENTRY});
}

static void ui_status(ui_t *ui, ui_status_kind_t kind, const char *a, const char *b)
{
    ui_sb_t sb;

    ui_sb_init(&sb, ui->m.status, sizeof(ui->m.status));
    ui_sb_put(&sb, a);
    ui_sb_put(&sb, b);
    ui->m.status_kind = (uint8_t)kind;
}

static void ui_refuse(ui_t *ui, ui_field_t f, const char *why)
{
    ui_status(ui, UI_STATUS_ERROR, why, NULL);
    ui->m.field_error = (uint8_t)f;
}

/* An error stays on the status line until the next action: this one. */
static void ui_clear_error(ui_model_t *m)
{
    if (m->status_kind != UI_STATUS_ERROR)
        return;
    m->status[0] = '\0';
    m->status_kind = UI_STATUS_INFO;
    m->field_error = UI_F_NONE;
}

/* Fields first..last as typed, checked before they leave the panel;
 * refuses at the first bad one. */
static ui_ret_t ui_check_fields(ui_t *ui, ui_field_t first, ui_field_t last)
{
    ui_model_t *m = &ui->m;
    char why[UI_TEXT_MAX + 1];

    for (unsigned f = first; f <= last; f++)
        if (ui_validate_field((ui_field_t)f, m->field[f], strlen(m->field[f]), why, sizeof(why)) != 0) {
            ui_refuse(ui, (ui_field_t)f, why);
            return UI_REFUSED;
        }
    return UI_HANDLED;
}

/* From, when the administrator or the signed-in user's directory entry
 * locks it, cannot be changed: typed or picked from the address book. */
static int ui_from_refused(ui_t *ui, ui_field_t f)
{
    if (f != UI_F_FROM || !(ui->m.setup.from_locked || ui->m.from_locked_user))
        return 0;
    ui_refuse(ui, f, "From: the administrator does not allow changing it");
    return 1;
}

/* A typed password lives while its form is open (the keyboard edits its
 * fields), and no longer: called on the form's EXIT. */
static void ui_wipe_secret(ui_t *ui, ui_field_t f)
{
    if (ui->m.next != UI_SCR_KEYBOARD)
        ui_wipe(ui->m.field[f], sizeof(ui->m.field[f]));
}

/* A setup form's Test answered: the service's message, else ok / failed. */
static void ui_test_status(ui_t *ui, const ui_event_t *e, const char *ok, const char *failed)
{
    const ui_test_event_t *t = (const ui_test_event_t *)e;

    ui_status(ui, t->ok ? UI_STATUS_OK : UI_STATUS_ERROR, t->message ? t->message : (t->ok ? ok : failed), NULL);
}

/* The buttons E-mail Setup and LDAP Setup share: a field in first..last
 * opens the keyboard (back to `form`), Test tries the settings, OK saves
 * them, Cancel goes back to Administration. UI_UNHANDLED for the rest. */
static ui_ret_t ui_form_press(ui_t *ui, uint16_t id, ui_field_t first, ui_field_t last, ui_screen_t form,
                              ui_ret_t (*save)(ui_t *ui, int test_only))
{
    if (id >= UI_ID_FIELD + first && id <= UI_ID_FIELD + last) {
        ui->m.focus = (uint8_t)(id - UI_ID_FIELD);
        ui_kb_open(ui, (ui_field_t)(id - UI_ID_FIELD), form);
        return UI_HANDLED;
    }
    if (id == UI_ID_TEST)
        return save(ui, 1);
    if (id == UI_ID_OK)
        return save(ui, 0);
    if (id == UI_ID_CANCEL) {
        ui_tran(ui, UI_SCR_ADMIN);
        return UI_HANDLED;
    }
    return UI_UNHANDLED;
}

/* A setup form saved: its password goes, back to Administration. */
static ui_ret_t ui_form_saved(ui_t *ui, ui_field_t secret, const char *what)
{
    ui_wipe(ui->m.field[secret], sizeof(ui->m.field[secret]));
    ui_status(ui, UI_STATUS_OK, what, NULL);
    ui_tran(ui, UI_SCR_ADMIN);
    return UI_HANDLED;
}

static void ui_wipe(void *p, size_t n)
{
    /* volatile: the compiler may not drop a wipe of memory about to die. */
    volatile unsigned char *v = p;

    while (n--)
        *v++ = 0;
}

static void ui_clear_job(ui_t *ui)
{
    ui_model_t *m = &ui->m;

    for (unsigned f = 0; f < UI_F_JOB_COUNT; f++)
        ui_wipe(m->field[f], sizeof(m->field[f]));
    ui_wipe(m->field[UI_F_USER], sizeof(m->field[UI_F_USER]));
    ui_wipe(m->field[UI_F_PASSWORD], sizeof(m->field[UI_F_PASSWORD]));
    ui_wipe(m->field[UI_F_AB_FILTER], sizeof(m->field[UI_F_AB_FILTER]));
    ui_wipe(&m->kb, sizeof(m->kb));
    ui_wipe(&m->ab, sizeof(m->ab));
    ui_options_default(&m->options);
    memset(&m->result, 0, sizeof(m->result));
    m->signed_in = 0;
    m->signing_in = 0;
    m->from_locked_user = 0;
    m->prefilled = 0;
    m->from_is_hint = 0;
    m->focus = UI_F_NONE;
    m->field_error = UI_F_NONE;
    m->status[0] = '\0';
    m->status_kind = UI_STATUS_INFO;
}

/* The job's defaults: PDF, colour, 300 dpi, A4, 1-sided, high quality. */
static void ui_options_default(ui_options_t *o)
{
    memset(o, 0, sizeof(*o));
    o->file_type = UI_FILE_PDF;
    o->color = UI_COLOR_COLOR;
    o->resolution = UI_RES_300;
    o->size = UI_SIZE_A4;
    o->sides = UI_SIDES_1;
    o->quality = UI_QUALITY_HIGH;
}

static void ui_copy_field(ui_t *ui, ui_field_t f, const char *s)
{
    ui_copy_str(ui->m.field[f], (size_t)ui_fields[f].max + 1, s);
}

/* The services' strings may be NULL: that is "". */
static void ui_copy_str(char *dst, size_t size, const char *s)
{
    ui_strlcpy(dst, size, s ? s : "", s ? strlen(s) : 0);
}

static int ui_load_setup(ui_t *ui, ui_setup_t *s)
{
    int rc;

    memset(s, 0, sizeof(*s));
    rc = ui->svc.api->load_setup(ui->svc.ctx, s);
    if (rc != 0) {
        memset(s, 0, sizeof(*s));
        return rc;
    }
    ui->m.setup.from_locked = (uint8_t)(s->from_locked != 0);
    ui->m.setup.sign_in_required = (uint8_t)(s->sign_in_required != 0);
    ui_copy_str(ui->m.from_hint, sizeof(ui->m.from_hint), s->from_name);
    return 0;
}

/* ---- keyboard ---- */

static void ui_kb_open(ui_t *ui, ui_field_t f, ui_screen_t back)
{
    ui_model_t *m = &ui->m;
    size_t n = strlen(m->field[f]);

    m->kb.target = (uint8_t)f;
    m->kb.mode = UI_KB_LOWER;
    m->kb.chain = 0;
    memcpy(m->kb.text, m->field[f], n + 1);
    m->kb.len = (uint16_t)n;
    m->back = back;
    ui_tran(ui, UI_SCR_KEYBOARD);
}

static ui_ret_t ui_kb_insert(ui_t *ui, const char *s, size_t n)
{
    ui_model_t *m = &ui->m;
    size_t max = ui_fields[m->kb.target].max;

    /* Typed text must be valid UTF-8 without control characters: what goes
     * into a header can never carry CR, LF or NUL. */
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        unsigned used = ui_utf8_decode(s + i, n - i, &cp);

        if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) ||
            (cp == 0xFFFD && !(used == 3 && (unsigned char)s[i] == 0xEF))) {
            ui_refuse(ui, (ui_field_t)m->kb.target, "Control characters and broken text are not allowed");
            return UI_REFUSED;
        }
        i += used;
    }
    if (m->kb.len + n > max) {
        ui_sb_t sb;
        char why[UI_TEXT_MAX + 1];

        ui_sb_init(&sb, why, sizeof(why));
        ui_sb_put(&sb, ui_fields[m->kb.target].label);
        ui_sb_put(&sb, " at most ");
        ui_sb_put_u64(&sb, max);
        ui_sb_put(&sb, " characters");
        ui_refuse(ui, (ui_field_t)m->kb.target, why);
        return UI_REFUSED;
    }
    memcpy(m->kb.text + m->kb.len, s, n);
    m->kb.len = (uint16_t)(m->kb.len + n);
    m->kb.text[m->kb.len] = '\0';
    ui_clear_error(m);
    ui_kb_suggest(ui);
    return UI_HANDLED;
}

static void ui_kb_backspace(ui_t *ui)
{
    ui_model_t *m = &ui->m;

    /* Remove a whole UTF-8 character. */
    while (m->kb.len > 0 && ((unsigned char)m->kb.text[--m->kb.len] & 0xC0u) == 0x80u)
        ;
    m->kb.text[m->kb.len] = '\0';
    ui_kb_suggest(ui);
}

/* Start of the address being typed: after the last ';' and its spaces. */
static size_t ui_kb_token(const ui_t *ui)
{
    const ui_model_t *m = &ui->m;
    size_t i = m->kb.len;

    while (i > 0 && m->kb.text[i - 1] != ';')
        i--;
    while (i < m->kb.len && m->kb.text[i] == ' ')
        i++;
    return i;
}

/* Autocomplete runs in To, Cc, Bcc and From. */
static int ui_kb_completes(const ui_t *ui)
{
    uint8_t k = ui_fields[ui->m.kb.target].kind;

    return k == UI_FK_ADDR_LIST || (k == UI_FK_ADDR && ui->m.kb.target == UI_F_FROM);
}

static void ui_kb_suggest(ui_t *ui)
{
    ui_model_t *m = &ui->m;
    size_t t;

    m->kb.has_suggestion = 0;
    if (!ui_kb_completes(ui))
        return;
    t = ui_kb_token(ui);
    if (t == m->kb.len)
        return;
    m->kb.has_suggestion =
        ui->svc.api->complete(ui->svc.ctx, m->kb.text + t, m->kb.len - t, &m->kb.suggestion) == 1;
}

static ui_ret_t ui_kb_enter(ui_t *ui)
{
    ui_model_t *m = &ui->m;
    uint8_t k = ui_fields[m->kb.target].kind;
    size_t t = ui_kb_token(ui);

    if (k != UI_FK_ADDR_LIST && k != UI_FK_ADDR)
        return ui_kb_ok(ui);
    if (m->kb.has_suggestion) {
        /* Enter accepts the suggestion: it replaces what was typed. */
        size_t n = strlen(m->kb.suggestion.addr);

        m->kb.len = (uint16_t)t;
        m->kb.text[t] = '\0';
        m->kb.has_suggestion = 0;
        if (ui_kb_insert(ui, m->kb.suggestion.addr, n) != UI_HANDLED)
            return UI_REFUSED;
        m->kb.has_suggestion = 0;
        return k == UI_FK_ADDR_LIST ? ui_kb_insert(ui, "; ", 2) : UI_HANDLED;
    }
    if (k == UI_FK_ADDR || t == m->kb.len)
        return ui_kb_ok(ui);
    /* Enter after an address starts the next one, like ';'. */
    return ui_kb_insert(ui, "; ", 2);
}

static ui_ret_t ui_kb_ok(ui_t *ui)
{
    ui_model_t *m = &ui->m;
    ui_field_t f = (ui_field_t)m->kb.target;
    char why[UI_TEXT_MAX + 1];

    if (ui_fields[f].kind == UI_FK_ADDR_LIST) {
        /* A trailing separator is the keyboard's, not the user's. */
        while (m->kb.len > 0 && (m->kb.text[m->kb.len - 1] == ' ' || m->kb.text[m->kb.len - 1] == ';'))
            m->kb.text[--m->kb.len] = '\0';
    }
    if (ui_validate_field(f, m->kb.text, m->kb.len, why, sizeof(why)) != 0) {
        ui_refuse(ui, f, why);
        return UI_REFUSED;
    }
    memcpy(m->field[f], m->kb.text, (size_t)m->kb.len + 1);
    if (f == UI_F_FROM)
        m->from_is_hint = m->kb.len == 0;
    m->field_error = UI_F_NONE;
    if (f == UI_F_AB_FILTER) {
        ui_tran(ui, m->back);
        m->ab.top = 0;
        m->ab.sel_count = 0;
        ui_ab_filter(ui);
        ui_ab_refresh(ui);
        return UI_HANDLED;
    }
    if (m->kb.chain && f == UI_F_AB_NAME) {
        ui_kb_open(ui, UI_F_AB_ADDR, UI_SCR_ADDRBOOK);
        m->kb.chain = 1;
        return UI_HANDLED;
    }
    if (m->kb.chain && f == UI_F_AB_ADDR) {
        if (m->kb.len == 0) {
            ui_refuse(ui, f, "Address: enter the e-mail address of the new name");
            return UI_REFUSED;
        }
        if (ui->svc.api->ab_add(ui->svc.ctx, m->field[UI_F_AB_NAME], m->field[UI_F_AB_ADDR]) != 0) {
            ui_refuse(ui, f, "The address book is full or cannot be written");
            return UI_REFUSED;
        }
        ui_status(ui, UI_STATUS_OK, "Added to the Local address book: ", m->field[UI_F_AB_ADDR]);
    }
    ui_tran(ui, m->back);
    return UI_HANDLED;
}

/* ---- address book ---- */

static void ui_ab_open(ui_t *ui, ui_field_t target)
{
    ui_model_t *m = &ui->m;

    memset(&m->ab, 0, sizeof(m->ab));
    m->ab.target = (uint8_t)target;
    m->ab.book = UI_BOOK_LOCAL;
    m->back = UI_SCR_SEND;
    ui_tran(ui, UI_SCR_ADDRBOOK);
}

static void ui_ab_refresh(ui_t *ui)
{
    ui_model_t *m = &ui->m;
    long n = ui->svc.api->ab_count(ui->svc.ctx, (ui_book_t)m->ab.book);

    m->ab.count = n > 0 ? (uint32_t)n : 0;
    if (m->ab.count <= UI_AB_ROWS)
        m->ab.top = 0;
    else if (m->ab.top > m->ab.count - UI_AB_ROWS)
        m->ab.top = m->ab.count - UI_AB_ROWS;
    m->ab.row_count = 0;
    for (uint32_t i = 0; i < UI_AB_ROWS && m->ab.top + i < m->ab.count; i++) {
        if (ui->svc.api->ab_get(ui->svc.ctx, (ui_book_t)m->ab.book, m->ab.top + i, &m->ab.row[i]) != 0)
            break;
        m->ab.row_count++;
    }
}

/* All: asks the directory for the search text; its answer (UI_EV_SUGGEST)
 * refreshes the list. */
static void ui_ab_filter(ui_t *ui)
{
    ui_model_t *m = &ui->m;
    const char *t = m->field[UI_F_AB_FILTER];

    if (m->ab.book != UI_BOOK_ALL)
        return;
    if (ui->svc.api->ab_filter == NULL) {
        ui_status(ui, UI_STATUS_INFO, "No directory: All shows the Local names", NULL);
        return;
    }
    if (ui->svc.api->ab_filter(ui->svc.ctx, t, strlen(t)) != 0)
        ui_refuse(ui, UI_F_AB_FILTER, "The directory cannot be searched: check LDAP Setup");
    else if (t[0] != '\0')
        ui_status(ui, UI_STATUS_INFO, "Searching the directory for ", t);
    else
        ui_status(ui, UI_STATUS_INFO, "Touch Search and type a name to search the directory", NULL);
}

static void ui_ab_scroll(ui_t *ui, long rows)
{
    ui_model_t *m = &ui->m;
    long top = (long)m->ab.top + rows;

    if (top < 0)
        top = 0;
    if (m->ab.count > UI_AB_ROWS && top > (long)(m->ab.count - UI_AB_ROWS))
        top = (long)(m->ab.count - UI_AB_ROWS);
    if (m->ab.count <= UI_AB_ROWS)
        top = 0;
    if ((uint32_t)top != m->ab.top) {
        m->ab.top = (uint32_t)top;
        ui_ab_refresh(ui);
    }
}

/* Is addr[0..n) already in the address list of field f? */
static int ui_list_has(const char *list, const char *addr, size_t n)
{
    const char *p = list;

    while (*p != '\0') {
        const char *q = p;
        size_t len;

        while (*q != '\0' && *q != ';')
            q++;
        len = ui_trim(&p, (size_t)(q - p));
        if (len == n && ui_prefix_icase(p, len, addr, n))
            return 1;
        p = *q == ';' ? q + 1 : q;
    }
    return 0;
}

static ui_ret_t ui_ab_add(ui_t *ui)
{
    ui_model_t *m = &ui->m;
    ui_field_t f = (ui_field_t)m->ab.target;
    char *dst = m->field[f];
    size_t cap = (size_t)ui_fields[f].max + 1;
    unsigned added = 0;

    if (m->ab.sel_count == 0) {
        ui_refuse(ui, UI_F_NONE, "Select one or more names first");
        return UI_REFUSED;
    }
    for (unsigned i = 0; i < m->ab.sel_count; i++) {
        ui_ab_entry_t e;
        size_t len = strlen(dst), n;

        if (ui->svc.api->ab_get(ui->svc.ctx, (ui_book_t)m->ab.book, m->ab.sel[i], &e) != 0)
            continue;
        n = strlen(e.addr);
        if (ui_fields[f].kind == UI_FK_ADDR) {
            /* From takes one address: the first one selected. */
            ui_copy_field(ui, f, e.addr);
            m->from_is_hint = 0;
            added = 1;
            break;
        }
        if (ui_list_has(dst, e.addr, n))
            continue;
        if (len + (len ? 2 : 0) + n + 1 > cap) {
            ui_refuse(ui, f, "The recipient list is full");
            return UI_REFUSED;
        }
        if (len) {
            memcpy(dst + len, "; ", 2);
            len += 2;
        }
        memcpy(dst + len, e.addr, n + 1);
        added++;
    }
    m->ab.sel_count = 0;
    ui_status(ui, UI_STATUS_OK, added ? "Added to " : "Already in ", ui_fields[f].label);
    return UI_HANDLED;
}

static void ui_ab_remove(ui_t *ui)
{
    ui_model_t *m = &ui->m;
    char *list = m->field[m->ab.target];

    for (unsigned i = 0; i < m->ab.sel_count; i++) {
        ui_ab_entry_t e;
        char out[UI_FIELD_MAX + 1];
        ui_sb_t sb;
        const char *p = list;

        if (ui->svc.api->ab_get(ui->svc.ctx, (ui_book_t)m->ab.book, m->ab.sel[i], &e) != 0)
            continue;
        ui_sb_init(&sb, out, sizeof(out));
        while (*p != '\0') {
            const char *q = p, *t;
            size_t len;

            while (*q != '\0' && *q != ';')
                q++;
            t = p;
            len = ui_trim(&t, (size_t)(q - p));
            if (len > 0 && !(len == strlen(e.addr) && ui_prefix_icase(t, len, e.addr, len))) {
                if (sb.len)
                    ui_sb_put(&sb, "; ");
                ui_sb_putn(&sb, t, len);
            }
            p = *q == ';' ? q + 1 : q;
        }
        memcpy(list, out, sb.len + 1);
    }
    m->ab.sel_count = 0;
    ui_status(ui, UI_STATUS_OK, "Removed from ", ui_fields[m->ab.target].label);
}

/* ---- drop-downs ---- */

static void ui_dropdown_set(ui_t *ui, ui_dropdown_t dd, unsigned v)
{
    ui_model_t *m = &ui->m;

    if (v >= ui_dropdown_count(dd))
        return;
    switch (dd) {
    case UI_DD_FILE_TYPE: m->options.file_type = (uint8_t)v; break;
    case UI_DD_COLOR: m->options.color = (uint8_t)v; break;
    case UI_DD_RESOLUTION: m->options.resolution = (uint8_t)v; break;
    case UI_DD_SIZE: m->options.size = (uint8_t)v; break;
    case UI_DD_SIDES: m->options.sides = (uint8_t)v; break;
    case UI_DD_QUALITY: m->options.quality = (uint8_t)v; break;
    case UI_DD_TLS: m->setup.tls = (uint8_t)v; break;
    case UI_DD_MAXATT: m->setup.max_attachment = (uint8_t)v; break;
    case UI_DD_BOOK:
        if (m->ab.book != v) {
            m->ab.book = (uint8_t)v;
            m->ab.top = 0;
            m->ab.sel_count = 0;
            ui_ab_filter(ui);
            ui_ab_refresh(ui);
        }
        break;
    case UI_DD_LDAP_TLS: m->ldap.tls = (uint8_t)v; break;
    case UI_DD_LDAP_LOGIN: m->ldap.login = (uint8_t)v; break;
    default:
        break;
    }
}

/* ---- job ---- */

static ui_ret_t ui_start(ui_t *ui)
{
    ui_model_t *m = &ui->m;
    ui_job_t job;
    ui_setup_t s;

    if (ui_check_fields(ui, (ui_field_t)0, (ui_field_t)(UI_F_JOB_COUNT - 1)) != UI_HANDLED)
        return UI_REFUSED;
    if (m->field[UI_F_TO][0] == '\0' && m->field[UI_F_CC][0] == '\0' && m->field[UI_F_BCC][0] == '\0') {
        ui_refuse(ui, UI_F_TO, "To: enter at least one recipient (To, Cc or Bcc)");
        return UI_REFUSED;
    }
    job.from = m->field[UI_F_FROM];
    if (job.from[0] == '\0') {
        /* The From hint stands for the administrator's default address. */
        if (ui_load_setup(ui, &s) != 0 || s.from_addr == NULL || s.from_addr[0] == '\0') {
            ui_refuse(ui, UI_F_FROM, "From: enter your e-mail address");
            return UI_REFUSED;
        }
        job.from = s.from_addr;
    }
    job.to = m->field[UI_F_TO];
    job.cc = m->field[UI_F_CC];
    job.bcc = m->field[UI_F_BCC];
    job.subject = m->field[UI_F_SUBJECT];
    job.message = m->field[UI_F_MESSAGE];
    job.file_name = m->field[UI_F_FILE_NAME];
    job.options = m->options;
    if (ui->svc.api->start_job(ui->svc.ctx, &job) != 0) {
        ui_refuse(ui, UI_F_NONE, "The job could not start: the device is busy or not set up");
        return UI_REFUSED;
    }
    memset(&m->progress, 0, sizeof(m->progress));
    m->progress.active = 1;
    m->progress.page = 1;
    m->warning[0] = '\0';
    ui_tran(ui, UI_SCR_PROGRESS);
    return UI_HANDLED;
}

static void ui_stop(ui_t *ui)
{
    ui_model_t *m = &ui->m;

    if (!m->progress.active || m->progress.stopping)
        return;
    m->progress.stopping = 1;
    ui->svc.api->cancel_job(ui->svc.ctx);
    ui_status(ui, UI_STATUS_INFO, "Stopping...", NULL);
}

static ui_ret_t ui_setup_save(ui_t *ui, int test_only)
{
    ui_model_t *m = &ui->m;
    ui_setup_t s;
    uint32_t port = 0;

    if (ui_check_fields(ui, UI_F_GATEWAY, UI_F_DEF_SUBJECT) != UI_HANDLED)
        return UI_REFUSED;
    if (m->field[UI_F_GATEWAY][0] == '\0') {
        ui_refuse(ui, UI_F_GATEWAY, "SMTP gateway: enter an IP address or a host name");
        return UI_REFUSED;
    }
    port = ui_number(m->field[UI_F_PORT]);
    memset(&s, 0, sizeof(s));
    s.gateway = m->field[UI_F_GATEWAY];
    s.port = (uint16_t)(port ? port : 25);
    s.tls = m->setup.tls;
    s.user = m->field[UI_F_SMTP_USER];
    s.password = m->field[UI_F_SMTP_PASS];
    s.password_set = m->setup.password_set;
    s.from_addr = m->field[UI_F_DEF_FROM];
    s.from_name = m->field[UI_F_DEF_NAME];
    s.from_locked = m->setup.from_locked;
    s.subject = m->field[UI_F_DEF_SUBJECT];
    s.max_attachment = m->setup.max_attachment;
    s.sign_in_required = m->setup.sign_in_required;
    if (test_only) {
        if (ui->svc.api->test_gateway(ui->svc.ctx, &s) != 0) {
            ui_refuse(ui, UI_F_NONE, "The test could not start (network down?)");
            return UI_REFUSED;
        }
        ui_status(ui, UI_STATUS_INFO, "Testing the gateway...", NULL);
        return UI_HANDLED;
    }
    if (ui->svc.api->save_setup(ui->svc.ctx, &s) != 0) {
        ui_refuse(ui, UI_F_NONE, "E-mail Setup could not be saved (storage error)");
        return UI_REFUSED;
    }
    return ui_form_saved(ui, UI_F_SMTP_PASS, "E-mail Setup saved");
}

static ui_ret_t ui_ldap_save(ui_t *ui, int test_only)
{
    ui_model_t *m = &ui->m;
    char why[UI_TEXT_MAX + 1] = "";
    ui_ldap_setup_t s;
    int rc;

    if (ui_check_fields(ui, UI_F_LDAP_SERVER, UI_F_LDAP_TIMEOUT) != UI_HANDLED)
        return UI_REFUSED;
    memset(&s, 0, sizeof(s));
    s.server = m->field[UI_F_LDAP_SERVER];
    s.port = (uint16_t)ui_number(m->field[UI_F_LDAP_PORT]);
    s.tls = m->ldap.tls;
    s.use_ca = m->ldap.use_ca;
    s.bind_dn = m->field[UI_F_LDAP_BIND_DN];
    s.bind_password = m->field[UI_F_LDAP_BIND_PW];
    s.password_set = m->ldap.password_set;
    s.base_dn = m->field[UI_F_LDAP_BASE];
    s.search_attrs = m->field[UI_F_LDAP_ATTRS];
    s.name_attr = m->field[UI_F_LDAP_NAME_ATTR];
    s.mail_attr = m->field[UI_F_LDAP_MAIL_ATTR];
    s.login = m->ldap.login;
    s.max_results = ui_number(m->field[UI_F_LDAP_MAX]);
    s.timeout_s = ui_number(m->field[UI_F_LDAP_TIMEOUT]);
    s.sign_in = m->ldap.sign_in;
    s.lock_from = m->ldap.lock_from;
    if (ui->svc.api->save_ldap == NULL || ui->svc.api->test_ldap == NULL) {
        ui_refuse(ui, UI_F_NONE, "This device has no directory support");
        return UI_REFUSED;
    }
    rc = test_only ? ui->svc.api->test_ldap(ui->svc.ctx, &s, why, sizeof(why))
                   : ui->svc.api->save_ldap(ui->svc.ctx, &s, why, sizeof(why));
    if (rc != 0) {
        ui_refuse(ui, UI_F_NONE, why[0] ? why : "LDAP Setup could not be saved (storage error)");
        return UI_REFUSED;
    }
    if (test_only) {
        ui_status(ui, UI_STATUS_INFO, "Testing the directory...", NULL);
        return UI_HANDLED;
    }
    return ui_form_saved(ui, UI_F_LDAP_BIND_PW, "LDAP Setup saved");
}

/* Signed in: From becomes the user's address (kept locked when the
 * administrator says so), the display name the user's. */
static ui_ret_t ui_signed_in(ui_t *ui, const char *from, const char *name, int lock)
{
    ui_model_t *m = &ui->m;

    m->signed_in = 1;
    if (from != NULL && from[0] != '\0' && (lock || !m->setup.from_locked)) {
        ui_copy_field(ui, UI_F_FROM, from);
        m->from_is_hint = 0;
        m->from_locked_user = (uint8_t)(lock != 0);
    }
    if (name != NULL && name[0] != '\0')
        ui_copy_str(m->from_hint, sizeof(m->from_hint), name);
    ui_status(ui, UI_STATUS_OK, "Signed in", NULL);
    ui_tran(ui, UI_SCR_SEND);
    return UI_HANDLED;
}

static void ui_put_number(ui_t *ui, ui_field_t f, uint64_t v)
{
    ui_sb_t sb;

    ui_sb_init(&sb, ui->m.field[f], (size_t)ui_fields[f].max + 1);
    ui_sb_put_u64(&sb, v);
}

/* A field already checked as digits (UI_FK_PORT); "" is 0. */
static uint32_t ui_number(const char *s)
{
    uint32_t v = 0;

    for (; *s >= '0' && *s <= '9'; s++)
        v = v * 10 + (uint32_t)(*s - '0');
    return v;
}

/* ---------------------------------------------------------- validation */

static size_t ui_trim(const char **s, size_t n)
{
    while (n > 0 && **s == ' ') {
        (*s)++;
        n--;
    }
    while (n > 0 && (*s)[n - 1] == ' ')
        n--;
    return n;
}

/* One domain label: letters, digits, hyphens inside, 1..63. */
static int ui_is_label(const char *s, size_t n)
{
    if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'))
            return 0;
    }
    return 1;
}

/* A host name of two labels or more, or a dotted IPv4 address. */
static int ui_is_host(const char *s, size_t n)
{
    size_t start = 0, labels = 0, digits_only = 1, octets = 0;
    int ipv4_ok = 1;

    if (n == 0 || n > 253)
        return 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            size_t len = i - start;
            unsigned v = 0;

            if (!ui_is_label(s + start, len))
                return 0;
            for (size_t k = start; k < i; k++) {
                if (s[k] < '0' || s[k] > '9')
                    digits_only = 0;
                else
                    v = v * 10 + (unsigned)(s[k] - '0');
            }
            if (len > 3 || v > 255)
                ipv4_ok = 0;
            labels++;
            octets++;
            start = i + 1;
        }
    }
    if (digits_only)
        return ipv4_ok && octets == 4;
    return labels >= 2;
}

/* local@domain with a dot-atom local part (RFC 5322 3.2.3) and a host
 * name domain; ASCII only. */
static int ui_is_address(const char *s, size_t n)
{
    static const char atext[] = "!#$%&'*+-/=?^_`{|}~";
    size_t at = n;

    for (size_t i = 0; i < n; i++)
        if (s[i] == '@')
            at = i;
    if (at == n || at == 0 || at > 64 || n > UI_ADDR_MAX)
        return 0;
    for (size_t i = 0; i < at; i++) {
        char c = s[i];

        if (c == '.') {
            if (i == 0 || i == at - 1 || s[i - 1] == '.')
                return 0;
        } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     (c != '\0' && strchr(atext, c) != NULL))) {
            return 0;
        }
    }
    return ui_is_host(s + at + 1, n - at - 1);
}

static void ui_why(char *why, size_t size, ui_field_t f, const char *a, const char *b, size_t blen, const char *c)
{
    ui_sb_t sb;

    ui_sb_init(&sb, why, size);
    ui_sb_put(&sb, ui_fields[f].label);
    ui_sb_put(&sb, " ");
    ui_sb_put(&sb, a);
    if (b != NULL) {
        ui_sb_putn(&sb, b, blen > 40 ? 40 : blen);
        if (blen > 40)
            ui_sb_put(&sb, "\xE2\x80\xA6");
    }
    ui_sb_put(&sb, c);
}

int ui_validate_field(ui_field_t f, const char *text, size_t len, char *why, size_t why_size)
{
    if (why_size == 0 || f >= UI_F_COUNT)
        return UI_ERR_BAD_ARG;
    why[0] = '\0';
    if (len > ui_fields[f].max) {
        ui_why(why, why_size, f, "is too long", NULL, 0, NULL);
        return UI_ERR_INVALID;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];

        if (c == '\0' || c == '\r' || (c == '\n' && ui_fields[f].kind != UI_FK_BODY) || (c < 0x20 && c != '\n') || c == 0x7F) {
            ui_why(why, why_size, f, "must not contain control characters", NULL, 0, NULL);
            return UI_ERR_INVALID;
        }
    }
    switch (ui_fields[f].kind) {
    case UI_FK_ADDR_LIST: {
        size_t count = 0;

        for (size_t i = 0; i < len;) {
            size_t j = i;
            const char *t = text + i;
            size_t n;

            while (j < len && text[j] != ';')
                j++;
            n = ui_trim(&t, j - i);
            if (n > 0) {
                if (!ui_is_address(t, n)) {
                    ui_why(why, why_size, f, "\"", t, n, "\" is not an e-mail address (name@example.com)");
                    return UI_ERR_INVALID;
                }
                if (++count > UI_RCPT_MAX) {
                    ui_why(why, why_size, f, "too many addresses", NULL, 0, NULL);
                    return UI_ERR_INVALID;
                }
            }
            i = j + 1;
        }
        return 0;
    }
    case UI_FK_ADDR:
        if (len > 0 && !ui_is_address(text, len)) {
            ui_why(why, why_size, f, "\"", text, len, "\" is not an e-mail address (name@example.com)");
            return UI_ERR_INVALID;
        }
        return 0;
    case UI_FK_FILE:
        for (size_t i = 0; i < len; i++)
            if (strchr("/\\:*?\"<>|", text[i]) != NULL || (i == 0 && text[i] == '.')) {
                ui_why(why, why_size, f, "must not start with '.' or contain / \\ : * ? \" < > |", NULL, 0, NULL);
                return UI_ERR_INVALID;
            }
        return 0;
    case UI_FK_HOST:
        if (len > 0 && !ui_is_host(text, len)) {
            ui_why(why, why_size, f, "\"", text, len, "\" is neither an IPv4 address nor a host name");
            return UI_ERR_INVALID;
        }
        return 0;
    case UI_FK_PORT: {
        uint32_t v = 0;

        for (size_t i = 0; i < len; i++) {
            if (text[i] < '0' || text[i] > '9') {
                ui_why(why, why_size, f, "digits only (1 to 65535)", NULL, 0, NULL);
                return UI_ERR_INVALID;
            }
            v = v * 10 + (uint32_t)(text[i] - '0');
        }
        if (len > 0 && (v == 0 || v > 65535)) {
            ui_why(why, why_size, f, "a number from 1 to 65535", NULL, 0, NULL);
            return UI_ERR_INVALID;
        }
        return 0;
    }
    default:
        return 0;
    }
}
