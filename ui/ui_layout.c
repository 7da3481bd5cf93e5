/* Layout of every screen for an 800 x 480 panel: a title bar (56 px), the
 * body and a status bar (48 px). Pure: reads the model, writes widgets. */
#include <string.h>

#include "ui_font.h"
#include "ui_layout.h"
#include "ui_str.h"

#define UI_HEADER_H 56
#define UI_FOOTER_Y 432
#define UI_RIGHT_X 650 /* the right-hand column of command buttons */
#define UI_RIGHT_W 140
#define UI_KEY_W 62
#define UI_KEY_GAP 8

static ui_widget_t *ui_w(ui_layout_t *l, ui_wkind_t kind, uint16_t id, int x, int y, int w, int h,
                         ui_style_t style, ui_font_id_t font, const char *text);
static void ui_l_begin(ui_layout_t *l, ui_sb_t *sb);
static const char *ui_l_end(ui_layout_t *l, ui_sb_t *sb);
static void ui_l_frame(ui_layout_t *l, const ui_model_t *m, const char *title);
static void ui_l_home(ui_layout_t *l, const ui_model_t *m);
static void ui_l_sign_in(ui_layout_t *l, const ui_model_t *m);
static void ui_l_send(ui_layout_t *l, const ui_model_t *m);
static void ui_l_keyboard(ui_layout_t *l, const ui_model_t *m);
static void ui_l_addrbook(ui_layout_t *l, const ui_model_t *m);
static void ui_l_options(ui_layout_t *l, const ui_model_t *m);
static void ui_l_progress(ui_layout_t *l, const ui_model_t *m);
static void ui_l_result(ui_layout_t *l, const ui_model_t *m);
static void ui_l_admin(ui_layout_t *l, const ui_model_t *m);
static void ui_l_setup(ui_layout_t *l, const ui_model_t *m);
static void ui_l_ldap(ui_layout_t *l, const ui_model_t *m);
static void ui_l_dropdown_list(ui_layout_t *l, const ui_model_t *m);
static void ui_l_dialog(ui_layout_t *l, const ui_model_t *m);
static ui_widget_t *ui_l_field(ui_layout_t *l, const ui_model_t *m, ui_field_t f, int x, int y, int w, int h);

/* ---------------------------------------------------------- key tables */

#define K(s) {s, s, UI_KA_INSERT, 1}
#define ROW_END {NULL, NULL, 0, 0}
static const ui_kb_key_t ui_kb_lower[] = {
    K("q"), K("w"), K("e"), K("r"), K("t"), K("y"), K("u"), K("i"), K("o"), K("p"),
    {"\xE2\x86\x90", "", UI_KA_BACKSPACE, 1}, ROW_END,
    K("a"), K("s"), K("d"), K("f"), K("g"), K("h"), K("j"), K("k"), K("l"),
    {"Enter \xE2\x86\xB5", "", UI_KA_ENTER, 2}, ROW_END,
    {"\xE2\x87\xA7 Shift", "", UI_KA_SHIFT, 2}, K("z"), K("x"), K("c"), K("v"), K("b"), K("n"), K("m"), K("-"), K("."), ROW_END,
    {"&123", "", UI_KA_SYMBOLS, 2}, K("@"), {"", " ", UI_KA_INSERT, 5}, K(";"), {".com", ".com", UI_KA_INSERT, 2},
};
static const ui_kb_key_t ui_kb_upper[] = {
    K("Q"), K("W"), K("E"), K("R"), K("T"), K("Y"), K("U"), K("I"), K("O"), K("P"),
    {"\xE2\x86\x90", "", UI_KA_BACKSPACE, 1}, ROW_END,
    K("A"), K("S"), K("D"), K("F"), K("G"), K("H"), K("J"), K("K"), K("L"),
    {"Enter \xE2\x86\xB5", "", UI_KA_ENTER, 2}, ROW_END,
    {"\xE2\x87\xA7 Shift", "", UI_KA_SHIFT, 2}, K("Z"), K("X"), K("C"), K("V"), K("B"), K("N"), K("M"), K("-"), K("."), ROW_END,
    {"&123", "", UI_KA_SYMBOLS, 2}, K("@"), {"", " ", UI_KA_INSERT, 5}, K(";"), {".com", ".com", UI_KA_INSERT, 2},
};
static const ui_kb_key_t ui_kb_symbols[] = {
    K("1"), K("2"), K("3"), K("4"), K("5"), K("6"), K("7"), K("8"), K("9"), K("0"),
    {"\xE2\x86\x90", "", UI_KA_BACKSPACE, 1}, ROW_END,
    K("!"), K("#"), K("$"), K("%"), K("&"), K("*"), K("+"), K("="), K("?"),
    {"Enter \xE2\x86\xB5", "", UI_KA_ENTER, 2}, ROW_END,
    K("\""), K("'"), K("("), K(")"), K("_"), K("/"), K(":"), K(","), K("<"), K(">"), K("~"), ROW_END,
    {"ABC", "", UI_KA_SYMBOLS, 2}, K("@"), {"", " ", UI_KA_INSERT, 5}, K(";"), {".com", ".com", UI_KA_INSERT, 2},
};
#undef K
#undef ROW_END

const ui_kb_key_t *ui_kb_keys(ui_kb_mode_t mode, size_t *count)
{
    switch (mode) {
    case UI_KB_UPPER:
        *count = sizeof(ui_kb_upper) / sizeof(ui_kb_upper[0]);
        return ui_kb_upper;
    case UI_KB_SYMBOLS:
        *count = sizeof(ui_kb_symbols) / sizeof(ui_kb_symbols[0]);
        return ui_kb_symbols;
    default:
        *count = sizeof(ui_kb_lower) / sizeof(ui_kb_lower[0]);
        return ui_kb_lower;
    }
}

/* ------------------------------------------------------- drop-down data */

static const char *const ui_c_file[] = {"PDF", "JPEG", "TIFF", "MTIFF"};
static const char *const ui_c_color[] = {"Colour", "Grey", "Black and white"};
static const char *const ui_c_res[] = {"150 dpi", "200 dpi", "300 dpi", "600 dpi"};
static const char *const ui_c_size[] = {"A4", "Letter", "Legal", "A5", "Executive"};
static const char *const ui_c_sides[] = {"1-sided", "2-sided"};
static const char *const ui_c_quality[] = {"High (larger file)", "Medium", "Low (smaller file)"};
static const char *const ui_c_tls[] = {"STARTTLS (required)", "TLS (port 465)", "None (plain text)"};
static const char *const ui_c_maxatt[] = {"1 MB", "2 MB", "5 MB", "10 MB", "No limit"};
static const char *const ui_c_book[] = {"Local", "All"};
static const char *const ui_c_ldap_tls[] = {"None (plain text)", "StartTLS (port 389)", "LDAPS (port 636)"};
static const char *const ui_c_login[] = {"uid", "sAMAccountName", "mail"};

