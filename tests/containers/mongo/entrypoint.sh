#!/bin/sh
# Starts SecantusDB and prints "Waiting for connections" (mongod's readiness line) once the
# port answers.
/opt/secantus/bin/secantusd-py --host 0.0.0.0 --port 27017 --storage-path :memory: &
server=$!
trap 'kill -TERM $server; wait $server' TERM INT
until /opt/secantus/bin/python -c "import socket; socket.create_connection(('127.0.0.1', 27017), 1)" 2>/dev/null; do
    kill -0 $server 2>/dev/null || exit 1
    sleep 0.2
done
echo "Waiting for connections"
wait $server
