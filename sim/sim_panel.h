/* mfp-sim panel: the touchscreen UI in the simulator.
 *
 *   mfp-sim panel --headless --script FILE --snap DIR [--book N] [--stats]
 *
 * plays a script against the panel's state machine and renderer (display
 * HAL over a memory framebuffer) and writes PNG snapshots. Script lines:
 *
 *   tap X Y          touch down and up at (X, Y)
 *   press LABEL      tap the centre of the first widget whose text is LABEL
 *   type TEXT        typed text (the rest of the line, UTF-8)
 *   key NAME         enter, backspace, escape, home, start, stop, reset
 *   wait MS          let MS milliseconds pass (50 ms ticks)
 *   snap NAME.png    write the screen to DIR/NAME.png
 *   expect screen S  fail unless the screen is S (home, send, keyboard, ...)
 *   expect status T  fail unless the status line contains T
 *   # comment
 *
 * The services behind the panel are FAKES until the job manager, settings
 * store and address book are wired in (see sim_panel.c). Exit code 0 only
 * when every line ran and every expectation held. */
#ifndef SIM_PANEL_H
#define SIM_PANEL_H

int sim_panel_main(int argc, char **argv);

#endif