static const struct {
    const char *title;
    const char *const *names;
    unsigned count;
} ui_dd[UI_DD_COUNT] = {
    [UI_DD_FILE_TYPE] = {"File type:", ui_c_file, UI_FILE_COUNT},
    [UI_DD_COLOR] = {"Colour:", ui_c_color, UI_COLOR_COUNT},
    [UI_DD_RESOLUTION] = {"Resolution:", ui_c_res, UI_RES_COUNT},
    [UI_DD_SIZE] = {"Original size:", ui_c_size, UI_SIZE_COUNT},
    [UI_DD_SIDES] = {"Sides:", ui_c_sides, UI_SIDES_COUNT},
    [UI_DD_QUALITY] = {"Quality:", ui_c_quality, UI_QUALITY_COUNT},
    [UI_DD_TLS] = {"Security:", ui_c_tls, UI_TLS_COUNT},
    [UI_DD_MAXATT] = {"Max. attachment:", ui_c_maxatt, UI_MAXATT_COUNT},
    [UI_DD_BOOK] = {"Address book:", ui_c_book, UI_BOOK_COUNT},
    [UI_DD_LDAP_TLS] = {"LDAP security:", ui_c_ldap_tls, UI_LDAP_TLS_COUNT},
    [UI_DD_LDAP_LOGIN] = {"Sign-in attribute:", ui_c_login, UI_LOGIN_COUNT},
};

const char *ui_dropdown_title(ui_dropdown_t dd) { return dd < UI_DD_COUNT && ui_dd[dd].title ? ui_dd[dd].title : ""; }
unsigned ui_dropdown_count(ui_dropdown_t dd) { return dd < UI_DD_COUNT ? ui_dd[dd].count : 0; }
const char *ui_dropdown_choice(ui_dropdown_t dd, unsigned i)
{
    return i < ui_dropdown_count(dd) ? ui_dd[dd].names[i] : "";
}

unsigned ui_dropdown_value(const ui_model_t *m, ui_dropdown_t dd)
{
    switch (dd) {
    case UI_DD_FILE_TYPE: return m->options.file_type;
    case UI_DD_COLOR: return m->options.color;
    case UI_DD_RESOLUTION: return m->options.resolution;
    case UI_DD_SIZE: return m->options.size;
    case UI_DD_SIDES: return m->options.sides;
    case UI_DD_QUALITY: return m->options.quality;
    case UI_DD_TLS: return m->setup.tls;
    case UI_DD_MAXATT: return m->setup.max_attachment;
    case UI_DD_BOOK: return m->ab.book;
    case UI_DD_LDAP_TLS: return m->ldap.tls;
    case UI_DD_LDAP_LOGIN: return m->ldap.login;
    default: return 0;
    }
}

/* --------------------------------------------------------------- help */

static const char *const ui_help[UI_SCR_COUNT] = {
    [UI_SCR_HOME] = "Touch E-mail to scan and send. Administration sets up the gateway.",
    [UI_SCR_SIGN_IN] = "Enter the user name and password your administrator gave you.",
    [UI_SCR_SEND] = "Touch a field to type. The book buttons pick from the address book. Separate addresses with ;",
    [UI_SCR_KEYBOARD] = "Type with the keys. The first matching address book entry is shown: Enter accepts it.",
    [UI_SCR_ADDRBOOK] = "Touch names to select them, then Add or Remove. New adds a name to the Local book.",
    [UI_SCR_OPTIONS] = "These settings apply to this job only. Reset restores the defaults.",
    [UI_SCR_PROGRESS] = "The originals are scanned, then sent. Stop cancels the job.",
    [UI_SCR_RESULT] = "The result of the last job. Touch OK to continue.",
    [UI_SCR_ADMIN] = "Initial Setup: E-mail Setup configures the SMTP gateway and the defaults.",
    [UI_SCR_SETUP] = "Test checks the gateway. Find gateways looks for SMTP servers on the network.",
    [UI_SCR_LDAP] = "The directory: LDAP Test connects, binds and finds one entry. Empty server: no directory.",
};

/* ------------------------------------------------------------ public */

void ui_layout_build(ui_layout_t *l, const ui_model_t *m)
{
    static const char *const titles[UI_SCR_COUNT] = {
        "Home", "Sign In", "Send E-mail", "Keyboard", "Address Book", "More Options",
        "Sending E-mail", "E-mail Result", "Administration", "E-mail Setup", "LDAP Setup"};

    l->count = 0;
    l->used = 0;
    ui_l_frame(l, m, m->screen < UI_SCR_COUNT ? titles[m->screen] : "");
    switch (m->screen) {
    case UI_SCR_HOME: ui_l_home(l, m); break;
    case UI_SCR_SIGN_IN: ui_l_sign_in(l, m); break;
    case UI_SCR_SEND: ui_l_send(l, m); break;
    case UI_SCR_KEYBOARD: ui_l_keyboard(l, m); break;
    case UI_SCR_ADDRBOOK: ui_l_addrbook(l, m); break;
    case UI_SCR_OPTIONS: ui_l_options(l, m); break;
    case UI_SCR_PROGRESS: ui_l_progress(l, m); break;
    case UI_SCR_RESULT: ui_l_result(l, m); break;
    case UI_SCR_ADMIN: ui_l_admin(l, m); break;
    case UI_SCR_SETUP: ui_l_setup(l, m); break;
    case UI_SCR_LDAP: ui_l_ldap(l, m); break;
    default: break;
    }
    ui_l_dropdown_list(l, m);
    ui_l_dialog(l, m);
}

uint16_t ui_layout_hit(const ui_layout_t *l, int x, int y)
{
    size_t first = 0;

    /* Modal: with a dialog open only the dialog and what follows it. */
    for (size_t i = 0; i < l->count; i++)
        if (l->w[i].kind == UI_W_DIALOG)
            first = i;
    for (size_t i = l->count; i-- > first;) {
        const ui_widget_t *w = &l->w[i];

        if (w->id != UI_ID_NONE && !(w->flags & UI_WF_DISABLED) && x >= w->x && x < w->x + w->w &&
            y >= w->y && y < w->y + w->h)
            return w->id;
    }
    return UI_ID_NONE;
}

