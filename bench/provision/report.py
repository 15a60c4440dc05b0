#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
# report.py LOAD.txt STAGES.txt ISSUED NCPU [TMPFS.txt FLOOR-AFTER.txt]: the provisioning benchmark table.
import sys


def kv(path):
    d = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                d[k] = v
    return d


load, st = kv(sys.argv[1]), kv(sys.argv[2])
issued, ncpu = sys.argv[3], int(sys.argv[4])
shm = kv(sys.argv[5]) if len(sys.argv) > 5 else {}
# the floor measured again right after the end-to-end run (run.sh)
after = kv(sys.argv[6]) if len(sys.argv) > 6 else {}
us = {k[3:]: float(v) for k, v in st.items() if k.startswith("us_")}
cpu_us = {k[7:]: float(v) for k, v in st.items() if k.startswith("cpu_us_")}
TARGET = 300.0

ok = int(load.get("ok", 0))
dps = float(load.get("devices_per_s", 0))
cpu_spp = float(load.get("cpu_spp_s", -1))
cpu_dev = float(load.get("cpu_emu_s", 0)) + float(load.get("cpu_load_s", 0))
wall = float(load.get("wall_s", 1))

spp_stages = ["tls_server", "chip_lookup", "claim_identity", "claim_keypair", "keygen",
              "build_package", "encode", "seal", "verify", "record_sign", "commit"]
dev_stages = ["tls_client", "device_check", "device_sealed_wrap"]
spp_sum = sum(us[s] for s in spp_stages)
dev_sum = sum(us[s] for s in dev_stages)
db_sum = us["chip_lookup"] + us["claim_identity"] + us["claim_keypair"] + us["commit"]
# The crypto protocol 2 needs per device, at least (docs/attestation.md):
# SPP: TLS server; the station's client certificate (mutual TLS, required:
#   docs/provisioning-protocol.md) checked: its signature by the issuing CA
#   and the client's CertificateVerify, 2 verifications (the floor's
#   handshake has no client certificate); device key + ephemeral sealing
#   key; certificate and record signatures; one ECDH (e, Q) giving K (seal)
#   and K2 (MAC check); GCM once (seal); the SEALED_WRAP MAC recomputed;
#   and the publication: the public database validates every record before
#   it stores it (issue 9), at least the record's signature and the device
#   certificate's signature by the issuing CA, 2 verifications (the issuing
#   CA's own signature by the root needs checking once, not per record).
#   Until 2026-12-07 the floor left the publication out.
# device (agent + chip): TLS client, plus the signature of its
#   CertificateVerify (mutual TLS); 3 verifications: the issuing CA by the
#   ROM key, the SPP credential and the device certificate by the issuing
#   CA; one ECDH (k, E); HKDF for K, K2 and the backup key; GCM twice
#   (open, wrap); the MAC.
F_SPP = [("floor_tls_server", 1), ("floor_verify", 4), ("floor_keygen", 2), ("floor_sign", 2),
         ("floor_ecdh", 1), ("floor_hkdf", 2), ("floor_gcm", 1), ("floor_hmac_sha", 1)]
# the floor as defined before the publication was counted (until 2026-12-07)
F_SPP_NOPUB = [(k, 2 if k == "floor_verify" else n) for k, n in F_SPP]
F_DEV = [("floor_tls_client", 1), ("floor_sign", 1), ("floor_verify", 3), ("floor_ecdh", 1),
         ("floor_hkdf", 3), ("floor_gcm", 2), ("floor_hmac_sha", 1)]
# the floor as defined before mutual TLS and the issuing CA were counted
F_SPP_OLD = [("floor_tls_server", 1), ("floor_keygen", 2), ("floor_sign", 2), ("floor_ecdh", 1),
             ("floor_hkdf", 2), ("floor_gcm", 1), ("floor_hmac_sha", 1)]
F_DEV_OLD = [("floor_tls_client", 1), ("floor_verify", 2), ("floor_ecdh", 1), ("floor_hkdf", 3),
             ("floor_gcm", 2), ("floor_hmac_sha", 1)]
