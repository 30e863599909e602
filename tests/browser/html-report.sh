#!/usr/bin/env bash
# The HTML report in a real browser: headless Chromium opens the report of a real capture
# (GStreamer's zero-copy pipeline, strace, Linux 6.12) and of the 2012 report. The page must
# be drawn (a screenshot with the timeline's colours, not one flat colour) and hold the
# input's name as its title, the findings, the dma-bufs and times from the first buffer event.
#
# Usage: bash tests/browser/html-report.sh
# Needs chromium (Debian's package), zstd and python3; VB2SCOPE names the binary to use, else
# target/debug/vb2scope is built. Files are kept in the directory it prints when a check fails.
set -euo pipefail
cd "$(dirname "$0")/../.."

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    echo "html-report: no chromium (apt-get install chromium)" >&2
    exit 1
fi
if [ -z "${VB2SCOPE:-}" ]; then
    cargo build --locked --quiet
    VB2SCOPE=target/debug/vb2scope
fi
work=$(mktemp -d)
failed=0

# One browser run with nothing to fetch, no profile of the user's, no sandbox (CI runs as
# root), no GPU (no display).
run_browser() {
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --disable-dev-shm-usage --user-data-dir="$(mktemp -d -p "$work")" \
        --window-size=1400,2000 "$@" 2>>"$work/chromium.log"
}

fail() {
    echo "html-report: $*" >&2
    failed=1
}

# check INPUT: the report of INPUT, rendered and read back.
check() {
    local input=$1 name html shot dom before=$failed
    failed=0
    name=$(basename "$input")
    html="$work/$name.html"
    shot="$work/$name.png"
    dom="$work/$name.dom.html"
    if ! "$VB2SCOPE" export "$input" --to html -o "$html" 2>>"$work/vb2scope.log"; then
        fail "$name: vb2scope export failed"
        failed=$((failed | before))
        return
    fi
    run_browser --screenshot="$shot" "file://$html" >/dev/null || fail "$name: chromium failed"
    run_browser --dump-dom "file://$html" >"$dom" || fail "$name: chromium failed"
    [ -s "$shot" ] || fail "$name: no screenshot"
    # The state colours of the lanes (dequeued, queued, active) and a resource's (attached):
    # the timeline was drawn, not only the text.
    python3 tests/browser/png_colours.py "$shot" '#999999' '#56B4E9' '#0072B2' '#009E73' ||
        fail "$name: the screenshot looks blank or lacks the timeline"
    grep -qF "<title>$name</title>" "$dom" || fail "$name: the title is not the input's name"
    grep -qF "<h1>$name</h1>" "$dom" || fail "$name: the heading is not the input's name"
    grep -qE '<h2>Findings \([0-9]+\)</h2>' "$dom" || fail "$name: no findings section"
    grep -qF '<h2 id="dmabufs">dma-bufs (' "$dom" || fail "$name: no dma-buf table"
    grep -qF '<g class="dmabufs">' "$dom" || fail "$name: no dma-bufs in the timeline"
    grep -qF '+0.000 ms' "$dom" || fail "$name: no time relative to the first buffer event"
    grep -qF 'time (from the first buffer event)' "$dom" || fail "$name: findings not timed relatively"
    if [ "$failed" -eq 0 ]; then
        echo "html-report: $name: $(wc -c <"$html") bytes of HTML, rendered and read back"
    fi
    failed=$((failed | before))
}

zstd -dqf tests/fixtures/corpus/linux-6.12.118+deb12-amd64/gst-zero-copy.strace.txt.zst \
    -o "$work/gst-zero-copy.strace.txt"
check "$work/gst-zero-copy.strace.txt"
check traces/2012-report.jsonl

if [ "$failed" -ne 0 ]; then
    tail -n 20 "$work/chromium.log" >&2 2>/dev/null || true
    echo "html-report: failed; reports, screenshots and logs kept in $work" >&2
    exit 1
fi
rm -rf "$work"