const ui_widget_t *ui_layout_find(const ui_layout_t *l, uint16_t id)
{
    for (size_t i = 0; i < l->count; i++)
        if (l->w[i].id == id)
            return &l->w[i];
    return NULL;
}

/* ------------------------------------------------------------ helpers */

static ui_widget_t *ui_w(ui_layout_t *l, ui_wkind_t kind, uint16_t id, int x, int y, int w, int h,
                         ui_style_t style, ui_font_id_t font, const char *text)
{
    /* A full table drops the last widgets: a layout bug, caught by the
     * unit test that lays out every screen. */
    ui_widget_t *p = l->count < UI_WIDGETS_MAX ? &l->w[l->count++] : &l->overflow;

    memset(p, 0, sizeof(*p));
    p->kind = (uint8_t)kind;
    p->id = id;
    p->x = (int16_t)x;
    p->y = (int16_t)y;
    p->w = (int16_t)w;
    p->h = (int16_t)h;
    p->style = (uint8_t)style;
    p->font = (uint8_t)font;
    p->text = text;
    return p;
}

static void ui_l_begin(ui_layout_t *l, ui_sb_t *sb)
{
    if (l->used >= sizeof(l->scratch) - 1)
        l->used = sizeof(l->scratch) - 2;
    ui_sb_init(sb, l->scratch + l->used, sizeof(l->scratch) - l->used);
}

static const char *ui_l_end(ui_layout_t *l, ui_sb_t *sb)
{
    l->used += sb->len + 1;
    return sb->p;
}

static void ui_l_frame(ui_layout_t *l, const ui_model_t *m, const char *title)
{
    static const ui_style_t status_style[] = {UI_ST_FOOTER, UI_ST_OK, UI_ST_ERROR};
    ui_widget_t *w;

    ui_w(l, UI_W_PANEL, UI_ID_NONE, 0, 0, UI_SCREEN_W, UI_HEADER_H, UI_ST_HEADER, UI_FONT_TITLE, title);
    if (m->screen != UI_SCR_HOME && m->screen != UI_SCR_PROGRESS)
        ui_w(l, UI_W_BUTTON, UI_ID_HOME, 632, 8, 104, 40, UI_ST_HEADER, UI_FONT_BOLD, "Home");
    ui_w(l, UI_W_BUTTON, UI_ID_HELP, 744, 8, 48, 40, UI_ST_HEADER, UI_FONT_TITLE, "?");
    w = ui_w(l, UI_W_PANEL, UI_ID_NONE, 0, UI_FOOTER_Y, UI_SCREEN_W, UI_SCREEN_H - UI_FOOTER_Y,
             status_style[m->status_kind < 3 ? m->status_kind : 0], UI_FONT_SMALL, m->status);
    if (m->warning[0] != '\0') {
        w->w = 664;
        ui_w(l, UI_W_BUTTON, UI_ID_WARNING, 672, UI_FOOTER_Y + 6, 120, 36, UI_ST_WARN, UI_FONT_BOLD, "! Warning");
    }
}

static ui_widget_t *ui_l_field(ui_layout_t *l, const ui_model_t *m, ui_field_t f, int x, int y, int w, int h)
{
    ui_widget_t *p = ui_w(l, UI_W_FIELD, (uint16_t)(UI_ID_FIELD + f), x, y, w, h, UI_ST_NORMAL, UI_FONT_BODY,
                          m->field[f]);

    if (m->focus == f)
        p->flags |= UI_WF_FOCUS;
    if (m->field_error == f)
        p->flags |= UI_WF_ERROR;
    if (f == UI_F_PASSWORD || f == UI_F_SMTP_PASS || f == UI_F_LDAP_BIND_PW)
        p->flags |= UI_WF_MASKED;
    return p;
}

/* ------------------------------------------------------------ screens */

static void ui_l_home(ui_layout_t *l, const ui_model_t *m)
{
    ui_widget_t *w;

    (void)m;
    ui_w(l, UI_W_BUTTON, UI_ID_EMAIL, 40, 88, 340, 240, UI_ST_TILE, UI_FONT_TITLE, "E-mail");
    w = ui_w(l, UI_W_ICON, UI_ID_EMAIL, 170, 130, 80, 60, UI_ST_TILE, UI_FONT_BODY, NULL);
    w->aux = UI_ICON_MAIL;
    ui_w(l, UI_W_BUTTON, UI_ID_ADMIN, 420, 88, 340, 240, UI_ST_TILE2, UI_FONT_TITLE, "Administration");
    w = ui_w(l, UI_W_ICON, UI_ID_ADMIN, 560, 130, 60, 60, UI_ST_TILE2, UI_FONT_BODY, NULL);
    w->aux = UI_ICON_GEAR;
    ui_w(l, UI_W_LABEL, UI_ID_NONE, 40, 350, 720, 30, UI_ST_MUTED, UI_FONT_BODY,
         "Place the originals in the feeder or on the glass, then touch E-mail.");
}

static void ui_l_sign_in(ui_layout_t *l, const ui_model_t *m)
{
    ui_w(l, UI_W_LABEL, UI_ID_NONE, 140, 80, 520, 34, UI_ST_NORMAL, UI_FONT_BOLD,
         "Sign in to use E-mail");
    ui_w(l, UI_W_LABEL, UI_ID_NONE, 60, 140, 160, 44, UI_ST_NORMAL, UI_FONT_BOLD, "User name:")->flags |= UI_WF_RIGHT;
    ui_l_field(l, m, UI_F_USER, 232, 140, 420, 44);
    ui_w(l, UI_W_LABEL, UI_ID_NONE, 60, 200, 160, 44, UI_ST_NORMAL, UI_FONT_BOLD, "Password:")->flags |= UI_WF_RIGHT;
    ui_l_field(l, m, UI_F_PASSWORD, 232, 200, 420, 44);
    ui_w(l, UI_W_BUTTON, UI_ID_CANCEL, 380, 300, 128, 56, UI_ST_NORMAL, UI_FONT_BOLD, "Cancel");
    ui_w(l, UI_W_BUTTON, UI_ID_SIGN_IN, 524, 300, 128, 56, UI_ST_PRIMARY, UI_FONT_BOLD, "Sign In");
}

