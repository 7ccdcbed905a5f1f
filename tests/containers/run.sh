#!/usr/bin/env bash
# The containers stage: a Docker engine on this machine, images built without a registry, and
# the conformance suites on PostgreSQL, MariaDB and MongoDB started **through the testcontainers
# fixtures** (no URLs), then no container left behind. Fails loudly when the engine cannot start.
#
# Facts designed around: no image registry is reachable (images come from debootstrap and
# Debian's packages); Debian 12's dockerd speaks Docker API 1.41 while testcontainers needs 1.49,
# so the dockerd of Debian unstable's docker.io (API 1.51) is unpacked and run instead.
set -euo pipefail
cd "$(dirname "$0")/../.."

root=${PORTICO_DOCKER_ROOT:-/var/cache/portico-docker}  # kept between runs: images are cached
# The machine's own Debian mirror (its main archive, not -security), so no host is written here.
apt_mirror() {
    local uri
    uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v -- '-security' | head -n 1 || true)
    if [ -z "$uri" ]; then
        uri=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
            sed 's/\[[^]]*\]//' | awk '{print $2}' | grep -v -- '-security' | head -n 1 || true)
    fi
    if [ -z "$uri" ]; then
        echo "containers: no Debian mirror in the apt configuration; set PORTICO_DEBIAN_MIRROR" >&2
        exit 1
    fi
    printf '%s\n' "$uri"
}
mirror=${PORTICO_DEBIAN_MIRROR:-$(apt_mirror)}
sock="$root/docker.sock"
t0=$SECONDS
step() { printf -- '--- containers: %s (%ss)\n' "$1" "$((SECONDS - t0))"; }
mkdir -p "$root"

step "packages"
if ! command -v containerd >/dev/null || ! command -v debootstrap >/dev/null || ! command -v iptables >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io iptables debootstrap >/dev/null
fi

step "dockerd from Debian unstable"
if [ ! -x "$root/sid/usr/sbin/dockerd" ]; then
    apt_dir="$root/apt"
    mkdir -p "$apt_dir/parts" "$apt_dir/lists/partial" "$apt_dir/archives/partial"
    printf 'Types: deb\nURIs: %s\nSuites: sid\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$mirror" \
        > "$apt_dir/parts/sid.sources"
    apt_opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt_dir/parts"
              -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache::Archives=$apt_dir/archives")
    apt-get "${apt_opts[@]}" update -qq
    (cd "$apt_dir" && apt-get "${apt_opts[@]}" download docker.io 2>/dev/null)
    rm -rf "$root/sid" && dpkg-deb -x "$apt_dir"/docker.io_*.deb "$root/sid"
fi
export PATH="$root/sid/usr/sbin:$root/sid/usr/bin:$PATH"

step "start the engine"
if [ -f "$root/docker.pid" ] && kill -0 "$(cat "$root/docker.pid")" 2>/dev/null; then
    kill "$(cat "$root/docker.pid")"; sleep 2
fi
mkdir -p /run/portico-docker
setsid "$root/sid/usr/sbin/dockerd" --data-root "$root/data" --exec-root /run/portico-docker \
    --pidfile "$root/docker.pid" -H "unix://$sock" --storage-driver overlay2 \
    > "$root/dockerd.log" 2>&1 < /dev/null &
export DOCKER_HOST="unix://$sock"
stop_engine() {
    if [ -f "$root/docker.pid" ]; then
        pid=$(cat "$root/docker.pid")
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    fi
}
trap stop_engine EXIT
for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
if ! docker info >/dev/null 2>&1; then
    echo "FAIL: the Docker engine did not start; its log ends with:"; tail -20 "$root/dockerd.log"
    exit 1
fi
docker version --format 'engine {{.Server.Version}}, API {{.Server.APIVersion}}'
# Start from no container, so the final check speaks of this run only.
stale=$(docker ps -aq)
if [ -n "$stale" ]; then docker rm -f -v $stale >/dev/null; fi

step "base image (debootstrap, cached)"
if ! docker image inspect local/debian:bookworm >/dev/null 2>&1; then
    rm -rf "$root/rootfs"
    debootstrap --variant=minbase bookworm "$root/rootfs" "$mirror" >/dev/null
    tar -C "$root/rootfs" -c . | docker import - local/debian:bookworm >/dev/null
    rm -rf "$root/rootfs"
fi

step "SecantusDB wheels for the mongo image (the host's pip reaches PyPI)"
context="$root/build"
rm -rf "$context" && mkdir -p "$context" && cp -r tests/containers/postgres tests/containers/mariadb tests/containers/mongo "$context/"
python3 -m pip download -q --dest "$context/mongo/wheels" SecantusDB==0.7.0b3

for image in postgres mariadb mongo; do
    step "image local/portico-$image (cached layers)"
    docker build -q --network host -t "local/portico-$image:latest" "$context/$image" >/dev/null
done

step "conformance suites through the testcontainers fixtures"
unset PORTICO_TEST_POSTGRES_URL PORTICO_TEST_MYSQL_URL PORTICO_TEST_MONGO_URL
export PORTICO_REQUIRE_ALL_BACKENDS=1
export PORTICO_TEST_POSTGRES_IMAGE=local/portico-postgres:latest
export PORTICO_TEST_MYSQL_IMAGE=local/portico-mariadb:latest
export PORTICO_TEST_MONGO_IMAGE=local/portico-mongo:latest
set +e
cargo test --workspace --all-features --test conformance_postgres --test conformance_mysql --test conformance_mongo \
    > "$root/suites.log" 2>&1
status=$?
set -e
grep -E '^(portico: container|test result|skipped|error)|Running tests|FAILED|panicked' "$root/suites.log" || true
if [ "$status" -ne 0 ]; then
    echo "FAIL: the suites failed; the log ends with:"; tail -40 "$root/suites.log"
    exit "$status"
fi

step "no container left behind"
# Containers are removed when each test process ends (by the fixtures' watchdog): allow it a
# few seconds to finish.
for _ in $(seq 1 60); do
    [ -z "$(docker ps -aq)" ] && break
    sleep 0.5
done
left=$(docker ps -aq)
if [ -n "$left" ]; then
    echo "FAIL: containers left behind:"; docker ps -a
    exit 1
fi
echo "ok: docker ps -a lists no container"
step "done"