f_spp = sum(n * us[k] for k, n in F_SPP)
f_dev = sum(n * us[k] for k, n in F_DEV)

print("#")
print("# == end to end: %s of %s devices provisioned (%s issued in the store), %.1f s ==" %
      (ok, load.get("devices"), issued, wall))
print("%-52s %10s %10s" % ("", "value", "vs target"))
print("%-52s %10.1f %9.2fx" % ("throughput, devices/s (durable, SQLite)", dps, dps / TARGET))
if cpu_spp >= 0 and ok:
    per = 1e3 * cpu_spp / ok
    print("%-52s %10.2f" % ("SPP CPU per device, ms", per))
    print("%-52s %10.2f" % ("device side CPU per device (emulators + loader), ms", 1e3 * cpu_dev / ok))
    print("%-52s %10.2f" % ("  of which the emulators, ms",
                            1e3 * float(load.get("cpu_emu_s", 0)) / ok))
    print("%-52s %10.0f %9.2fx" % ("SPP CPU-bound ceiling if it had all %d CPUs, dev/s" % ncpu,
                                    ncpu * 1e3 / per, ncpu * 1e3 / per / TARGET))
    print("%-52s %10.1f%%" % ("CPU busy (SPP + devices) / %d CPUs" % ncpu,
                               100 * (cpu_spp + cpu_dev) / wall / ncpu))
    rq = float(load.get("runq_spp_s", -1))
    if rq >= 0:
        # runnable SPP threads that had no CPU (other processes, or the
        # emulators and the loader, had them): time in the run queue, in
        # threads on average; off-CPU waits (locks, I/O, the peer) are
        # not in it
        print("%-52s %10.1f" % ("SPP threads waiting for a CPU (run queue), mean", rq / wall))
if shm:
    d2 = float(shm.get("devices_per_s", 0))
    print("%-52s %10.1f %9.2fx" % ("same on tmpfs (fsync ~free, not durable), dev/s", d2, d2 / TARGET))
    if float(shm.get("cpu_spp_s", -1)) >= 0 and int(shm.get("ok", 0)):
        o2 = int(shm["ok"])
        c2 = float(shm["cpu_spp_s"]) + float(shm.get("cpu_emu_s", 0)) + float(shm.get("cpu_load_s", 0))
        print("%-52s %10.1f%%" % ("  tmpfs: CPU busy / %d CPUs" % ncpu,
                                   100 * c2 / float(shm["wall_s"]) / ncpu))
print("#")
print("# latency per phase as seen by the device, ms:        mean      p50      p99")
for p in ["chip_read", "tls_connect", "hello_to_offer", "device_sealed_wrap", "backup_to_done",
          "total"]:
    v = load.get("phase_%s_ms" % p)
    if v:
        a = v.split()
        print("%-48s %8s %8s %8s" % ("  " + p, a[0], a[1], a[2]))
print("#")
print("# == stages, in-process, one thread, %s iterations (us per device) ==" % st.get("iterations"))
print("%-40s %10s %12s" % ("SPP stage", "us", "1-core /s"))
for s in spp_stages + ["cert_sign"]:
    note = {"cert_sign": "  (part of build_package)"}.get(s, "")
    print("%-40s %10.1f %12.0f%s" % ("  " + s, us[s], 1e6 / us[s] if us[s] else 0, note))
print("%-40s %10.1f %12.0f" % ("  SPP total", spp_sum, 1e6 / spp_sum))
print("%-40s %10.1f %12.0f" % ("  of which SQLite (lookup, claims, commit)", db_sum, 1e6 / db_sum))
print("%-40s %10s %12s" % ("device stage", "us", ""))
for s in dev_stages:
    print("%-40s %10.1f" % ("  " + s, us[s]))
print("%-40s %10.1f" % ("  device total", dev_sum))
print("#")
print("# == crypto-only floor (plain OpenSSL, same run) ==")
for k in ["floor_tls_server", "floor_tls_client", "floor_keygen", "floor_sign", "floor_verify",
          "floor_ecdh", "floor_hkdf", "floor_gcm", "floor_hmac_sha"]:
    print("%-40s %10.1f" % ("  " + k[6:] + " us", us[k]))


