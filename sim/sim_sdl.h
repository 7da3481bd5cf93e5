/* The simulated panel in a window (SDL2): `mfp-sim panel` without
 * --headless.
 *
 * The window shows the display HAL's framebuffer (sim_display_t, RGB565) at
 * scale 1; the whole frame is uploaded after a frame in which the renderer
 * wrote anything. The mouse is the finger: button down and up become
 * UI_EV_TOUCH_DOWN / UI_EV_TOUCH_UP where the pointer is (a drag off a
 * widget cancels its press, as on the panel; the state machine has no move
 * event, so motion is not passed on). A hardware keyboard types: text input
 * becomes UI_EV_TEXT, Enter and Tab become UI_KEY_ENTER (Enter accepts the
 * suggestion), Backspace and Escape their keys; F1 Home, F2 Stop, F3 Reset
 * and F4 Start are the panel's hardware keys (the window title says so).
 * Closing the window ends the loop. */
#ifndef SIM_SDL_H
#define SIM_SDL_H

#include <stdint.h>

#include "sim_display.h"
#include "ui_event.h"

#define SIM_SDL_ERR_NO_DISPLAY (-1) /* no display to open a window on */
#define SIM_SDL_ERR_SDL (-2)        /* SDL failed otherwise: see error */
#define SIM_SDL_ERR_PANEL (-4)      /* the panel's callback failed */

/* What the window drives: the panel's state machine and super-loop. */
typedef struct sim_sdl_panel {
    /* One input event for the state machine (and a redraw): 0, or -1 to
     * end the loop with SIM_SDL_ERR_PANEL. */
    int (*event)(void *ctx, const ui_event_t *e);
    /* One frame of the super-loop: the services, the clock tick, the
     * redraw, and the wait for the rest of the frame, which paces the
     * window too. 0, or -1 as above. */
    int (*frame)(void *ctx);
    void *ctx;
} sim_sdl_panel_t;

/* SDL's handles are opaque here so that only sim_sdl.c needs SDL's
 * headers. The caller owns the context: init, open, run, free. */
typedef struct sim_sdl {
    struct SDL_Window *window;
    struct SDL_Renderer *renderer;
    struct SDL_Texture *texture;
    int sdl_up;      /* SDL_Init succeeded: SDL_Quit is due */
    char error[256]; /* why open or run failed, for the user */
} sim_sdl_t;

/* Zeroes w. Cannot fail; sim_sdl_free() is then safe. */
void sim_sdl_init(sim_sdl_t *w);

/* Opens a width x height window titled with the key help. 0, or
 * SIM_SDL_ERR_NO_DISPLAY, SIM_SDL_ERR_SDL with
 * w->error set. */
int sim_sdl_open(sim_sdl_t *w, uint16_t width, uint16_t height);

/* Runs the window until it is closed: each round passes the pending input
 * to panel->event, runs panel->frame and shows d's framebuffer when it
 * changed (or the window was exposed). 0 when the window was closed, or a
 * negative SIM_SDL_ERR_* with w->error set. */
int sim_sdl_run(sim_sdl_t *w, const sim_display_t *d, const sim_sdl_panel_t *panel);

/* Closes the window and SDL. Safe on an initialised, unopened context. */
void sim_sdl_free(sim_sdl_t *w);

#endif
