#!/usr/bin/env bash
# Watch the break prompts escalate in a real window, sped up 100x.
#
#   docs/wellbeing-demo.sh [STORE] [OUT_DIR]
#
# Builds a demo store (if STORE does not exist), starts Veil on a virtual
# X screen as the moderator "ana" with VEIL_CLOCK_SPEED=100, decides items
# with the A key, snoozes the break dialog twice, then leaves the last call
# unanswered so the break is enforced. Screenshots go to OUT_DIR: every
# 20 steps, each dialog, and the end. Needs Xvfb, xdotool and ImageMagick
# (../shared/tools/shot installs them). A dialog gets focus explicitly
# because a bare Xvfb has no window manager to give it.
set -u
store=${1:-/tmp/wellbeing-demo.db}
out=${2:-/tmp/wellbeing-demo}
here=$(cd "$(dirname "$0")/.." && pwd)
veil="$here/.venv/bin/veil"
mkdir -p "$out"
[ -e "$store" ] || "$veil" demo --store "$store" --items 500 >/dev/null
disp=:97
Xvfb $disp -screen 0 1440x900x24 -nolisten tcp >/dev/null 2>&1 & xpid=$!
sleep 1
export DISPLAY=$disp QT_QPA_PLATFORM=xcb VEIL_CLOCK_SPEED=100 VEIL_CLOCK_START=2026-01-05T08:00:00Z
"$veil" --store "$store" --user ana >"$out/veil.log" 2>&1 & apid=$!
sleep 7
main=$(xdotool search --onlyvisible --name "Veil" | head -1)
xdotool windowfocus "$main"; xdotool key ctrl+2; sleep 0.5; xdotool key Return
dialogs=0
for step in $(seq 1 400); do
  dialog=$(xdotool search --onlyvisible --name "Time for a break" 2>/dev/null | head -1)
  if [ -n "$dialog" ]; then
    dialogs=$((dialogs + 1))
    import -window root "$out/dialog-$dialogs.png"
    if [ $dialogs -le 2 ]; then  # snooze (the second button), twice
      xdotool windowfocus "$dialog"; sleep 0.2; xdotool key Tab space; sleep 0.5
    fi
    xdotool windowfocus "$main"
  else
    xdotool key a
  fi
  sleep 0.35
  [ $((step % 20)) -eq 0 ] && import -window root "$out/step-$step.png"
done
import -window root "$out/end.png"
kill $apid; sleep 1; kill -9 $apid 2>/dev/null; kill $xpid
echo "screenshots in $out; events: sqlite3 $store 'select kind, count(*) from wellbeing_events group by kind'"