def terms(f):
    return " + ".join(("%d %s" % (n, k[6:]) if n > 1 else k[6:]) for k, n in f)


print("%-40s %10.1f   (%s)" % ("  SPP floor per device, us", f_spp, terms(F_SPP)))
print("%-40s %10.1f   (%s)" % ("  device floor per device, us", f_dev, terms(F_DEV)))
print("%-52s %10.0f %9.2fx" % ("floor, SPP alone on %d CPUs, dev/s" % ncpu, ncpu * 1e6 / f_spp,
                               ncpu * 1e6 / f_spp / TARGET))
print("%-52s %10.0f %9.2fx" % ("floor, SPP + devices on the same %d CPUs, dev/s" % ncpu,
                               ncpu * 1e6 / (f_spp + f_dev), ncpu * 1e6 / (f_spp + f_dev) / TARGET))
print("%-52s %10.2fx   (target >= 0.30x)" % ("measured / floor (SPP + devices)",
                                             dps / (ncpu * 1e6 / (f_spp + f_dev))))
f_nopub = sum(n * us[k] for k, n in F_SPP_NOPUB + F_DEV)
print("%-52s %10.2fx" % ("  same, floor without the publication's 2 verifications",
                         dps / (ncpu * 1e6 / f_nopub)))
f_old = sum(n * us[k] for k, n in F_SPP_OLD + F_DEV_OLD)
print("%-52s %10.2fx" % ("  same, floor without mutual TLS and issuing CA", dps / (ncpu * 1e6 / f_old)))
if cpu_spp >= 0 and ok:
    # contention-free view: the floor's CPU per device against the CPU the
    # run spent per device (SPP + emulators + loader), whatever share of
    # the CPUs the run got
    fc = sum(n * cpu_us.get(k, us[k]) for k, n in F_SPP + F_DEV)
    print("%-52s %10.2fx   (floor %.2f ms, run %.2f ms)" % (
        "floor CPU / measured CPU per device (SPP + devices)",
        fc / 1e3 / (1e3 * (cpu_spp + cpu_dev) / ok), fc / 1e3, 1e3 * (cpu_spp + cpu_dev) / ok))
    fc2 = sum(n * cpu_us.get(k, us[k]) for k, n in F_SPP_NOPUB + F_DEV)
    print("%-52s %10.2fx" % ("  same, floor without the publication's 2 verifications",
                             fc2 / 1e3 / (1e3 * (cpu_spp + cpu_dev) / ok)))
if after:
    # the same floor measured right after the run: on a shared machine the
    # speed can change between the floor (before the run) and the run
    ua = {k[3:]: float(v) for k, v in after.items() if k.startswith("us_")}
    fa = sum(n * ua[k] for k, n in F_SPP + F_DEV)
    print("%-52s %10.1f   (%+.0f%% against the floor before)" % (
        "floor measured after the run, us per device", fa, 100 * (fa / (f_spp + f_dev) - 1)))
    print("%-52s %10.2fx" % ("measured / floor after the run", dps / (ncpu * 1e6 / fa)))
    if cpu_spp >= 0 and ok:
        ca = {k[7:]: float(v) for k, v in after.items() if k.startswith("cpu_us_")}
        fca = sum(n * ca.get(k, ua[k]) for k, n in F_SPP + F_DEV)
        print("%-52s %10.2fx" % ("floor CPU after the run / measured CPU per device",
                                 fca / 1e3 / (1e3 * (cpu_spp + cpu_dev) / ok)))
print("%-52s %10.2fx" % ("SPP stage CPU (without SQLite) / SPP floor", (spp_sum - db_sum) / f_spp))
print("# sizes: data package %s B, sealed %s B, backup %s B, certificate %s B, signed record %s B" %
      (st.get("size_data_package"), st.get("size_sealed"), st.get("size_backup"),
       st.get("size_cert"), st.get("size_signed_record")))