static void ui_l_send(ui_layout_t *l, const ui_model_t *m)
{
    ui_sb_t sb;

    for (unsigned f = UI_F_FROM; f < UI_F_JOB_COUNT; f++) {
        int y = 66 + (int)f * 51;
        ui_widget_t *w;

        ui_w(l, UI_W_LABEL, UI_ID_NONE, 8, y, 118, 44, UI_ST_NORMAL, UI_FONT_BOLD, ui_field_label((ui_field_t)f))
            ->flags |= UI_WF_RIGHT;
        w = ui_l_field(l, m, (ui_field_t)f, 134, y, f <= UI_F_BCC ? 442 : 502, 44);
        if (f == UI_F_FROM) {
            if (m->setup.from_locked)
                w->flags |= UI_WF_DISABLED;
            if (m->field[f][0] == '\0' && m->from_is_hint) {
                w->text = m->from_hint;
                w->flags |= UI_WF_HINT;
            }
        }
        if (f == UI_F_FILE_NAME && m->field[f][0] == '\0') {
            w->text = "scan";
            w->flags |= UI_WF_HINT;
        }
        if (f <= UI_F_BCC) {
            w = ui_w(l, UI_W_BUTTON, (uint16_t)(UI_ID_BOOK + f), 584, y, 52, 44, UI_ST_NORMAL, UI_FONT_BODY, NULL);
            w->aux = UI_ICON_BOOK + 1u; /* draw the icon, not a text */
            if (f == UI_F_FROM && m->setup.from_locked)
                w->flags |= UI_WF_DISABLED;
        }
    }
    ui_w(l, UI_W_BUTTON, UI_ID_START, UI_RIGHT_X, 66, UI_RIGHT_W, 146, UI_ST_GO, UI_FONT_TITLE, "Start");
    ui_w(l, UI_W_BUTTON, UI_ID_MORE, UI_RIGHT_X, 224, UI_RIGHT_W, 56, UI_ST_NORMAL, UI_FONT_BODY, "More Options");
    ui_l_begin(l, &sb);
    ui_sb_put(&sb, ui_c_file[m->options.file_type % UI_FILE_COUNT]);
    ui_sb_put(&sb, ", ");
    ui_sb_put(&sb, ui_c_res[m->options.resolution % UI_RES_COUNT]);
    ui_w(l, UI_W_LABEL, UI_ID_NONE, UI_RIGHT_X, 290, UI_RIGHT_W, 24, UI_ST_MUTED, UI_FONT_SMALL, ui_l_end(l, &sb))
        ->flags |= UI_WF_CENTER;
    ui_l_begin(l, &sb);
    ui_sb_put(&sb, ui_c_color[m->options.color % UI_COLOR_COUNT]);
    ui_w(l, UI_W_LABEL, UI_ID_NONE, UI_RIGHT_X, 314, UI_RIGHT_W, 24, UI_ST_MUTED, UI_FONT_SMALL, ui_l_end(l, &sb))
        ->flags |= UI_WF_CENTER;
    ui_l_begin(l, &sb);
    ui_sb_put(&sb, ui_c_size[m->options.size % UI_SIZE_COUNT]);
    ui_sb_put(&sb, ", ");
    ui_sb_put(&sb, ui_c_sides[m->options.sides % UI_SIDES_COUNT]);
    ui_w(l, UI_W_LABEL, UI_ID_NONE, UI_RIGHT_X, 338, UI_RIGHT_W, 24, UI_ST_MUTED, UI_FONT_SMALL, ui_l_end(l, &sb))
        ->flags |= UI_WF_CENTER;
}

static void ui_l_keyboard(ui_layout_t *l, const ui_model_t *m)
{
    const ui_field_t f = (ui_field_t)m->kb.target;
    size_t count;
    const ui_kb_key_t *keys = ui_kb_keys((ui_kb_mode_t)m->kb.mode, &count);
    ui_widget_t *w;
    ui_sb_t sb;
    int x = 16, y = 164;

    /* The title names the field being typed. */
    ui_l_begin(l, &sb);
    ui_sb_put(&sb, "Keyboard \xE2\x80\x94 ");
    ui_sb_put(&sb, ui_field_label(f));
    l->w[0].text = ui_l_end(l, &sb);

    w = ui_w(l, UI_W_FIELD, UI_ID_NONE, 16, 66, 576, 48, UI_ST_NORMAL, UI_FONT_BODY, m->kb.text);
    w->flags |= UI_WF_FOCUS | UI_WF_TAIL | UI_WF_CURSOR;
    if (m->field_error == f)
        w->flags |= UI_WF_ERROR;
    if (f == UI_F_PASSWORD || f == UI_F_SMTP_PASS || f == UI_F_LDAP_BIND_PW)
        w->flags |= UI_WF_MASKED;
    if (m->kb.has_suggestion) {
        /* Inline completion: the rest of the address, in grey. */
        size_t t = m->kb.len;
        const char *addr = m->kb.suggestion.addr;

        while (t > 0 && m->kb.text[t - 1] != ';')
            t--;
        while (t < m->kb.len && m->kb.text[t] == ' ')
            t++;
        if (ui_prefix_icase(addr, strlen(addr), m->kb.text + t, m->kb.len - t))
            w->text2 = addr + (m->kb.len - t);
        ui_l_begin(l, &sb);
        ui_sb_put(&sb, "\xE2\x86\xB5  ");
        if (m->kb.suggestion.alias[0] != '\0' && strcmp(m->kb.suggestion.alias, addr) != 0) {
            ui_sb_put(&sb, m->kb.suggestion.alias);
            ui_sb_put(&sb, "  <");
            ui_sb_put(&sb, addr);
            ui_sb_put(&sb, ">");
        } else {
            ui_sb_put(&sb, addr);
        }
        ui_w(l, UI_W_BUTTON, UI_ID_SUGGESTION, 16, 120, 576, 36, UI_ST_SPECIAL, UI_FONT_BODY, ui_l_end(l, &sb));
    }
    ui_w(l, UI_W_BUTTON, UI_ID_CANCEL, 604, 66, 84, 48, UI_ST_NORMAL, UI_FONT_BOLD, "Cancel");
    ui_w(l, UI_W_BUTTON, UI_ID_OK, 700, 66, 84, 48, UI_ST_PRIMARY, UI_FONT_BOLD, "OK");
    for (size_t i = 0; i < count; i++) {
        const ui_kb_key_t *k = &keys[i];
        int kw;

        if (k->label == NULL) {
            x = 16;
            y += 66;
            continue;
        }
        kw = k->units * UI_KEY_W + (k->units - 1) * UI_KEY_GAP;
        w = ui_w(l, UI_W_KEY, (uint16_t)(UI_ID_KEY + i), x, y, kw, 58,
                 k->action == UI_KA_INSERT && k->units == 1 ? UI_ST_NORMAL : UI_ST_SPECIAL,
                 k->units == 1 && k->action == UI_KA_INSERT ? UI_FONT_TITLE : UI_FONT_BOLD, k->label);
        if (k->action == UI_KA_SHIFT && m->kb.mode == UI_KB_UPPER)
            w->flags |= UI_WF_CHECKED;
        if (k->action == UI_KA_BACKSPACE)
            w->font = UI_FONT_TITLE;
        x += kw + UI_KEY_GAP;
    }
}

