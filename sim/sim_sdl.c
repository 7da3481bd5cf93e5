/* The simulated panel in a window (sim_sdl.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <SDL2/SDL.h>

#include "sim_sdl.h"

void sim_sdl_init(sim_sdl_t *w)
{
    memset(w, 0, sizeof(*w));
}

#define SIM_SDL_TITLE "MFP panel (F1 Home, F2 Stop, F3 Reset, F4 Start)"

/* Keyboard keys and the panel's hardware keys. Tab accepts like Enter. */
static const struct {
    SDL_Keycode sym;
    ui_key_t key;
} sim_sdl_keys[] = {
    {SDLK_RETURN, UI_KEY_ENTER},  {SDLK_KP_ENTER, UI_KEY_ENTER},
    {SDLK_TAB, UI_KEY_ENTER},     {SDLK_BACKSPACE, UI_KEY_BACKSPACE},
    {SDLK_ESCAPE, UI_KEY_ESCAPE}, {SDLK_F1, UI_KEY_HOME},
    {SDLK_F2, UI_KEY_STOP},       {SDLK_F3, UI_KEY_RESET},
    {SDLK_F4, UI_KEY_START},
};

/* Room for any event the window produces. */
typedef union sim_sdl_event {
    ui_event_t base;
    ui_touch_event_t touch;
    ui_key_event_t key;
    ui_text_event_t text;
} sim_sdl_event_t;

static int sim_sdl_fail(sim_sdl_t *w, int rc, const char *what)
{
    snprintf(w->error, sizeof(w->error), "%s: %s", what, SDL_GetError());
    return rc;
}

int sim_sdl_open(sim_sdl_t *w, uint16_t width, uint16_t height)
{
    /* Only drivers that show a window: without one SDL would fall back to
     * its offscreen driver and run a panel nobody sees. Wayland only when
     * it is there (it complains otherwise). SDL_VIDEODRIVER still wins.
     * SDL turns SIGINT into SDL_QUIT: Ctrl-C closes the window cleanly. */
    SDL_SetHint(SDL_HINT_VIDEODRIVER,
                getenv("WAYLAND_DISPLAY") != NULL ? "wayland,x11,KMSDRM" : "x11,KMSDRM");
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        snprintf(w->error, sizeof(w->error), "no display to open the panel's window on (SDL: %s)",
                 SDL_GetError());
        return SIM_SDL_ERR_NO_DISPLAY;
    }
    w->sdl_up = 1;
    w->window = SDL_CreateWindow(SIM_SDL_TITLE, SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED,
                                 width, height, 0);
    if (w->window == NULL)
        return sim_sdl_fail(w, SIM_SDL_ERR_SDL, "SDL_CreateWindow");
    w->renderer = SDL_CreateRenderer(w->window, -1, 0);
    if (w->renderer == NULL)
        return sim_sdl_fail(w, SIM_SDL_ERR_SDL, "SDL_CreateRenderer");
    w->texture = SDL_CreateTexture(w->renderer, SDL_PIXELFORMAT_RGB565, SDL_TEXTUREACCESS_STREAMING,
                                   width, height);
    if (w->texture == NULL)
        return sim_sdl_fail(w, SIM_SDL_ERR_SDL, "SDL_CreateTexture");
    SDL_StartTextInput();
    return 0;
}

/* v inside 0 .. size - 1. */
static int16_t sim_sdl_clamp(int v, uint16_t size)
{
    return (int16_t)(v < 0 ? 0 : v >= size ? size - 1 : v);
}

/* One SDL event as the panel's: 1 and *out filled, 0 when it is not the
 * panel's business. Typed text points into *e. */
static int sim_sdl_translate(const SDL_Event *e, const sim_display_t *d, sim_sdl_event_t *out)
{
    switch (e->type) {
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP:
        if (e->button.button != SDL_BUTTON_LEFT)
            return 0;
        out->touch.base.type = e->type == SDL_MOUSEBUTTONDOWN ? UI_EV_TOUCH_DOWN : UI_EV_TOUCH_UP;
        /* A button released outside the window still lifts the finger,
         * on the panel's edge. */
        out->touch.x = sim_sdl_clamp(e->button.x, d->width);
        out->touch.y = sim_sdl_clamp(e->button.y, d->height);
        return 1;
    case SDL_TEXTINPUT:
        out->text.base.type = UI_EV_TEXT;
        out->text.text = e->text.text;
        out->text.len = strlen(e->text.text);
        return 1;
    case SDL_KEYDOWN:
        for (size_t i = 0; i < sizeof(sim_sdl_keys) / sizeof(sim_sdl_keys[0]); i++)
            if (sim_sdl_keys[i].sym == e->key.keysym.sym) {
                /* Held keys repeat only where typing would (Backspace). */
                if (e->key.repeat && sim_sdl_keys[i].key != UI_KEY_BACKSPACE)
                    return 0;
                out->key.base.type = UI_EV_KEY;
                out->key.key = sim_sdl_keys[i].key;
                return 1;
            }
        return 0;
    default:
        return 0;
    }
}

int sim_sdl_run(sim_sdl_t *w, const sim_display_t *d, const sim_sdl_panel_t *panel)
{
    uint64_t shown = ~(uint64_t)0; /* d->writes when the window last showed the frame */

    if (w->texture == NULL) {
        snprintf(w->error, sizeof(w->error), "the window is not open");
        return SIM_SDL_ERR_SDL;
    }
    for (;;) {
        SDL_Event e;
        sim_sdl_event_t ev;

        while (SDL_PollEvent(&e)) {
            if (e.type == SDL_QUIT)
                return 0;
            if (e.type == SDL_WINDOWEVENT && e.window.event == SDL_WINDOWEVENT_EXPOSED)
                shown = ~(uint64_t)0;
            if (sim_sdl_translate(&e, d, &ev) && panel->event(panel->ctx, &ev.base) != 0)
                goto panel_failed;
        }
        if (panel->frame(panel->ctx) != 0)
            goto panel_failed;
        if (shown == d->writes)
            continue;
        /* The whole frame: 750 KiB, far below what a frame's time allows. */
        if (SDL_UpdateTexture(w->texture, NULL, d->fb, d->width * (int)sizeof(uint16_t)) != 0 ||
            SDL_RenderCopy(w->renderer, w->texture, NULL, NULL) != 0)
            return sim_sdl_fail(w, SIM_SDL_ERR_SDL, "showing the frame");
        SDL_RenderPresent(w->renderer);
        shown = d->writes;
    }
panel_failed:
    snprintf(w->error, sizeof(w->error), "the panel failed (see above)");
    return SIM_SDL_ERR_PANEL;
}

void sim_sdl_free(sim_sdl_t *w)
{
    if (w->texture != NULL)
        SDL_DestroyTexture(w->texture);
    if (w->renderer != NULL)
        SDL_DestroyRenderer(w->renderer);
    if (w->window != NULL)
        SDL_DestroyWindow(w->window);
    if (w->sdl_up)
        SDL_Quit();
    sim_sdl_init(w);
}
