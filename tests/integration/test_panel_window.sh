#!/bin/sh
# mfp-sim panel in its SDL2 window, on a virtual X server (Xvfb) of its own:
# xdotool clicks and types like a user, ImageMagick's import takes the
# window's picture, which must match (within 2/255 a channel: SDL and
# libpng widen RGB565 differently) what the headless panel draws after the
# same taps and text at the same coordinates. Without a display the panel must say so and how to run
# headless. Fails (never skips) when Xvfb, xdotool or ImageMagick is missing.
. "$(dirname "$0")/lib.sh"
D="$T_TMP/panel_window"
mkdir -p "$D/snap" "$D/state-headless" "$D/state-window"
XPID=""
PPID_PANEL=""
# Ends what this test started, by pid, then lib.sh's cleanup.
cleanup() {
    [ -z "$PPID_PANEL" ] || kill "$PPID_PANEL" 2>/dev/null
    [ -z "$XPID" ] || kill "$XPID" 2>/dev/null
    rm -rf "$T_TMP"
}
trap cleanup EXIT

# The window's coordinates, as in tests/ui/flow_send.panel: the E-mail tile
# on Home, the To field on Send E-mail.
EMAIL_X=210 EMAIL_Y=208 TO_X=300 TO_Y=140

# -- no display: a clear refusal that names --headless
out=$(env -u DISPLAY -u WAYLAND_DISPLAY -u SDL_VIDEODRIVER "$SIM" panel --state "$D/state-window" 2>&1)
rc=$?
check "without a display, mfp-sim panel refuses (exit $rc, want 2)" [ "$rc" = 2 ]
case $out in
*"no display"*"--headless --script FILE"*) ok "it says there is no display and how to run headless" ;;
*) not_ok "it should say there is no display and how to run headless: $out" ;;
esac

for tool in Xvfb xdotool import compare; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        not_ok "$tool is needed (make deps installs xvfb, xdotool, imagemagick)"
        finish
    fi
done

# -- the headless panel's pictures of the same steps, for reference
cat >"$D/ref.panel" <<EOF
snap home.png
tap $EMAIL_X $EMAIL_Y
expect screen send
snap send.png
tap $TO_X $TO_Y
expect screen keyboard
type bob
snap typed.png
key home
expect screen home
EOF
check "the headless panel plays the reference steps" \
    "$SIM" panel --headless --script "$D/ref.panel" --snap "$D/snap" --state "$D/state-headless" \
    >"$D/headless.log" 2>&1

# -- a virtual X server on a free display it picks itself (-displayfd)
Xvfb -displayfd 1 -screen 0 1024x768x24 -nolisten tcp >"$D/xvfb.num" 2>"$D/xvfb.log" &
XPID=$!
i=0
while [ ! -s "$D/xvfb.num" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if [ ! -s "$D/xvfb.num" ]; then
    not_ok "Xvfb must start: $(tail -3 "$D/xvfb.log")"
    finish
fi
DISPLAY=":$(head -1 "$D/xvfb.num")"
export DISPLAY
unset WAYLAND_DISPLAY SDL_VIDEODRIVER
ok "Xvfb runs on display $DISPLAY"

"$SIM" panel --state "$D/state-window" >"$D/window.log" 2>&1 &
PPID_PANEL=$!
WID=$(timeout 10 xdotool search --sync --name '^MFP panel' 2>/dev/null | head -1)
if [ -z "$WID" ]; then
    not_ok "the panel's window must appear: $(tail -3 "$D/window.log")"
    finish
fi
ok "the panel opened its window ($(xdotool getwindowname "$WID"))"
geom=$(xdotool getwindowgeometry "$WID" | sed -n 's/.*Geometry: //p')
check "the window is the panel's 800x480 (got $geom)" [ "$geom" = "800x480" ]

# shows NAME: 0 when the window's picture matches the headless NAME.png
# within 5 s (a frame is 50 ms); the last picture stays in window-NAME.png.
shows() {
    n=0
    while [ $n -lt 25 ]; do
        import -window "$WID" "$D/window-$1.png" 2>/dev/null &&
            [ "$(compare -metric AE -fuzz 1% "$D/window-$1.png" "$D/snap/$1.png" null: 2>&1)" = 0 ] && return 0
        sleep 0.2
        n=$((n + 1))
    done
    echo "  window-$1.png differs from the headless $1.png in" \
        "$(compare -metric AE -fuzz 1% "$D/window-$1.png" "$D/snap/$1.png" null: 2>&1) pixels"
    return 1
}

check "the window shows the Home screen" shows home
xdotool mousemove --window "$WID" $EMAIL_X $EMAIL_Y click 1
check "a click on E-mail opens Send E-mail in the window" shows send
xdotool mousemove --window "$WID" $TO_X $TO_Y click 1
sleep 0.3
xdotool windowfocus --sync "$WID" 2>/dev/null
xdotool type --delay 50 bob
check "a click on To and typing 'bob' on the keyboard show the keyboard with 'bob'" shows typed
xdotool key F1
check "F1 (Home) returns to Home" shows home

kill -TERM "$PPID_PANEL"
wait "$PPID_PANEL"
rc=$?
PPID_PANEL=""
check "SIGTERM (SDL's quit, as when the window is closed) ends the panel with exit 0 (got $rc)" [ "$rc" = 0 ]
# The window's pictures, to look at.
SHOTS=${BUILD:-build}/test-logs/panel-window
mkdir -p "$SHOTS" && cp "$D"/window-*.png "$SHOTS/"
finish