static void ui_l_addrbook(ui_layout_t *l, const ui_model_t *m)
{
    ui_widget_t *w;
    ui_sb_t sb;

    w = ui_w(l, UI_W_DROPDOWN, UI_ID_DD + UI_DD_BOOK, 16, 66, 200, 44, UI_ST_NORMAL, UI_FONT_BOLD,
             ui_dropdown_choice(UI_DD_BOOK, m->ab.book));
    if (m->dropdown == UI_DD_BOOK)
        w->flags |= UI_WF_FOCUS;
    if (m->ab.book == UI_BOOK_ALL) {
        /* All: the directory is searched for what is typed here. */
        w = ui_l_field(l, m, UI_F_AB_FILTER, 228, 66, 412, 44);
        if (m->field[UI_F_AB_FILTER][0] == '\0') {
            w->text = "Search the directory: touch to type a name";
            w->flags |= UI_WF_HINT;
        }
    } else {
        ui_l_begin(l, &sb);
        ui_sb_put(&sb, ui_field_label((ui_field_t)m->ab.target));
        ui_sb_put(&sb, " ");
        ui_sb_put(&sb, m->field[m->ab.target]);
        ui_w(l, UI_W_FIELD, UI_ID_NONE, 228, 66, 412, 44, UI_ST_NORMAL, UI_FONT_BODY, ui_l_end(l, &sb));
    }
    for (unsigned i = 0; i < m->ab.row_count; i++) {
        w = ui_w(l, UI_W_ROW, (uint16_t)(UI_ID_ROW + i), 16, 120 + (int)i * 50, 584, 48, UI_ST_NORMAL, UI_FONT_BODY,
                 m->ab.row[i].alias[0] ? m->ab.row[i].alias : m->ab.row[i].addr);
        w->text2 = m->ab.row[i].addr;
        for (unsigned s = 0; s < m->ab.sel_count; s++)
            if (m->ab.sel[s] == m->ab.top + i)
                w->flags |= UI_WF_CHECKED;
    }
    if (m->ab.count == 0)
        ui_w(l, UI_W_LABEL, UI_ID_NONE, 32, 130, 560, 40, UI_ST_MUTED, UI_FONT_BODY,
             m->ab.book == UI_BOOK_LOCAL ? "No names yet: touch New to add one." : "No names in this address book.");
    ui_w(l, UI_W_BUTTON, UI_ID_AB_UP, 606, 120, 34, 44, UI_ST_SPECIAL, UI_FONT_SMALL, "\xE2\x96\xB2");
    w = ui_w(l, UI_W_SCROLLBAR, UI_ID_NONE, 606, 168, 34, 200, UI_ST_NORMAL, UI_FONT_SMALL, NULL);
    w->value = m->ab.top;
    w->max = m->ab.count;
    w->aux = UI_AB_ROWS;
    ui_w(l, UI_W_BUTTON, UI_ID_AB_DOWN, 606, 372, 34, 44, UI_ST_SPECIAL, UI_FONT_SMALL, "\xE2\x96\xBC");
    ui_w(l, UI_W_BUTTON, UI_ID_AB_ADD, UI_RIGHT_X, 66, UI_RIGHT_W, 56, UI_ST_PRIMARY, UI_FONT_BOLD, "Add");
    ui_w(l, UI_W_BUTTON, UI_ID_AB_REMOVE, UI_RIGHT_X, 130, UI_RIGHT_W, 56, UI_ST_NORMAL, UI_FONT_BOLD, "Remove");
    ui_w(l, UI_W_BUTTON, UI_ID_AB_NEW, UI_RIGHT_X, 206, UI_RIGHT_W, 56, UI_ST_NORMAL, UI_FONT_BOLD, "New")->flags |=
        m->ab.book == UI_BOOK_LOCAL ? 0 : UI_WF_DISABLED;
    ui_w(l, UI_W_BUTTON, UI_ID_AB_DELETE, UI_RIGHT_X, 270, UI_RIGHT_W, 56, UI_ST_NORMAL, UI_FONT_BOLD, "Delete")->flags |=
        m->ab.book == UI_BOOK_LOCAL ? 0 : UI_WF_DISABLED;
    ui_w(l, UI_W_BUTTON, UI_ID_OK, UI_RIGHT_X, 360, UI_RIGHT_W, 56, UI_ST_PRIMARY, UI_FONT_BOLD, "OK");
}

static void ui_l_dd(ui_layout_t *l, const ui_model_t *m, ui_dropdown_t dd, int x, int y, int lw, int w, int h)
{
    ui_widget_t *p;

    ui_w(l, UI_W_LABEL, UI_ID_NONE, x, y, lw, h, UI_ST_NORMAL, UI_FONT_BOLD, ui_dropdown_title(dd))->flags |= UI_WF_RIGHT;
    p = ui_w(l, UI_W_DROPDOWN, (uint16_t)(UI_ID_DD + dd), x + lw + 8, y, w, h, UI_ST_NORMAL, UI_FONT_BODY,
             ui_dropdown_choice(dd, ui_dropdown_value(m, dd)));
    if (m->dropdown == dd)
        p->flags |= UI_WF_FOCUS;
}

static void ui_l_options(ui_layout_t *l, const ui_model_t *m)
{
    for (unsigned i = 0; i < 6; i++)
        ui_l_dd(l, m, (ui_dropdown_t)(UI_DD_FILE_TYPE + i), 16, 70 + (int)i * 58, 200, 320, 46);
    ui_w(l, UI_W_LABEL, UI_ID_NONE, 600 - 40, 70, 200, 30, UI_ST_MUTED, UI_FONT_SMALL, "For this job only");
    ui_w(l, UI_W_BUTTON, UI_ID_OK, UI_RIGHT_X, 360, UI_RIGHT_W, 56, UI_ST_PRIMARY, UI_FONT_BOLD, "OK");
}

