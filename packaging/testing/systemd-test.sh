#!/bin/bash
# systemd-test.sh - runs inside a booted systemd (../shared/tools/boot-systemd.sh, as PID 1 of a
# throwaway container) with the package at /opt/pacad/pacad.deb: installs it and checks what an
# operator relies on. Prints one line per check; exits 1 when any fails. `make systemd-test`.
set -u
failed=0
pass() { echo "ok   $1"; }
fail() { echo "FAIL $1"; failed=1; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
as() { local user=$1; shift; runuser -u "$user" -- env PATH=/usr/bin:/bin HOME=/home/$user "$@"; }
journal() { journalctl -u pacad.service -u pacad.socket --no-pager -o cat; }

# This root is a throwaway overlay of the build machine's; a container image's policy-rc.d (exit
# 101: "start no services") would stop the package from starting pacad, as on no real server.
rm -f /usr/sbin/policy-rc.d
mkdir -p /srv/ml/data && echo "weights" > /srv/ml/data/model.txt && echo "root only" > /srv/ml/secret.txt
chmod 0600 /srv/ml/secret.txt

check "the package installs" dpkg -i /opt/pacad/pacad.deb
check "pacad.socket is listening" systemctl is-active --quiet pacad.socket
check "pacad.service runs after install" systemctl is-active --quiet pacad.service
check "the socket is root:paca 0660" test "$(stat -c '%U:%G %a' /run/paca/pacad.sock)" = "root:paca 660"
check "the config passes --check-config" pacad --check-config /etc/paca/pacad.yaml
check "the man pages are installed" test -f /usr/share/man/man8/pacad.8.gz -a -f /usr/share/man/man1/pacactl.1.gz

# Socket activation: with pacad stopped, the first pacactl starts it.
systemctl stop pacad.service
check "pacad.service is stopped" test "$(systemctl is-active pacad.service)" != active
check "the socket outlives the service" test -S /run/paca/pacad.sock
check "pacactl starts pacad through pacad.socket" pacactl status
check "pacad.service runs again" systemctl is-active --quiet pacad.service

# Users: alice and bob in group paca (operators without access:), carol outside it.
useradd -m -G paca alice && useradd -m -G paca bob && useradd -m carol
out=$(as alice pacactl backup now --set workspace --json)
status=$?
id=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' 2>/dev/null)
check "alice (group paca) backs up" test "$status" = 1 -o "$status" = 0
check "the backup has an id" test -n "$id"
check "the target folder carries its .paca-target" grep -q '"format":"paca.target"' /var/backups/paca/.paca-target
check "alice restores into her home" as alice pacactl restore "$id" --to /home/alice/restored
check "the restored file is alice's" test "$(stat -c %U /home/alice/restored/ml/data/model.txt 2>/dev/null)" = alice
check "the root-only file is left out for alice" test -d /home/alice/restored/ml -a ! -e /home/alice/restored/ml/secret.txt
refused=$(as carol pacactl status 2>&1)
check "carol (not in paca) cannot connect: $refused" sh -c 'test $0 -ne 0 && echo "$1" | grep -q "Permission denied"' $? "$refused"

# Roles and reload: give bob no role, reload, and he is refused with exit status 5.
cat >> /etc/paca/pacad.yaml <<'YAML'
access:
  operate: [user:alice]
YAML
check "systemctl reload pacad" systemctl reload pacad.service
# ExecReload= is pacactl reload: systemctl returns once the new file is in force, no sleep.
as bob pacactl status >/dev/null 2>&1
check "bob (no role after reload) is refused with exit status 5" test $? -eq 5
check "alice still can" as alice pacactl status
# A bad file fails the reload, names the problem in the journal and changes nothing.
cp /etc/paca/pacad.yaml /tmp/pacad.yaml.good
echo "bogus_key: 1" >> /etc/paca/pacad.yaml
systemctl reload pacad.service 2>/dev/null
check "systemctl reload fails on a bad config file" test $? -ne 0
check "the journal names the bad key" sh -c 'journalctl -u pacad.service --no-pager | grep -q "bogus_key: unknown key"'
check "pacad runs on after a failed reload" systemctl is-active --quiet pacad.service
as bob pacactl status >/dev/null 2>&1
check "the failed reload changed nothing (bob still refused)" test $? -eq 5
cp /tmp/pacad.yaml.good /etc/paca/pacad.yaml
check "the audit log records bob's refusal" sh -c 'pacactl audit --where "outcome == \"denied\"" --json | grep -q bob'
check "the refusal names bob's program by its comm (no exe under the unit)" sh -c 'pacactl audit --where "outcome == \"denied\"" --json | grep -q "\"comm\": *\"pacactl\""'

# Scrubbing inside the sandbox: the read-back at idle I/O priority passes the syscall filter.
check "root scrubs every copy back under the unit" sh -c 'pacactl scrub --wait | grep -q "local: [1-9][0-9]* good, 0 damaged"'
as alice pacactl scrub >/dev/null 2>&1
check "alice (operate) may not scrub" test $? -eq 5
check "status shows how old the oldest unverified copy is" sh -c 'pacactl status | grep -q "scrub every 30 days"'

check "systemctl status shows pacad's STATUS line" test -n "$(systemctl show -p StatusText --value pacad.service)"
systemctl status pacad.service --no-pager | grep -E "Active:|Status:"

# Stop: the set has triggers: [shutdown], so stopping backs it up first.
before=$(find /var/backups/paca -name "*.zip" | wc -l)
check "systemctl stop pacad" systemctl stop pacad.service
after=$(find /var/backups/paca -name "*.zip" | wc -l)
check "stopping made a shutdown backup" test "$after" -gt "$before"
check "the journal names the shutdown trigger" sh -c 'journalctl -u pacad.service -o cat | grep -q "backup.trigger=shutdown"'
check "no 'Failed to set thread priority' in the journal" sh -c '! journalctl -u pacad.service -o cat | grep -q "Failed to set thread priority"'

# A sealed set (docs/encryption.md): alice's public key and a break-glass key in a recipients
# file root owns; pacad under the hardened unit seals, alice restores with her identity.
as alice pacactl key new --out /home/alice/key.txt > /tmp/alice.pub
age-keygen -o /root/break-glass.txt 2>/dev/null
{ cat /tmp/alice.pub; age-keygen -y /root/break-glass.txt; } > /etc/paca/recipients.txt
sed -i 's|^    triggers: \[shutdown\]|    triggers: [shutdown]\n    encryption: {recipients_file: /etc/paca/recipients.txt}|' /etc/paca/pacad.yaml
check "the sealed set passes --check-config with no warning" sh -c '! pacad --check-config /etc/paca/pacad.yaml | grep -q warning'
out=$(as alice pacactl backup now --set workspace --json)
sealed=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' 2>/dev/null)
check "alice's backup of the sealed set is an age file" test -f "/var/backups/paca/workspace/$sealed.zip.age"
check "sha256sum -c checks it without a key" sh -c "cd /var/backups/paca/workspace && sha256sum -c $sealed.zip.age.sha256"
check "age -d with the break-glass key opens it" sh -c "age -d -i /root/break-glass.txt /var/backups/paca/workspace/$sealed.zip.age > /tmp/sealed.zip && unzip -tq /tmp/sealed.zip"
check "without --identity the restore names the option" sh -c "runuser -u alice -- pacactl restore $sealed --to /home/alice/r0 2>&1 | grep -q -- --identity"
check "alice restores it with her identity" as alice pacactl restore "$sealed" --to /home/alice/sealed --identity /home/alice/key.txt
check "the restored file is alice's" test "$(stat -c %U /home/alice/sealed/ml/data/model.txt 2>/dev/null)" = alice
check "pacad checks only the stored bytes" sh -c "pacactl backup verify $sealed | grep -q 'contents were not checked'"
check "alice checks the contents with her identity" sh -c "runuser -u alice -- pacactl backup verify $sealed --identity /home/alice/key.txt | grep -q 'decrypted and checked here'"
check "no secret key reaches the journal" sh -c '! journal | grep -q AGE-SECRET-KEY'

# Checkpoint capture under the hardened unit, as alice through the Python client (bound at
# /opt/pacad/python): the sandbox's mounts allow no hard link into the state folder, so pacad
# copies; with a capture_dir beside the checkpoints and ReadWritePaths= on their folder (the
# drop-in docs/operations.md gives), it links.
if [ -d /opt/pacad/python/paca ]; then
  mkdir -p /srv/ckpt/run/checkpoint-1 /srv/ckpt/run/checkpoint-2
  for n in 1 2; do head -c 4000000 /dev/urandom > /srv/ckpt/run/checkpoint-$n/model.bin; done
  chown -R alice /srv/ckpt
  sed -i 's|^sets:$|sets:\n  checkpoints:\n    paths: [/srv/ckpt/run]\n    targets: [local]|' /etc/paca/pacad.yaml
  check "a checkpoints set reloads" systemctl reload pacad.service
  capture() { as alice env PYTHONPATH=/opt/pacad/python python3 -c "
import paca, sys
h = paca.checkpoint('/srv/ckpt/run/checkpoint-$1', set='checkpoints', step=$1, metrics={'eval_loss': 0.$1})
r = h.wait(120)
print(h.capture['method'], r['status'], r['step'])"; }
  out=$(capture 1 2>&1)
  check "alice captures a checkpoint under the sandbox by copying it: $out" test "$out" = "copy complete 1"
  sed -i 's|^    paths: \[/srv/ckpt/run\]$|    paths: [/srv/ckpt/run]\n    capture_dir: /srv/ckpt/.paca-capture|' /etc/paca/pacad.yaml
  mkdir -p /etc/systemd/system/pacad.service.d
  printf '[Service]\nReadWritePaths=/srv/ckpt\n' > /etc/systemd/system/pacad.service.d/capture.conf
  systemctl daemon-reload && systemctl restart pacad.service
  out=$(capture 2 2>&1)
  check "with capture_dir and ReadWritePaths= pacad hard-links it: $out" test "$out" = "hardlink complete 2"
  check "the capture folder is left empty" test -z "$(ls -A /srv/ckpt/.paca-capture 2>/dev/null)"
  check "metrics are queryable" sh -c 'pacactl backup list --where "metrics.eval_loss < 0.15" --json | grep -q "checkpoint-1"'
else
  fail "the Python client is not bound at /opt/pacad/python (make systemd-test binds it)"
fi

# The dashboard and /metrics under the hardened unit: http on loopback; alice signs in with her
# own role (operate), downloads a folder of her first backup as a ZIP; a foreign Host is refused.
printf 'http: {listen: "127.0.0.1:9180"}\n' >> /etc/paca/pacad.yaml
systemctl restart pacad.service
for _ in $(seq 50); do curl -sf -o /dev/null http://127.0.0.1:9180/metrics && break; sleep 0.2; done
check "/metrics answers under the unit" sh -c 'curl -sf http://127.0.0.1:9180/metrics | grep -q "^paca_build_info{version="'
url=$(as alice pacactl web url)
check "alice gets a one-time sign-in address" sh -c 'echo "$0" | grep -q "^http://127.0.0.1:9180/login?token=[0-9a-f]\{64\}$"' "$url"
check "the address signs a browser in as alice, operator" \
  sh -c 'curl -s -c /tmp/jar -o /dev/null "$0" && curl -sf -b /tmp/jar http://127.0.0.1:9180/ | grep -q "alice · operate"' "$url"
check "the address works once" test "$(curl -s -o /dev/null -w '%{http_code}' "$url")" = 401
check "a foreign Host is refused" test "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: evil.example:9180' http://127.0.0.1:9180/metrics)" = 403
check "alice downloads a folder of her backup and unzip -t passes" \
  sh -c 'curl -sf -b /tmp/jar -o /tmp/dl.zip "http://127.0.0.1:9180/backups/$0/download?path=ml" && unzip -tq /tmp/dl.zip' "$id"
check "the download leaves out what alice could not read" sh -c '! unzip -Z1 /tmp/dl.zip | grep -q secret.txt'
# The file index, removed while pacad is stopped, is read back from the archives at the next
# start (a root restore session per backup, under the hardened unit).
systemctl stop pacad.service
rm -f /var/lib/paca/files.sqlite /var/lib/paca/files.sqlite-wal /var/lib/paca/files.sqlite-shm
systemctl start pacad.service
for _ in $(seq 50); do curl -sf -o /dev/null http://127.0.0.1:9180/metrics && break; sleep 0.2; done
url=$(as alice pacactl web url)
curl -s -c /tmp/jar2 -o /dev/null "$url"
for _ in $(seq 50); do curl -sf -b /tmp/jar2 "http://127.0.0.1:9180/backups/$id?dir=ml" | grep -q "download this folder" && break; sleep 0.2; done
check "a removed file index is read back from the archives at start" \
  sh -c 'curl -sf -b /tmp/jar2 "http://127.0.0.1:9180/backups/$0?dir=ml" | grep -q "download this folder"' "$id"
check "the journal says the index was filled from the archives" \
  sh -c 'journalctl -u pacad.service --no-pager | grep -q "reading the manifests of earlier backups"'
check "the alert rules are installed and pass promtool" \
  sh -c 'cd /usr/share/pacad/monitoring && promtool check rules pacad-alerts.yml >/dev/null && promtool test rules pacad-alerts.test.yml >/dev/null'

# Removal stops everything and keeps the backups; purge removes the config.
check "dpkg -r pacad" dpkg -r pacad
check "the socket is gone after removal" test "$(systemctl is-active pacad.socket)" != active
check "the backups stay after removal" test -n "$(find /var/backups/paca -name "*.zip")"
check "dpkg --purge pacad" dpkg --purge pacad
check "purge removes the config" test ! -e /etc/paca/pacad.yaml

if [ $failed -ne 0 ]; then echo "--- journal"; journal | tail -60; fi
exit $failed
