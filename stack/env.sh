#!/usr/bin/env bash
# Prints the running stack's endpoints as shell export lines: eval "$(stack/env.sh)".
set -euo pipefail
# shellcheck source=stack/lib.sh
source "$(dirname "$0")/lib.sh"

[ -s "$ENV_FILE" ] || die "the stack is not up ($ENV_FILE missing): run make stack-up"
sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*=.*\)$/export \1/p' "$ENV_FILE"