static void ui_l_progress(ui_layout_t *l, const ui_model_t *m)
{
    uint32_t permille;
    ui_widget_t *w;
    ui_sb_t sb;

    ui_l_begin(l, &sb);
    if (m->progress.stage == UI_STAGE_SCANNING) {
        ui_sb_put(&sb, "Scanning page ");
        ui_sb_put_u64(&sb, m->progress.page);
        if (m->progress.pages) {
            ui_sb_put(&sb, " of ");
            ui_sb_put_u64(&sb, m->progress.pages);
        }
    } else if (m->progress.stage == UI_STAGE_PREPARING) {
        ui_sb_put(&sb, "Preparing the attachments");
    } else if (m->progress.stage == UI_STAGE_CONNECTING) {
        ui_sb_put(&sb, "Connecting to the gateway");
    } else if (m->progress.stage == UI_STAGE_WAITING) {
        ui_sb_put(&sb, "The gateway asked to try again later: waiting");
    } else {
        ui_sb_put(&sb, "Sending e-mail ");
        ui_sb_put_u64(&sb, m->progress.part);
        ui_sb_put(&sb, " of ");
        ui_sb_put_u64(&sb, m->progress.parts);
    }
    ui_w(l, UI_W_LABEL, UI_ID_NONE, 60, 96, 680, 40, UI_ST_NORMAL, UI_FONT_TITLE, ui_l_end(l, &sb));
    /* Scanning fills the first half of the bar, sending the second. */
    if (m->progress.stage == UI_STAGE_SCANNING)
        permille = m->progress.pages ? 500u * (m->progress.page - 1) / m->progress.pages : 0;
    else if (m->progress.stage == UI_STAGE_SENDING && m->progress.parts)
        permille = 500u + (uint32_t)(500u * ((m->progress.part - 1) * (m->progress.total ? m->progress.total : 1) +
                                              m->progress.bytes) /
                                     (m->progress.parts * (m->progress.total ? m->progress.total : 1)));
    else
        permille = 500;
    w = ui_w(l, UI_W_PROGRESS, UI_ID_NONE, 60, 156, 680, 32, UI_ST_PRIMARY, UI_FONT_SMALL, NULL);
    w->value = permille > 1000 ? 1000 : permille;
    w->max = 1000;
    if (m->progress.stage == UI_STAGE_SENDING && m->progress.total) {
        ui_l_begin(l, &sb);
        ui_sb_put_size(&sb, m->progress.bytes);
        ui_sb_put(&sb, " of ");
        ui_sb_put_size(&sb, m->progress.total);
        ui_w(l, UI_W_LABEL, UI_ID_NONE, 60, 200, 680, 30, UI_ST_MUTED, UI_FONT_BODY, ui_l_end(l, &sb));
    }
    ui_l_begin(l, &sb);
    ui_sb_put(&sb, "To: ");
    ui_sb_put(&sb, m->field[UI_F_TO][0] ? m->field[UI_F_TO] : m->field[UI_F_CC]);
    ui_w(l, UI_W_LABEL, UI_ID_NONE, 60, 240, 680, 30, UI_ST_MUTED, UI_FONT_BODY, ui_l_end(l, &sb));
    w = ui_w(l, UI_W_BUTTON, UI_ID_STOP, 300, 310, 200, 72, UI_ST_DANGER, UI_FONT_TITLE,
             m->progress.stopping ? "Stopping" : "Stop");
    if (m->progress.stopping)
        w->flags |= UI_WF_DISABLED;
}

static void ui_l_line(ui_layout_t *l, int y, const char *label, const char *text)
{
    ui_w(l, UI_W_LABEL, UI_ID_NONE, 40, y, 150, 28, UI_ST_NORMAL, UI_FONT_BOLD, label);
    ui_w(l, UI_W_LABEL, UI_ID_NONE, 196, y, 580, 56, UI_ST_NORMAL, UI_FONT_BODY, text);
}

static void ui_l_result(ui_layout_t *l, const ui_model_t *m)
{
    ui_widget_t *w = ui_w(l, UI_W_ICON, UI_ID_NONE, 40, 76, 56, 56, UI_ST_NORMAL, UI_FONT_BODY, NULL);
    int y = 150;

    w->aux = m->result.ok ? UI_ICON_OK : UI_ICON_WARN;
    ui_w(l, UI_W_LABEL, UI_ID_NONE, 112, 84, 640, 40, m->result.ok ? UI_ST_OK : UI_ST_ERROR, UI_FONT_TITLE,
         m->result.ok ? "E-mail sent" : "E-mail not sent");
    if (m->result.summary[0]) {
        ui_l_line(l, y, "Sent:", m->result.summary);
        y += 56;
    }
    if (!m->result.ok) {
        if (m->result.stage[0]) {
            ui_l_line(l, y, "Stage:", m->result.stage);
            y += 56;
        }
        if (m->result.reply[0]) {
            ui_l_line(l, y, "Gateway said:", m->result.reply);
            y += 56;
        }
        if (m->result.next[0]) {
            ui_l_line(l, y, "What to do:", m->result.next);
            y += 56;
        }
    }
    if (m->result.rejected[0])
        ui_l_line(l, y, "Rejected:", m->result.rejected);
    ui_w(l, UI_W_BUTTON, UI_ID_OK, UI_RIGHT_X, 360, UI_RIGHT_W, 56, UI_ST_PRIMARY, UI_FONT_BOLD, "OK");
}

static void ui_l_admin(ui_layout_t *l, const ui_model_t *m)
{
    (void)m;
    ui_w(l, UI_W_LABEL, UI_ID_NONE, 40, 72, 400, 34, UI_ST_NORMAL, UI_FONT_TITLE, "Initial Setup");
    ui_w(l, UI_W_BUTTON, UI_ID_EMAIL_SETUP, 40, 120, 340, 64, UI_ST_PRIMARY, UI_FONT_BOLD, "E-mail Setup");
    ui_w(l, UI_W_LABEL, UI_ID_NONE, 40, 196, 720, 30, UI_ST_MUTED, UI_FONT_BODY,
         "SMTP gateway, Test, Find gateways, default From and subject, attachment size");
    ui_w(l, UI_W_BUTTON, UI_ID_LDAP_SETUP, 40, 240, 340, 64, UI_ST_NORMAL, UI_FONT_BOLD, "LDAP Setup");
    ui_w(l, UI_W_LABEL, UI_ID_NONE, 40, 316, 720, 30, UI_ST_MUTED, UI_FONT_BODY,
         "The directory: server, TLS, bind DN, base DN, attributes, sign-in, LDAP Test");
    ui_w(l, UI_W_BUTTON, UI_ID_CANCEL, UI_RIGHT_X, 360, UI_RIGHT_W, 56, UI_ST_NORMAL, UI_FONT_BOLD, "Back");
}

/* A caption above a field (E-mail Setup's denser form). */
static void ui_l_caption(ui_layout_t *l, int x, int y, int w, const char *text)
{
    ui_w(l, UI_W_LABEL, UI_ID_NONE, x + 2, y, w, 20, UI_ST_MUTED, UI_FONT_SMALL, text);
}

