#!/usr/bin/env bash
# Create (idempotently) the virtualenv with a pinned Safir for the interop
# tests, and print the path of its python on the last line of stdout.
#
#   interop/safir/setup.sh 9    Safir 9.3.0 on Python 3.11+ (always available)
#   interop/safir/setup.sh 15   Safir 15.2.3 on Python 3.12+; exits 3 when no
#                               such interpreter is found (callers skip then)
#
# Environment:
#   SASQUATCH_SAFIR_VENV     venv for 9.3.0  (default ~/.cache/sasquatch-go-safir/venv)
#   SASQUATCH_SAFIR15_VENV   venv for 15.2.3 (default ~/.cache/sasquatch-go-safir/venv15)
#   SASQUATCH_SAFIR_PYTHON   interpreter for 9.3.0  (default python3)
#   SASQUATCH_SAFIR15_PYTHON interpreter for 15.2.3 (default: first Python
#                            3.12+ among python3.13, python3.12 and pyenv's
#                            installed versions)
# A venv is rebuilt only when its requirements file changed (stamp file).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
cache="${HOME}/.cache/sasquatch-go-safir"
line="${1:-9}"

# runs PY MIN_MINOR: true if PY is a working CPython 3.MIN_MINOR or later.
runs() {
	"$1" -c "import sys; sys.exit(0 if sys.version_info >= (3, $2) else 1)" >/dev/null 2>&1
}

find_py312() {
	local c
	if [[ -n "${SASQUATCH_SAFIR15_PYTHON:-}" ]]; then
		runs "$SASQUATCH_SAFIR15_PYTHON" 12 && { echo "$SASQUATCH_SAFIR15_PYTHON"; return 0; }
		echo "setup.sh: SASQUATCH_SAFIR15_PYTHON=$SASQUATCH_SAFIR15_PYTHON is not Python 3.12+" >&2
		return 1
	fi
	# pyenv shims exist for versions that are installed but not selected, and
	# fail when run, hence the check with runs rather than command -v.
	for c in python3.13 python3.12 "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.1[2-9]*/bin/python3; do
		if runs "$c" 12; then
			command -v "$c" 2>/dev/null || echo "$c"
			return 0
		fi
	done
	return 1
}

case "$line" in
9)
	py="${SASQUATCH_SAFIR_PYTHON:-python3}"
	venv="${SASQUATCH_SAFIR_VENV:-$cache/venv}"
	req="$here/requirements-safir9.txt"
	runs "$py" 11 || { echo "setup.sh: $py is not Python 3.11+ (Safir 9.3.0 needs it)" >&2; exit 1; }
	;;
15)
	venv="${SASQUATCH_SAFIR15_VENV:-$cache/venv15}"
	req="$here/requirements-safir15.txt"
	if ! py="$(find_py312)"; then
		echo "setup.sh: no Python 3.12+ found; Safir 15.x not set up" >&2
		exit 3
	fi
	;;
*)
	echo "usage: $0 9|15" >&2
	exit 2
	;;
esac

stamp="$venv/.sasquatch-requirements"
want="$("$py" -c 'import sys; print(sys.version.split()[0])') $(sha256sum "$req" | cut -d' ' -f1)"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
	echo "$venv/bin/python"
	exit 0
fi

echo "setup.sh: creating $venv with $py ($("$py" --version 2>&1)) from $(basename "$req")" >&2
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
"$py" -m venv "$venv"
"$venv/bin/python" -m pip install --disable-pip-version-check --no-input -q -r "$req" >&2
"$venv/bin/python" -m pip check >&2
echo "$want" >"$stamp"
echo "$venv/bin/python"
