#!/usr/bin/env bash
# Install policyqa into ./.venv: idempotent, and quick when nothing changed.
#   scripts/setup.sh          runtime only (what `policyqa serve` needs)
#   scripts/setup.sh --dev    plus test tools and the OCR extra, and (when we are root) Debian's chromium for
#                             the browser test and a CJK font (fonts-wqy-microhei) for the scanned-page fixtures
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[ "${1:-}" = "--dev" ] && dev=1
python=${PYTHON:-python3}
venv=.venv
stamp="$venv/.policyqa-setup"
want="$(cat pyproject.toml scripts/setup.sh | sha1sum | cut -c1-40) dev=$dev"

say() { echo "setup: $*" >&2; }

if [ ! -x "$venv/bin/python" ]; then
  say "creating the virtual environment $venv/"
  "$python" -m venv "$venv"
fi

have=""
[ -f "$stamp" ] && have=$(cat "$stamp")
# A dev install also satisfies a runtime-only request.
if [ "$have" != "$want" ] && [ "$have" != "${want% dev=*} dev=1" ]; then
  pip=("$venv/bin/python" -m pip install --quiet --disable-pip-version-check)
  # torch first, pinned: the CPU build is on these machines; letting pip choose pulls GBs of CUDA wheels.
  say "installing torch 2.13.0 (CPU build; a minute or two the first time)"
  "${pip[@]}" "torch==2.13.0"
  if [ "$dev" = 1 ]; then
    say "installing policyqa with its test tools (sentence-transformers, faiss, jieba, bm25s, fastapi, pytest...)"
    "${pip[@]}" -e ".[dev,ocr]"
  else
    say "installing policyqa (sentence-transformers, faiss, jieba, bm25s, fastapi...)"
    "${pip[@]}" -e .
  fi
  echo "$want" >"$stamp"
  say "installed into $venv/"
fi

if [ "$dev" = 1 ] && ! command -v chromium >/dev/null 2>&1; then
  # The browser test needs Debian's chromium + chromedriver; without them it skips and says why.
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian's chromium and chromium-driver for the browser test"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver \
      >/dev/null) || echo "setup: could not install chromium; the browser test will be skipped" >&2
  else
    echo "setup: chromium not installed and not root; the browser test will be skipped" >&2
  fi
fi

if [ "$dev" = 1 ] && [ ! -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; then
  # The scanned-page tests render Chinese text to an image; without a CJK font they skip and say why.
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei \
      >/dev/null) || echo "setup: could not install fonts-wqy-microhei; the scanned-page tests will be skipped" >&2
  else
    echo "setup: fonts-wqy-microhei not installed and not root; the scanned-page tests will be skipped" >&2
  fi
fi