static void ui_l_setup(ui_layout_t *l, const ui_model_t *m)
{
    static const uint8_t right[] = {UI_F_DEF_FROM, UI_F_DEF_NAME, UI_F_DEF_SUBJECT};
    ui_widget_t *w;

    ui_l_caption(l, 16, 62, 270, ui_field_label(UI_F_GATEWAY));
    ui_l_field(l, m, UI_F_GATEWAY, 16, 82, 270, 38);
    ui_l_caption(l, 294, 62, 98, ui_field_label(UI_F_PORT));
    ui_l_field(l, m, UI_F_PORT, 294, 82, 98, 38);
    ui_l_caption(l, 16, 122, 376, ui_dropdown_title(UI_DD_TLS));
    w = ui_w(l, UI_W_DROPDOWN, UI_ID_DD + UI_DD_TLS, 16, 142, 376, 38, UI_ST_NORMAL, UI_FONT_BODY,
             ui_dropdown_choice(UI_DD_TLS, m->setup.tls));
    if (m->dropdown == UI_DD_TLS)
        w->flags |= UI_WF_FOCUS;
    ui_l_caption(l, 16, 182, 376, ui_field_label(UI_F_SMTP_USER));
    ui_l_field(l, m, UI_F_SMTP_USER, 16, 202, 376, 38);
    ui_l_caption(l, 16, 242, 376, ui_field_label(UI_F_SMTP_PASS));
    w = ui_l_field(l, m, UI_F_SMTP_PASS, 16, 262, 376, 38);
    if (m->field[UI_F_SMTP_PASS][0] == '\0' && m->setup.password_set) {
        w->text = "(stored, not shown)";
        w->flags = (uint16_t)((w->flags & ~UI_WF_MASKED) | UI_WF_HINT);
    }
    ui_l_caption(l, 16, 302, 376, ui_dropdown_title(UI_DD_MAXATT));
    w = ui_w(l, UI_W_DROPDOWN, UI_ID_DD + UI_DD_MAXATT, 16, 322, 376, 38, UI_ST_NORMAL, UI_FONT_BODY,
             ui_dropdown_choice(UI_DD_MAXATT, m->setup.max_attachment));
    if (m->dropdown == UI_DD_MAXATT)
        w->flags |= UI_WF_FOCUS;
    for (unsigned i = 0; i < sizeof(right); i++) {
        ui_l_caption(l, 408, 62 + (int)i * 60, 376, ui_field_label((ui_field_t)right[i]));
        ui_l_field(l, m, (ui_field_t)right[i], 408, 82 + (int)i * 60, 376, 38);
    }
    w = ui_w(l, UI_W_CHECK, UI_ID_LOCK_FROM, 408, 252, 376, 44, UI_ST_NORMAL, UI_FONT_BODY,
             "Prevent users from changing From");
    if (m->setup.from_locked)
        w->flags |= UI_WF_CHECKED;
    w = ui_w(l, UI_W_CHECK, UI_ID_REQUIRE_SIGN_IN, 408, 304, 376, 44, UI_ST_NORMAL, UI_FONT_BODY,
             "Users sign in before E-mail");
    if (m->setup.sign_in_required)
        w->flags |= UI_WF_CHECKED;
    ui_w(l, UI_W_BUTTON, UI_ID_TEST, 16, 372, 120, 50, UI_ST_NORMAL, UI_FONT_BOLD, "Test");
    ui_w(l, UI_W_BUTTON, UI_ID_FIND, 146, 372, 200, 50, UI_ST_NORMAL, UI_FONT_BOLD, "Find gateways");
    ui_w(l, UI_W_BUTTON, UI_ID_CANCEL, 536, 372, 120, 50, UI_ST_NORMAL, UI_FONT_BOLD, "Cancel");
    ui_w(l, UI_W_BUTTON, UI_ID_OK, 664, 372, 120, 50, UI_ST_PRIMARY, UI_FONT_BOLD, "OK");
}

/* A drop-down with its caption. */
static void ui_l_dropdown(ui_layout_t *l, const ui_model_t *m, ui_dropdown_t dd, int x, int y, int w)
{
    ui_widget_t *d;

    ui_l_caption(l, x, y, w, ui_dropdown_title(dd));
    d = ui_w(l, UI_W_DROPDOWN, (uint16_t)(UI_ID_DD + dd), x, y + 20, w, 38, UI_ST_NORMAL, UI_FONT_BODY,
             ui_dropdown_choice(dd, ui_dropdown_value(m, dd)));
    if (m->dropdown == dd)
        d->flags |= UI_WF_FOCUS;
}

static void ui_l_check(ui_layout_t *l, uint16_t id, int on, int x, int y, const char *text)
{
    ui_widget_t *w = ui_w(l, UI_W_CHECK, id, x, y, 376, 36, UI_ST_NORMAL, UI_FONT_BODY, text);

    if (on)
        w->flags |= UI_WF_CHECKED;
}

static void ui_l_ldap(ui_layout_t *l, const ui_model_t *m)
{
    static const struct {
        uint8_t f;
        int16_t x, y, w;
    } fields[] = {
        {UI_F_LDAP_SERVER, 16, 58, 270}, {UI_F_LDAP_PORT, 294, 58, 98},
        {UI_F_LDAP_BIND_DN, 16, 178, 376}, {UI_F_LDAP_BIND_PW, 16, 238, 376},
        {UI_F_LDAP_BASE, 408, 58, 376}, {UI_F_LDAP_ATTRS, 408, 118, 376},
        {UI_F_LDAP_NAME_ATTR, 408, 178, 184}, {UI_F_LDAP_MAIL_ATTR, 600, 178, 184},
        {UI_F_LDAP_MAX, 408, 238, 184}, {UI_F_LDAP_TIMEOUT, 600, 238, 184},
    };
    ui_widget_t *w;

    for (unsigned i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        ui_l_caption(l, fields[i].x, fields[i].y, fields[i].w, ui_field_label((ui_field_t)fields[i].f));
        w = ui_l_field(l, m, (ui_field_t)fields[i].f, fields[i].x, fields[i].y + 20, fields[i].w, 36);
        if (fields[i].f == UI_F_LDAP_BIND_PW && m->field[UI_F_LDAP_BIND_PW][0] == '\0' && m->ldap.password_set) {
            w->text = "(stored, not shown)";
            w->flags = (uint16_t)((w->flags & ~UI_WF_MASKED) | UI_WF_HINT);
        }
    }
    ui_l_dropdown(l, m, UI_DD_LDAP_TLS, 16, 118, 376);
    ui_l_dropdown(l, m, UI_DD_LDAP_LOGIN, 16, 298, 376);
    ui_l_check(l, UI_ID_LDAP_CA, m->ldap.use_ca, 408, 296, "Verify with the installed CA");
    ui_l_check(l, UI_ID_LDAP_SIGN_IN, m->ldap.sign_in, 408, 334, "Users sign in with LDAP");
    ui_l_check(l, UI_ID_LDAP_LOCK_FROM, m->ldap.lock_from, 16, 372 - 0, "Lock From to the user's mail");
    ui_w(l, UI_W_BUTTON, UI_ID_TEST, 396, 376, 132, 46, UI_ST_NORMAL, UI_FONT_BOLD, "LDAP Test");
    ui_w(l, UI_W_BUTTON, UI_ID_CANCEL, 536, 376, 120, 46, UI_ST_NORMAL, UI_FONT_BOLD, "Cancel");
    ui_w(l, UI_W_BUTTON, UI_ID_OK, 664, 376, 120, 46, UI_ST_PRIMARY, UI_FONT_BOLD, "OK");
}

