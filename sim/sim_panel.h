/* mfp-sim panel: the touchscreen UI in the simulator, headless.
 *
 *   mfp-sim panel --headless --script FILE [--snap DIR] [--state DIR]
 *                 [--book N] [--pages N] [--ca FILE] [--stats] [network options]
 *
 * plays a script against the panel's state machine and renderer (display
 * HAL over a memory framebuffer) and writes PNG snapshots. The services are
 * the firmware's: address book and settings in --state (fw_nvstore), the
 * job, Test and Find gateways stepped a slice per frame. Script lines:
 *
 *   tap X Y             touch down and up at (X, Y)
 *   press LABEL         tap the first widget whose text is LABEL
 *   field NAME          tap a text field (from, to, cc, bcc, subject, message,
 *                       file-name, user, password, gateway, port, smtp-user,
 *                       smtp-pass, def-from, def-name, def-subject)
 *   book NAME           tap the Address Book button beside a field
 *   type TEXT           typed text (the rest of the line, UTF-8)
 *   clear               backspace until the keyboard's text is empty
 *   key NAME            enter, backspace, escape, home, start, stop, reset
 *   wait MS             run the super-loop for MS milliseconds
 *   until MS COND       run it until COND holds; fail after MS
 *   expect COND         fail unless COND holds: screen S | status TEXT |
 *                       field NAME VALUE | suggestion ADDR|none | result ok|failed
 *   snap NAME.png       write the screen to DIR/NAME.png
 *   # comment
 *
 * Exit code 0 only when every line ran and every expectation held. */
#ifndef SIM_PANEL_H
#define SIM_PANEL_H

int sim_panel_main(int argc, char **argv);

#endif