static void ui_l_dropdown_list(ui_layout_t *l, const ui_model_t *m)
{
    const ui_widget_t *anchor;
    unsigned n;
    int y;

    if (m->dropdown == UI_DD_NONE)
        return;
    anchor = ui_layout_find(l, (uint16_t)(UI_ID_DD + m->dropdown));
    if (anchor == NULL)
        return;
    n = ui_dropdown_count((ui_dropdown_t)m->dropdown);
    y = anchor->y + anchor->h;
    if (y + (int)n * 44 > UI_FOOTER_Y)
        y = anchor->y - (int)n * 44;
    ui_w(l, UI_W_PANEL, UI_ID_NONE, anchor->x - 2, y - 2, anchor->w + 4, (int)n * 44 + 4, UI_ST_SPECIAL,
         UI_FONT_BODY, NULL);
    for (unsigned i = 0; i < n; i++) {
        ui_widget_t *w = ui_w(l, UI_W_ROW, (uint16_t)(UI_ID_CHOICE + i), anchor->x, y + (int)i * 44, anchor->w, 44,
                              UI_ST_NORMAL, UI_FONT_BODY, ui_dropdown_choice((ui_dropdown_t)m->dropdown, i));
        if (i == ui_dropdown_value(m, (ui_dropdown_t)m->dropdown))
            w->flags |= UI_WF_CHECKED;
    }
}

static void ui_l_dialog(ui_layout_t *l, const ui_model_t *m)
{
    ui_widget_t *w;

    /* The screen behind a dialog is dimmed: a full-screen panel, so that
     * opening and closing the dialog redraws everything once. */
    if (m->dialog != UI_DLG_NONE)
        ui_w(l, UI_W_PANEL, UI_ID_NONE, 0, 0, UI_SCREEN_W, UI_SCREEN_H, UI_ST_DIM, UI_FONT_BODY, NULL);

    switch (m->dialog) {
    case UI_DLG_HELP:
        ui_w(l, UI_W_DIALOG, UI_ID_NONE, 150, 120, 500, 230, UI_ST_NORMAL, UI_FONT_TITLE, "Help");
        ui_w(l, UI_W_LABEL, UI_ID_NONE, 174, 180, 452, 90, UI_ST_NORMAL, UI_FONT_BODY,
             m->screen < UI_SCR_COUNT ? ui_help[m->screen] : "");
        ui_w(l, UI_W_BUTTON, UI_ID_DLG_OK, 506, 286, 120, 48, UI_ST_PRIMARY, UI_FONT_BOLD, "OK");
        break;
    case UI_DLG_WARNING:
        ui_w(l, UI_W_DIALOG, UI_ID_NONE, 120, 110, 560, 250, UI_ST_WARN, UI_FONT_TITLE, "Warning");
        ui_w(l, UI_W_LABEL, UI_ID_NONE, 144, 168, 512, 60, UI_ST_NORMAL, UI_FONT_BODY, m->warning);
        ui_w(l, UI_W_LABEL, UI_ID_NONE, 144, 232, 512, 52, UI_ST_MUTED, UI_FONT_BODY, m->warning_action);
        ui_w(l, UI_W_BUTTON, UI_ID_DLG_OK, 536, 296, 120, 48, UI_ST_PRIMARY, UI_FONT_BOLD, "OK");
        break;
    case UI_DLG_DELETE:
        ui_w(l, UI_W_DIALOG, UI_ID_NONE, 200, 140, 400, 190, UI_ST_NORMAL, UI_FONT_TITLE, "Delete");
        ui_w(l, UI_W_LABEL, UI_ID_NONE, 224, 196, 352, 40, UI_ST_NORMAL, UI_FONT_BODY, "Delete selected addresses?");
        ui_w(l, UI_W_BUTTON, UI_ID_DLG_NO, 324, 264, 120, 48, UI_ST_NORMAL, UI_FONT_BOLD, "No");
        ui_w(l, UI_W_BUTTON, UI_ID_DLG_YES, 456, 264, 120, 48, UI_ST_DANGER, UI_FONT_BOLD, "Yes");
        break;
    case UI_DLG_GATEWAYS:
        ui_w(l, UI_W_DIALOG, UI_ID_NONE, 120, 64, 560, 360, UI_ST_NORMAL, UI_FONT_TITLE, "Detected SMTP servers");
        for (unsigned i = 0; i < m->setup.gw_count; i++) {
            ui_sb_t sb;

            ui_l_begin(l, &sb);
            ui_sb_put(&sb, "port ");
            ui_sb_put_u64(&sb, m->setup.gw_port[i]);
            w = ui_w(l, UI_W_ROW, (uint16_t)(UI_ID_ROW + i), 140, 120 + (int)i * 40, 520, 38, UI_ST_NORMAL,
                     UI_FONT_BODY, m->setup.gw[i]);
            w->text2 = ui_l_end(l, &sb);
            w->flags |= UI_WF_RIGHT; /* a short second column, right-aligned */
            if (i == m->setup.gw_pick)
                w->flags |= UI_WF_CHECKED;
        }
        ui_w(l, UI_W_BUTTON, UI_ID_DLG_NO, 412, 364, 120, 48, UI_ST_NORMAL, UI_FONT_BOLD, "Cancel");
        ui_w(l, UI_W_BUTTON, UI_ID_DLG_OK, 544, 364, 120, 48, UI_ST_PRIMARY, UI_FONT_BOLD, "OK");
        break;
    default:
        break;
    }
}
